#include "maintenance/maintenance_token.h"

#include <openssl/hmac.h>

#include <nlohmann/json.hpp>

#include "auth/crypto.h"

namespace keepsake::maintenance {
namespace {

std::string hmac_sha256(const std::string& key, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

int64_t seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace

std::string base64url(const std::string& bytes) {
  std::string s = auth::base64(bytes);
  while (!s.empty() && s.back() == '=') s.pop_back();
  for (char& c : s) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return s;
}

std::optional<std::string> from_base64url(const std::string& text) {
  static const std::string kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    auto at = kAlphabet.find(c);
    if (at == std::string::npos) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(at);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  if (bits >= 6) return std::nullopt;  // one leftover character cannot encode a byte
  return out;
}

std::string sign_maintenance_token(const std::string& secret, const std::string& username,
                                   std::chrono::system_clock::time_point now) {
  nlohmann::ordered_json payload;
  payload["username"] = shown_username(username);
  payload["iat"] = seconds(now);
  payload["exp"] = seconds(now) + kTokenLifetime.count();
  std::string signing_input = base64url(R"({"alg":"HS256"})") + "." + base64url(payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  return signing_input + "." + base64url(hmac_sha256(secret, signing_input));
}

std::string shown_username(const std::string& username) {
  if (username.size() <= kTokenUsernameMaxBytes) return username;
  size_t cut = kTokenUsernameMaxBytes;
  while (cut > 0 && (static_cast<unsigned char>(username[cut]) & 0xC0) == 0x80) --cut;  // not inside a character
  return username.substr(0, cut);
}

std::optional<std::string> verify_maintenance_token(const std::string& secret, const std::string& token,
                                                    std::chrono::system_clock::time_point now) {
  if (secret.empty() || token.size() > 4096) return std::nullopt;
  auto first = token.find('.'), second = token.rfind('.');
  if (first == std::string::npos || second == first) return std::nullopt;
  std::string signing_input = token.substr(0, second);
  auto signature = from_base64url(token.substr(second + 1));
  if (!signature || !auth::constant_time_equal(*signature, hmac_sha256(secret, signing_input))) return std::nullopt;
  auto header = from_base64url(token.substr(0, first));
  auto payload = from_base64url(token.substr(first + 1, second - first - 1));
  if (!header || !payload) return std::nullopt;
  try {
    auto h = nlohmann::json::parse(*header);
    auto p = nlohmann::json::parse(*payload);
    if (h.value("alg", "") != "HS256" || !p.contains("exp") || !p["exp"].is_number()) return std::nullopt;
    if (p["exp"].get<double>() <= static_cast<double>(seconds(now))) return std::nullopt;
    if (!p.contains("username") || !p["username"].is_string()) return std::nullopt;
    return p["username"].get<std::string>();
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

}  // namespace keepsake::maintenance
