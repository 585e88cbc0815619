#include "common/process_reader.h"

#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/error.h"

namespace keepsake {
namespace {
constexpr size_t kMaxBuffered = 4 << 20;

struct Cancelled {};
}  // namespace

struct ProcessReader::State {
  std::mutex mu;
  std::condition_variable changed;
  std::deque<std::string> chunks;
  size_t buffered = 0, offset = 0;  // offset: bytes of chunks.front() already read
  bool done = false, cancelled = false;
  std::optional<Error> error;
  std::thread child;
};

ProcessReader::ProcessReader(ProcessOptions options) : state_(std::make_shared<State>()) {
  auto s = state_;
  s->child = std::thread([s, options = std::move(options)] {
    std::optional<Error> error;
    try {
      auto r = run_process_streaming(options, [&](std::string_view data) {
        std::unique_lock lock(s->mu);
        s->changed.wait(lock, [&] { return s->cancelled || s->buffered < kMaxBuffered; });
        if (s->cancelled) throw Cancelled{};
        s->chunks.emplace_back(data);
        s->buffered += data.size();
        s->changed.notify_all();
      });
      if (!r.ok()) {
        std::string err = r.err;
        while (!err.empty() && err.back() == '\n') err.pop_back();
        auto nl = err.rfind('\n');
        error = Error(ErrorKind::kIo, options.argv[0] + " failed: " +
                                          (nl == std::string::npos ? err : err.substr(nl + 1)));
      }
    } catch (const Cancelled&) {
    } catch (const Error& e) {
      error = e;
    } catch (const std::exception& e) {
      error = Error(ErrorKind::kIo, e.what());
    }
    std::lock_guard lock(s->mu);
    s->error = std::move(error);
    s->done = true;
    s->changed.notify_all();
  });
}

ProcessReader::~ProcessReader() {
  {
    std::lock_guard lock(state_->mu);
    state_->cancelled = true;
    state_->changed.notify_all();
  }
  state_->child.join();
}

size_t ProcessReader::read(uint8_t* buf, size_t max) {
  auto& s = *state_;
  std::unique_lock lock(s.mu);
  s.changed.wait(lock, [&] { return !s.chunks.empty() || s.done; });
  if (s.chunks.empty()) {
    if (s.error) throw *s.error;
    return 0;
  }
  auto& front = s.chunks.front();
  size_t n = std::min(max, front.size() - s.offset);
  std::memcpy(buf, front.data() + s.offset, n);
  s.offset += n;
  if (s.offset == front.size()) {
    s.buffered -= front.size();
    s.chunks.pop_front();
    s.offset = 0;
    s.changed.notify_all();
  }
  return n;
}

}  // namespace keepsake
