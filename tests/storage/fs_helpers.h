// Filesystem helpers for storage tests: write/read small files, and make a folder read-only in a
// way that also stops root (a read-only bind mount, else the immutable attribute), or mount an
// empty tmpfs over a folder. Each guard undoes its change when it goes away.
#pragma once

#include <cstdint>
#include <string>

namespace keepsake::storage::testing {

void write_text(const std::string& path, const std::string& text);  // creates parent folders
std::string read_text(const std::string& path);

// True when root really cannot create a file in `dir` right now.
bool cannot_create_in(const std::string& dir);

class ReadOnlyFolder {
 public:
  explicit ReadOnlyFolder(std::string dir);
  ~ReadOnlyFolder();
  ReadOnlyFolder(const ReadOnlyFolder&) = delete;
  ReadOnlyFolder& operator=(const ReadOnlyFolder&) = delete;
  // "bind-mount", "immutable", or "" when neither works here (the test should skip).
  const std::string& method() const { return method_; }

 private:
  std::string dir_;
  std::string method_;
};

// An empty tmpfs mounted over `dir` (as when a volume is mounted empty); falls back to moving the
// folder aside and creating an empty one.
class EmptyMount {
 public:
  explicit EmptyMount(std::string dir);
  ~EmptyMount();
  EmptyMount(const EmptyMount&) = delete;
  EmptyMount& operator=(const EmptyMount&) = delete;

 private:
  std::string dir_;
  bool mounted_ = false;
};

// A small, empty tmpfs of `size` (e.g. "512k") mounted over `dir`, to fill a disk for real.
// mounted() is false where mounting is not allowed (the test should skip).
class SmallDisk {
 public:
  SmallDisk(std::string dir, const std::string& size);
  ~SmallDisk();
  SmallDisk(const SmallDisk&) = delete;
  SmallDisk& operator=(const SmallDisk&) = delete;
  bool mounted() const { return mounted_; }
  // Free bytes on it now.
  uint64_t free_bytes() const;

 private:
  std::string dir_;
  bool mounted_ = false;
};

}  // namespace keepsake::storage::testing
