// The maintenance token (src/maintenance/maintenance_token): verifying any text never crashes and
// accepts nothing it did not sign; a token it signs verifies with the same (shown) username and
// fits a cookie; base64url decodes what it encodes.
#include <chrono>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "fuzz_support.h"
#include "maintenance/maintenance_token.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace keepsake::maintenance;
  const std::string secret(128, 'a');
  const auto now = std::chrono::system_clock::from_time_t(1767225600);
  keepsake::fuzz::Input in(data, size);
  std::string username(in.field());
  std::string token(in.rest());
  if (verify_maintenance_token(secret, token, now)) {
    // A token accepted for one secret depends on it.
    if (verify_maintenance_token(std::string(128, 'b'), token, now)) std::abort();
  }
  (void)from_base64url(token);
  std::string signed_token = sign_maintenance_token(secret, username, now);
  auto back = verify_maintenance_token(secret, signed_token, now);
  bool utf8 = !nlohmann::json::parse(nlohmann::json(username).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
                   .get<std::string>()
                   .compare(username);
  if (!back || (utf8 && *back != shown_username(username))) std::abort();
  if (signed_token.size() > 4096) std::abort();
  if (verify_maintenance_token(secret, signed_token, now + std::chrono::hours(5))) std::abort();
  if (verify_maintenance_token(std::string(128, 'b'), signed_token, now)) std::abort();
  auto decoded = from_base64url(base64url(username));
  if (!decoded || *decoded != username) std::abort();
  return 0;
}
