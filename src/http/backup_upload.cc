#include "http/backup_upload.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <random>

#include "backup/backup_files.h"
#include "backup/dump_check.h"
#include "common/error.h"
#include "common/fault_point.h"
#include "http/responses.h"

namespace keepsake::http {
namespace {

constexpr const char* kWhatToSend = "upload a complete backup made by Immich or Keepsake (.sql.gz or .sql)";

Error storage_failure(int error_number) {
  return Error(ErrorKind::kIo,
               std::string("Cannot store the upload in the backups folder: ") + std::strerror(error_number) +
                   "; check free space and permissions of the media location, then upload again");
}

// A part file in the backups folder whose name never matches the backup name rules.
class PartFile {
 public:
  explicit PartFile(const std::string& dir) {
    std::random_device rd;
    path_ = dir + "/.upload-" + std::to_string(rd()) + std::to_string(rd()) + ".part";
    fd_ = open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, backup::kBackupFileMode);
    if (fd_ < 0) throw storage_failure(errno);
    backup::make_readable_by_all(fd_, path_);
  }
  PartFile(const PartFile&) = delete;
  PartFile& operator=(const PartFile&) = delete;
  ~PartFile() {
    if (fd_ >= 0) close(fd_);
    if (!kept_) unlink(path_.c_str());
  }
  bool write(const char* data, size_t n) {
    while (n > 0) {
      ssize_t w = ::write(fd_, data, n);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return false;
      data += w, n -= static_cast<size_t>(w);
    }
    return true;
  }
  void finish() {
    bool ok = !fault::failed("backup.upload.fsync") && fsync(fd_) == 0;
    ok = close(fd_) == 0 && ok;
    fd_ = -1;
    if (!ok) throw storage_failure(errno);
  }
  void keep_as(const std::string& target) {
    if (fault::failed("backup.upload.rename") || rename(path_.c_str(), target.c_str()) != 0) throw storage_failure(errno);
    kept_ = true;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
  bool kept_ = false;
};

// A dump is accepted when it is complete: a valid gzip stream (or plain SQL) ending with the
// completion trailer of pg_dump or pg_dumpall (Immich <= 2.4 wrote cluster dumps). Errors name
// the file as the client named it.
void check_upload(const std::string& path, const std::string& client_name) {
  try {
    backup::verify_backup_file(path, {}, client_name);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::kCorrupt) throw;
    throw Error(ErrorKind::kInvalidArgument,
                std::string("The upload is not a usable backup: ") + e.what() + "; " + kWhatToSend);
  }
}

Error rejected(const std::string& message) { return Error(ErrorKind::kInvalidArgument, message); }

// What the multipart callbacks saw.
struct Reception {
  std::optional<PartFile> part;
  std::string client_name;  // the validated base name the client sent
  std::string target_name;  // uploaded-<client_name>
  uint64_t bytes = 0;
  bool in_file = false, seen_file = false, too_large = false;
  std::optional<Error> problem;
};

}  // namespace

void receive_backup_upload(RequestContext& ctx, const std::string& dir, uint64_t limit) {
  std::filesystem::create_directories(dir);
  Reception r;
  bool ok = ctx.read_multipart(
      [&](const httplib::MultipartFormData& header) {
        r.in_file = header.name == "file";
        if (!r.in_file) return true;
        if (r.seen_file) return r.problem = rejected("Only one file may be uploaded; send one multipart field 'file'"), false;
        r.seen_file = true;
        try {
          r.target_name = backup::uploaded_backup_name(header.filename);
        } catch (const Error& e) {
          return r.problem = rejected(std::string(e.what()) + " (" + e.hint() + ")"), false;
        }
        r.client_name = r.target_name.substr(backup::kUploadedPrefix.size());
        try {
          r.part.emplace(dir);
        } catch (const Error& e) {
          return r.problem = e, false;
        }
        return true;
      },
      [&](const char* data, size_t n) {
        if (!r.in_file) return true;
        r.bytes += n;
        if (r.bytes > limit) return r.too_large = true, false;
        if (fault::failed("backup.upload.write") || !r.part->write(data, n)) return r.problem = storage_failure(errno), false;
        return true;
      });
  if (r.too_large) {
    send_error(ctx.response(), 413,
               "The backup is larger than the upload limit of " + std::to_string(limit >> 20) +
                   " MiB (KEEPSAKE_UPLOAD_LIMIT_MB)");
    return;
  }
  if (r.problem) throw *r.problem;
  if (!ok && !r.seen_file) {
    throw rejected("The upload is not a complete multipart/form-data body; send the backup as the multipart field 'file'");
  }
  if (!ok) throw rejected("The upload of " + r.client_name + " was cut short; send the whole file again");
  if (!r.seen_file) throw rejected("Missing multipart field 'file'; send the backup as the multipart field 'file'");
  r.part->finish();
  check_upload(r.part->path(), r.client_name);
  r.part->keep_as(dir + "/" + r.target_name);
  send_json(ctx.response(), nlohmann::json::object(), 201);
}

}  // namespace keepsake::http
