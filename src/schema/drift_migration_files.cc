#include "schema/drift_migration_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "common/error.h"

namespace keepsake::schema {

void validate_migration_name(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 100 && std::isalpha(static_cast<unsigned char>(name[0]));
  for (char c : name) {
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-');
  }
  if (!ok) {
    throw Error(ErrorKind::kInvalidArgument, "invalid migration name '" + name + "'",
                "use 1-100 letters, digits, '_' or '-', starting with a letter, e.g. AddAssetIndex");
  }
}

std::string migration_file_name(int64_t epoch_ms, const std::string& name) {
  std::string ms = std::to_string(epoch_ms);
  if (ms.size() < 13) ms.insert(0, 13 - ms.size(), '0');
  return ms + "-" + name + ".sql";
}

std::string write_migration_file(const std::string& dir, const std::string& name,
                                 const std::string& content, int64_t epoch_ms) {
  validate_migration_name(name);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    throw Error(ErrorKind::kIo, "cannot create the migrations folder " + dir + ": " + ec.message(),
                "choose another folder with --dir");
  }
  std::string path = (std::filesystem::path(dir) / migration_file_name(epoch_ms, name)).string();
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw Error(ErrorKind::kIo, "cannot create " + path + ": " + std::strerror(errno),
                "the file was left untouched");
  }
  size_t written = 0;
  while (written < content.size()) {
    ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      ::close(fd);
      ::unlink(path.c_str());
      throw Error(ErrorKind::kIo, "cannot write " + path + ": " + std::strerror(err));
    }
    written += static_cast<size_t>(n);
  }
  if (::close(fd) != 0) throw Error(ErrorKind::kIo, "cannot write " + path);
  return path;
}

std::string migration_skeleton(const std::string& name) {
  return "-- Migration " + name +
         ": write its SQL below. Keepsake does not run this file; review it and apply it with\n"
         "-- psql --single-transaction -v ON_ERROR_STOP=1 -f <file>\n";
}

int64_t now_epoch_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace keepsake::schema
