// Immich's database-backup routes (spec §5.4): list, download (streamed, Range), delete, and a
// streamed multipart upload with a size limit that is checked (a real gzip stream with a complete
// dump inside, or a complete plain SQL dump) before it is kept as uploaded-<name>.
// Every name is validated before it touches the filesystem; symlinks are never followed.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <random>

#include "app/app_context.h"
#include "backup/backup_files.h"
#include "backup/backup_service.h"
#include "http/maintenance_guard.h"
#include "http/routes.h"

namespace keepsake::http {
namespace {

namespace fs = std::filesystem;

// KEEPSAKE_UPLOAD_LIMIT_MB (64 GiB unless configured; also when no app context is given).
uint64_t upload_limit(const RouteDeps& deps) {
  return (deps.app ? deps.app->config().upload_limit_mb : Config{}.upload_limit_mb) << 20;
}

std::string folder(const RouteDeps& deps) {
  if (!deps.app) throw Error(ErrorKind::kInternal, "backup routes need the app context");
  return backup::backups_folder(deps.app->config().media_location);
}

void check_param(const std::string& name) {
  if (!backup::is_valid_filename_param(name)) {
    throw Error(ErrorKind::kInvalidArgument, "Filename contains invalid characters");
  }
}

void list(RequestContext& ctx, const RouteDeps& deps) {
  nlohmann::json backups = nlohmann::json::array();
  std::string tz = backup::server_timezone();
  for (auto& f : backup::list_backups(folder(deps))) {
    backups.push_back({{"filename", f.filename}, {"filesize", f.filesize}, {"timezone", tz}});
  }
  send_json(ctx.response(), {{"backups", backups}});
}

void download(RequestContext& ctx, const RouteDeps& deps) {
  std::string name = ctx.path_param("filename");
  check_param(name);
  std::string path = backup::resolve_backup_path(folder(deps), name);
  bool gz = name.size() > 3 && name.compare(name.size() - 3, 3, ".gz") == 0;
  send_file(ctx, path, {.content_type = gz ? "application/gzip" : "application/sql",
                        .download_name = name,
                        .cache_control = "private, no-cache, no-transform"});
}

void remove(RequestContext& ctx, const RouteDeps& deps) {
  auto body = ctx.json_body();
  if (!body.is_object() || !body.contains("backups") || !body["backups"].is_array()) {
    throw Error(ErrorKind::kInvalidArgument, "backups must be an array");
  }
  std::vector<std::string> names;
  for (auto& n : body["backups"]) {
    if (!n.is_string()) throw Error(ErrorKind::kInvalidArgument, "Invalid backup name!");
    names.push_back(n.get<std::string>());
  }
  backup::delete_backups(folder(deps), names);
  send_no_content(ctx.response());
}

// A part file in the backups folder whose name never matches the backup name rules.
class PartFile {
 public:
  explicit PartFile(const std::string& dir) {
    std::random_device rd;
    path_ = dir + "/.upload-" + std::to_string(rd()) + std::to_string(rd()) + ".part";
    fd_ = open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, backup::kBackupFileMode);
    if (fd_ < 0) throw Error(ErrorKind::kIo, "cannot create " + path_ + ": " + std::strerror(errno));
    backup::make_readable_by_all(fd_, path_);
  }
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
    if (fsync(fd_) != 0 || close(fd_) != 0) {
      fd_ = -1;
      throw Error(ErrorKind::kIo, "cannot write the upload to disk: " + std::string(std::strerror(errno)));
    }
    fd_ = -1;
  }
  void keep_as(const std::string& target) {
    if (rename(path_.c_str(), target.c_str()) != 0) {
      throw Error(ErrorKind::kIo, "cannot store the upload: " + std::string(std::strerror(errno)));
    }
    kept_ = true;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
  bool kept_ = false;
};

// A dump is accepted when it is complete: a valid gzip stream (or plain SQL) ending with the
// completion trailer of pg_dump or pg_dumpall (Immich <= 2.4 wrote cluster dumps).
void check_upload(const std::string& path) {
  try {
    backup::verify_backup_file(path);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::kCorrupt) throw;
    throw Error(ErrorKind::kInvalidArgument, std::string("The upload is not a usable backup: ") + e.what());
  }
}

