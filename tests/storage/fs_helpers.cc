#include "storage/fs_helpers.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace keepsake::storage::testing {
namespace fs = std::filesystem;

namespace {

bool set_immutable(const std::string& path, bool on) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return false;
  int flags = 0;
  bool ok = ::ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0;
  if (ok) {
    flags = on ? (flags | FS_IMMUTABLE_FL) : (flags & ~FS_IMMUTABLE_FL);
    ok = ::ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0;
  }
  ::close(fd);
  return ok;
}

bool bind_read_only(const std::string& dir) {
  if (::mount(dir.c_str(), dir.c_str(), nullptr, MS_BIND, nullptr) != 0) return false;
  if (::mount(nullptr, dir.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr) != 0) {
    ::umount2(dir.c_str(), MNT_DETACH);
    return false;
  }
  return true;
}

}  // namespace

void write_text(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool cannot_create_in(const std::string& dir) {
  auto probe = dir + "/.probe-write";
  int fd = ::open(probe.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) return true;
  ::close(fd);
  ::unlink(probe.c_str());
  return false;
}

ReadOnlyFolder::ReadOnlyFolder(std::string dir) : dir_(std::move(dir)) {
  if (bind_read_only(dir_) && cannot_create_in(dir_)) {
    method_ = "bind-mount";
    return;
  }
  bool ok = set_immutable(dir_, true);
  for (const auto& e : fs::directory_iterator(dir_)) ok = ok && set_immutable(e.path(), true);
  if (ok && cannot_create_in(dir_)) {
    method_ = "immutable";
    return;
  }
  for (const auto& e : fs::directory_iterator(dir_)) set_immutable(e.path(), false);
  set_immutable(dir_, false);
}

ReadOnlyFolder::~ReadOnlyFolder() {
  if (method_ == "bind-mount") ::umount2(dir_.c_str(), MNT_DETACH);
  if (method_ == "immutable") {
    set_immutable(dir_, false);
    for (const auto& e : fs::directory_iterator(dir_)) set_immutable(e.path(), false);
  }
}

EmptyMount::EmptyMount(std::string dir) : dir_(std::move(dir)) {
  mounted_ = ::mount("tmpfs", dir_.c_str(), "tmpfs", 0, "size=1m") == 0;
  if (!mounted_) {
    fs::rename(dir_, dir_ + ".aside");
    fs::create_directory(dir_);
  }
}

EmptyMount::~EmptyMount() {
  if (mounted_) {
    ::umount2(dir_.c_str(), MNT_DETACH);
    return;
  }
  std::error_code ec;
  fs::remove_all(dir_, ec);
  fs::rename(dir_ + ".aside", dir_, ec);
}

SmallDisk::SmallDisk(std::string dir, const std::string& size) : dir_(std::move(dir)) {
  fs::create_directories(dir_);
  mounted_ = ::mount("tmpfs", dir_.c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0;
}

SmallDisk::~SmallDisk() {
  if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
}

uint64_t SmallDisk::free_bytes() const {
  struct statvfs s {};
  if (::statvfs(dir_.c_str(), &s) != 0) return 0;
  return static_cast<uint64_t>(s.f_bavail) * s.f_frsize;
}

}  // namespace keepsake::storage::testing
