#include "jobs/media_files.h"

#include <spdlog/spdlog.h>

#include <filesystem>

#include "common/error.h"

namespace keepsake::jobs {

namespace fs = std::filesystem;

MediaFiles::MediaFiles(const std::string& media_location) {
  if (media_location.empty() || media_location[0] != '/') {
    throw Error(ErrorKind::kInvalidArgument,
                "the media location \"" + media_location + "\" is not an absolute path",
                "set IMMICH_MEDIA_LOCATION to an absolute folder");
  }
  root_ = fs::weakly_canonical(media_location).string();
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
}

// The real location of `path`'s parent folder plus its own name, so a final symlink stays a link.
std::string MediaFiles::resolve(const std::string& path) const {
  if (path.empty() || path[0] != '/') return "";
  fs::path p = fs::path(path).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  if (p.filename() == ".." || p.filename() == ".") return "";
  std::error_code ec;
  fs::path parent = fs::weakly_canonical(p.parent_path(), ec);
  if (ec) return "";
  std::string real = (parent / p.filename()).string();
  if (real.size() <= root_.size() + 1 || real.compare(0, root_.size(), root_) != 0 ||
      real[root_.size()] != '/') {
    return "";
  }
  return real;
}

bool MediaFiles::contains(const std::string& path) const { return !resolve(path).empty(); }

bool MediaFiles::remove_file(const std::string& path) {
  std::string real = resolve(path);
  if (real.empty()) {
    ++refused_;
    spdlog::warn("Refusing to delete \"{}\": it is outside the media location {}", path, root_);
    return false;
  }
  std::error_code ec;
  auto status = fs::symlink_status(real, ec);
  if (ec || !fs::exists(status)) return false;
  if (fs::is_directory(status)) {
    ++refused_;
    spdlog::warn("Refusing to delete \"{}\": it is a folder, not a file", path);
    return false;
  }
  if (!fs::remove(real, ec) || ec) {
    throw Error(ErrorKind::kIo, "cannot delete \"" + path + "\": " + ec.message());
  }
  return true;
}

bool MediaFiles::remove_tree(const std::string& path) {
  std::string real = resolve(path);
  if (real.empty()) {
    ++refused_;
    spdlog::warn("Refusing to delete \"{}\": it is outside the media location {}", path, root_);
    return false;
  }
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(real, ec))) return false;
  auto removed = fs::remove_all(real, ec);
  if (ec) throw Error(ErrorKind::kIo, "cannot delete \"" + path + "\": " + ec.message());
  return removed > 0;
}

}  // namespace keepsake::jobs
