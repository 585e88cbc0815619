#include "pitr/pitr_scenes.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "db/connection.h"

namespace keepsake::testing {
namespace fs = std::filesystem;

namespace {

pid_t parent_of(const fs::path& proc_entry) {
  std::ifstream in(proc_entry / "stat");
  std::string stat((std::istreambuf_iterator<char>(in)), {});
  auto close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(stat.substr(close + 2));
  char state = 0;
  pid_t ppid = 0;
  rest >> state >> ppid;
  return ppid;
}

}  // namespace

void kill_cluster(const std::string& data_dir) {
  std::ifstream pid_file(data_dir + "/postmaster.pid");
  pid_t postmaster = 0;
  pid_file >> postmaster;
  ASSERT_GT(postmaster, 0) << "no postmaster.pid in " << data_dir;
  std::vector<pid_t> victims = {postmaster};
  for (auto& e : fs::directory_iterator("/proc")) {
    std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") == std::string::npos && parent_of(e.path()) == postmaster) {
      victims.push_back(std::stoi(name));
    }
  }
  for (pid_t pid : victims) kill(pid, SIGKILL);
}

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

Writer::Writer(const DatabaseConfig& db) {
  thread_ = std::thread([this, db] {
    try {
      auto conn = db::Connection::open(db);
      while (!stopping_) {
        auto started = std::chrono::steady_clock::now();
        conn->exec("INSERT INTO items (label) VALUES ('load')");
        double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
        if (ms > slowest_ms_) slowest_ms_ = ms;
        ++acknowledged_;
      }
    } catch (const std::exception& e) {
      ADD_FAILURE() << "the writer's commit failed: " << e.what();
    }
  });
}

Writer::~Writer() { stop(); }

void Writer::stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

LogCapture::LogCapture()
    : sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(1000)), previous_(spdlog::default_logger()) {
  auto logger = std::make_shared<spdlog::logger>("capture", sink_);
  logger->set_level(spdlog::level::trace);
  spdlog::set_default_logger(logger);
}

LogCapture::~LogCapture() { spdlog::set_default_logger(previous_); }

std::string LogCapture::text() const {
  std::string out;
  for (auto& line : sink_->last_formatted()) out += line;
  return out;
}

}  // namespace keepsake::testing
