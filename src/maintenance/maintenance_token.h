// The maintenance login token (spec §6.4): an HS256 JWT whose key is the UTF-8 bytes of the
// 128-character hex secret, with claims {username, iat, exp = iat + 4 h}, as jose 5 writes and
// checks it (header {"alg":"HS256"}). Verification refuses any other algorithm, a bad signature
// (compared in constant time) and an expired token. Never logs a token.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace keepsake::maintenance {

inline constexpr std::chrono::seconds kTokenLifetime{4 * 3600};
inline constexpr const char* kMaintenanceCookie = "immich_maintenance_token";
inline constexpr long kMaintenanceCookieMaxAge = 24 * 3600;

// The username is shown, not trusted: a longer one is cut to this many bytes (at a UTF-8
// boundary), so that every token signed also verifies (tokens over 4096 bytes are refused) and
// fits the browser's cookie (about 4 KiB each).
inline constexpr size_t kTokenUsernameMaxBytes = 256;

std::string sign_maintenance_token(const std::string& secret, const std::string& username,
                                   std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

// The username a token signed for `username` carries (cut to kTokenUsernameMaxBytes). Pure.
std::string shown_username(const std::string& username);

// The token's username when it is valid for this secret at `now`; nullopt otherwise.
std::optional<std::string> verify_maintenance_token(
    const std::string& secret, const std::string& token,
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

// base64url without padding, and back (nullopt for invalid input). Pure.
std::string base64url(const std::string& bytes);
std::optional<std::string> from_base64url(const std::string& text);

}  // namespace keepsake::maintenance
