#include "http/access_log.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace keepsake::http {
namespace {

thread_local std::chrono::steady_clock::time_point request_start;

// Control characters would let a client forge log lines.
std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) out.push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c);
  return out;
}

}  // namespace

std::string request_for_log(const httplib::Request& req) { return printable(req.method) + " " + printable(req.path); }

void access_log_start() { request_start = std::chrono::steady_clock::now(); }

std::string access_log_line(const httplib::Request& req, const httplib::Response& res,
                            std::chrono::nanoseconds duration) {
  double ms = std::chrono::duration<double, std::milli>(duration).count();
  return fmt::format("{} {} {:.1f}ms", request_for_log(req), res.status, ms);
}

void access_log_finish(const httplib::Request& req, const httplib::Response& res) {
  auto duration = std::chrono::steady_clock::now() - request_start;
  spdlog::info("{}", access_log_line(req, res, duration));
}

}  // namespace keepsake::http
