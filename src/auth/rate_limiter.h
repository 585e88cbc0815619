// Login abuse resistance: counts failed logins per client address and per email in a fixed
// window and refuses further attempts once a limit is reached, until the window ends. In memory,
// per process, bounded in size. Never stores passwords; emails are kept only as SHA-256 digests.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>

namespace keepsake::auth {

struct RateLimitOptions {
  int max_failures_per_address = 20;
  int max_failures_per_email = 10;
  std::chrono::seconds window{15 * 60};
  size_t max_tracked_keys = 100000;
};

class LoginRateLimiter {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  explicit LoginRateLimiter(RateLimitOptions options = {}, Clock clock = {});

  // 0 when an attempt is allowed, else the seconds until it will be.
  long retry_after(const std::string& address, const std::string& email);
  void record_failure(const std::string& address, const std::string& email);
  // A successful login clears the email's failures (not the address's).
  void record_success(const std::string& email);

 private:
  struct Window {
    std::chrono::steady_clock::time_point start;
    int failures = 0;
  };
  long blocked_for(const std::string& key, int limit, std::chrono::steady_clock::time_point now);
  void count(const std::string& key, std::chrono::steady_clock::time_point now);
  void prune(std::chrono::steady_clock::time_point now);

  RateLimitOptions options_;
  Clock clock_;
  std::mutex mu_;
  std::map<std::string, Window> windows_;
};

}  // namespace keepsake::auth