void upload(RequestContext& ctx, const RouteDeps& deps, uint64_t limit) {
  std::string dir = folder(deps);
  fs::create_directories(dir);
  std::optional<PartFile> part;
  std::string target_name, problem;
  uint64_t bytes = 0;
  bool in_file = false, seen_file = false;
  bool ok = ctx.read_multipart(
      [&](const httplib::MultipartFormData& header) {
        in_file = header.name == "file";
        if (!in_file) return true;
        if (seen_file) return problem = "Only one file may be uploaded", false;
        seen_file = true;
        try {
          target_name = backup::uploaded_backup_name(header.filename);
        } catch (const Error& e) {
          return problem = e.what(), false;
        }
        part.emplace(dir);
        return true;
      },
      [&](const char* data, size_t n) {
        if (!in_file) return true;
        bytes += n;
        if (bytes > limit) return problem = "too large", false;
        if (!part->write(data, n)) return problem = std::string("disk: ") + std::strerror(errno), false;
        return true;
      });
  if (problem == "too large") {
    send_error(ctx.response(), 413,
               "The backup is larger than the upload limit of " + std::to_string(limit >> 20) +
                   " MiB (KEEPSAKE_UPLOAD_LIMIT_MB)");
    return;
  }
  if (!problem.empty()) throw Error(ErrorKind::kInvalidArgument, problem);
  if (!ok) throw Error(ErrorKind::kInvalidArgument, "The upload was cut short");
  if (!seen_file) throw Error(ErrorKind::kInvalidArgument, "Missing multipart field 'file'");
  part->finish();
  check_upload(part->path());
  part->keep_as(dir + "/" + target_name);
  send_json(ctx.response(), nlohmann::json::object(), 201);
}

// The same four routes in both route sets: an admin with the permission in normal mode, the
// maintenance token in maintenance mode.
void add_backup_routes(RouteTable& routes, const RouteDeps& deps,
                       const std::function<RouteOptions(const char* permission)>& access,
                       const std::function<Handler(Handler)>& guard) {
  routes.get("/api/admin/database-backups", access("maintenance"),
             guard([&deps](RequestContext& ctx) { list(ctx, deps); }));
  routes.get("/api/admin/database-backups/:filename", access("backup.download"),
             guard([&deps](RequestContext& ctx) { download(ctx, deps); }));
  routes.del("/api/admin/database-backups", access("backup.delete"),
             guard([&deps](RequestContext& ctx) { remove(ctx, deps); }));
  RouteOptions upload_options = access("backup.upload");
  upload_options.body = BodyMode::kStreamed;
  upload_options.max_body_bytes = upload_limit(deps);
  routes.post("/api/admin/database-backups/upload", upload_options,
              guard([&deps, limit = upload_options.max_body_bytes](RequestContext& ctx) { upload(ctx, deps, limit); }));
}

}  // namespace

KEEPSAKE_ROUTES(database_backups, kNormalRoutes, [](RouteTable& routes, const RouteDeps& deps) {
  add_backup_routes(
      routes, deps, [](const char* permission) { return RouteOptions{Access::kAdmin, permission}; },
      [](Handler h) { return h; });
});

KEEPSAKE_ROUTES(database_backups_maintenance, kMaintenanceRoutes, [](RouteTable& routes, const RouteDeps& deps) {
  add_backup_routes(
      routes, deps, [](const char*) { return RouteOptions{Access::kPublic}; },
      [&deps](Handler h) { return with_maintenance_token(deps, std::move(h)); });
});

}  // namespace keepsake::http
