#include "auth/rate_limiter.h"

#include <algorithm>
#include <cctype>

#include "auth/crypto.h"

namespace keepsake::auth {
namespace {

std::string address_key(const std::string& address) { return "a:" + address; }

std::string email_key(const std::string& email) {
  std::string lower = email;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return "e:" + sha256(lower);
}

}  // namespace

LoginRateLimiter::LoginRateLimiter(RateLimitOptions options, Clock clock)
    : options_(options), clock_(std::move(clock)) {
  if (!clock_) clock_ = [] { return std::chrono::steady_clock::now(); };
}

long LoginRateLimiter::blocked_for(const std::string& key, int limit,
                                   std::chrono::steady_clock::time_point now) {
  auto it = windows_.find(key);
  if (it == windows_.end()) return 0;
  auto end = it->second.start + options_.window;
  if (now >= end) {
    windows_.erase(it);
    return 0;
  }
  if (it->second.failures < limit) return 0;
  auto left = std::chrono::ceil<std::chrono::seconds>(end - now).count();
  return std::max<long>(1, left);
}

long LoginRateLimiter::retry_after(const std::string& address, const std::string& email) {
  std::lock_guard lock(mu_);
  auto now = clock_();
  return std::max(blocked_for(address_key(address), options_.max_failures_per_address, now),
                  blocked_for(email_key(email), options_.max_failures_per_email, now));
}

void LoginRateLimiter::count(const std::string& key, std::chrono::steady_clock::time_point now) {
  auto& w = windows_[key];
  if (w.failures == 0 || now >= w.start + options_.window) w = {now, 0};
  ++w.failures;
}

void LoginRateLimiter::prune(std::chrono::steady_clock::time_point now) {
  if (windows_.size() < options_.max_tracked_keys) return;
  std::erase_if(windows_, [&](const auto& e) { return now >= e.second.start + options_.window; });
  // Still full of live windows: forget the oldest half rather than grow without bound.
  while (windows_.size() >= options_.max_tracked_keys) {
    auto oldest = std::min_element(windows_.begin(), windows_.end(), [](auto& a, auto& b) {
      return a.second.start < b.second.start;
    });
    windows_.erase(oldest);
  }
}

void LoginRateLimiter::record_failure(const std::string& address, const std::string& email) {
  std::lock_guard lock(mu_);
  auto now = clock_();
  prune(now);
  count(address_key(address), now);
  count(email_key(email), now);
}

void LoginRateLimiter::record_success(const std::string& email) {
  std::lock_guard lock(mu_);
  windows_.erase(email_key(email));
}

}  // namespace keepsake::auth
