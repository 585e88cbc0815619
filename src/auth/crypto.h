// The cryptography of Immich's credentials, so values cross over between Immich and Keepsake:
// bcrypt (cost 10, $2b$) password hashes via libxcrypt, session tokens / API keys as 32 random
// bytes base64-encoded with every non-word character removed, stored as their SHA-256 digest.
// Comparisons run in constant time. Never logs its inputs.
#pragma once

#include <string>
#include <string_view>

namespace keepsake::auth {

inline constexpr int kBcryptCost = 10;

// A new bcrypt hash ("$2b$10$...") with a random salt. Throws kInvalidArgument for an empty
// password and kInternal when libxcrypt fails.
std::string hash_password(std::string_view password, int cost = kBcryptCost);
// True when the password matches a bcrypt hash ($2a$, $2b$, $2y$); false for any other or
// malformed hash. Constant-time comparison of the computed hash.
bool verify_password(std::string_view password, std::string_view hash);

// `bytes` random bytes from OpenSSL's CSPRNG.
std::string random_bytes(size_t bytes);
// Immich's token: base64 of 32 random bytes, every non-word character ([^A-Za-z0-9_]) removed.
std::string new_token();
// The raw 32-byte SHA-256 digest (what session.token and api_key.key store).
std::string sha256(std::string_view data);
// Constant-time equality of two byte strings (length mismatch is not secret).
bool constant_time_equal(std::string_view a, std::string_view b);

std::string base64(std::string_view bytes);
std::string to_hex(std::string_view bytes);

}  // namespace keepsake::auth
