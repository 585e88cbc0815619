// Deterministic pseudo-random numbers for the dev seeder: xoshiro256** seeded through splitmix64,
// with distributions written out here (not <random>'s, whose output differs between standard
// libraries) so that one seed gives byte-identical data everywhere.
// Must never be used for secrets, tokens or anything security-related.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace keepsake::dev {

// splitmix64's finaliser: a bijective 64-bit mix.
uint64_t mix64(uint64_t x);
// A stable 64-bit hash of a label (FNV-1a, then mixed).
uint64_t hash_label(std::string_view label);

class Prng {
 public:
  explicit Prng(uint64_t seed);
  // An independent stream for (seed, label, index): the same triple always gives the same stream,
  // whatever else was drawn before.
  static Prng stream(uint64_t seed, std::string_view label, uint64_t index = 0);

  uint64_t next();
  // Uniform in [0, 1).
  double uniform();
  // Uniform in [lo, hi] (inclusive), lo <= hi.
  int64_t between(int64_t lo, int64_t hi);
  // Uniform in [0, n), n > 0.
  uint64_t below(uint64_t n);
  bool chance(double p) { return uniform() < p; }
  // Standard normal (Box-Muller).
  double normal();
  // Index drawn with probability proportional to weights[i].
  size_t weighted(const double* weights, size_t count);

  // A random (version 4) UUID in canonical text form.
  std::string uuid();
  void fill(unsigned char* out, size_t n);

 private:
  std::array<uint64_t, 4> s_;
  double spare_normal_ = 0;
  bool has_spare_ = false;
};

}  // namespace keepsake::dev
