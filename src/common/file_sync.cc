#include "common/file_sync.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "common/error.h"

namespace keepsake {

void fsync_path(const std::string& path, bool directory) {
  int fd = open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0 || fsync(fd) != 0) {
    int e = errno;
    if (fd >= 0) close(fd);
    throw Error(ErrorKind::kIo, "cannot fsync " + path + ": " + std::strerror(e));
  }
  close(fd);
}

void rename_durably(const std::string& from, const std::string& to) {
  std::error_code ec;
  std::filesystem::rename(from, to, ec);
  if (ec) throw Error(ErrorKind::kIo, "cannot rename " + from + " to " + to + ": " + ec.message());
  fsync_path(std::filesystem::path(to).parent_path().string(), true);
}

void write_file_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
    if (!out.flush()) throw Error(ErrorKind::kIo, "cannot write " + tmp + ": " + std::strerror(errno));
  }
  fsync_path(tmp, false);
  rename_durably(tmp, path);
}

}  // namespace keepsake
