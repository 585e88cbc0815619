#include "auth/crypto.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <memory>

#include "common/error.h"

namespace keepsake::auth {
namespace {

bool is_bcrypt(std::string_view hash) {
  return hash.size() == 60 && (hash.starts_with("$2a$") || hash.starts_with("$2b$") ||
                               hash.starts_with("$2y$"));
}

bool is_word_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

}  // namespace

std::string hash_password(std::string_view password, int cost) {
  if (password.empty()) throw Error(ErrorKind::kInvalidArgument, "password must not be empty");
  std::string salt_random = random_bytes(16);
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  if (!crypt_gensalt_rn("$2b$", cost, salt_random.data(), static_cast<int>(salt_random.size()),
                        salt, sizeof(salt))) {
    throw Error(ErrorKind::kInternal, "cannot create a bcrypt salt");
  }
  auto data = std::make_unique<crypt_data>();
  std::string pw(password);
  const char* out = crypt_r(pw.c_str(), salt, data.get());
  OPENSSL_cleanse(pw.data(), pw.size());
  if (!out || out[0] == '*') throw Error(ErrorKind::kInternal, "bcrypt hashing failed");
  std::string hash(out);
  OPENSSL_cleanse(data.get(), sizeof(crypt_data));
  return hash;
}

bool verify_password(std::string_view password, std::string_view hash) {
  if (!is_bcrypt(hash) || password.empty()) return false;
  auto data = std::make_unique<crypt_data>();
  std::string pw(password);
  std::string setting(hash);
  const char* out = crypt_r(pw.c_str(), setting.c_str(), data.get());
  OPENSSL_cleanse(pw.data(), pw.size());
  bool ok = out && out[0] != '*' && constant_time_equal(out, hash);
  OPENSSL_cleanse(data.get(), sizeof(crypt_data));
  return ok;
}

std::string random_bytes(size_t bytes) {
  std::string out(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(bytes)) != 1) {
    throw Error(ErrorKind::kInternal, "the random number generator failed");
  }
  return out;
}

std::string base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string new_token() {
  std::string encoded = base64(random_bytes(32));
  std::string token;
  for (char c : encoded) {
    if (is_word_char(c)) token.push_back(c);
  }
  return token;
}

std::string sha256(std::string_view data) {
  std::string digest(SHA256_DIGEST_LENGTH, '\0');
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
         reinterpret_cast<unsigned char*>(digest.data()));
  return digest;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string to_hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

}  // namespace keepsake::auth
