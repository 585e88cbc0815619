#include "storage/layout.h"

#include <filesystem>

#include "common/error.h"

namespace keepsake::storage {
namespace {

// A single path component taken from an id or a name: never empty, never "." or "..", no '/'.
std::string_view checked_component(std::string_view what, std::string_view value) {
  bool bad = value.empty() || value == "." || value == ".." ||
             value.find('/') != std::string_view::npos ||
             value.find('\0') != std::string_view::npos;
  if (bad) {
    throw Error(ErrorKind::kInvalidArgument,
                std::string(what) + " \"" + std::string(value) + "\" cannot be used in a file path",
                "it must be a non-empty name without '/'");
  }
  return value;
}

bool is_control(unsigned char c) { return c < 0x20 || c == 0x7f; }

}  // namespace

const char* folder_name(StorageFolder folder) {
  switch (folder) {
    case StorageFolder::kEncodedVideo: return "encoded-video";
    case StorageFolder::kLibrary: return "library";
    case StorageFolder::kUpload: return "upload";
    case StorageFolder::kProfile: return "profile";
    case StorageFolder::kThumbs: return "thumbs";
    case StorageFolder::kBackups: return "backups";
  }
  return "";
}

const char* generated_image_name(GeneratedImage type) {
  switch (type) {
    case GeneratedImage::kThumbnail: return "thumbnail";
    case GeneratedImage::kPreview: return "preview";
    case GeneratedImage::kFullsize: return "fullsize";
  }
  return "";
}

std::string normalize_media_location(std::string_view media_location) {
  std::string m(media_location);
  if (m.empty() || m[0] != '/') {
    throw Error(ErrorKind::kInvalidArgument,
                "media location \"" + m + "\" is not an absolute path",
                "IMMICH_MEDIA_LOCATION must be an absolute path");
  }
  if (m.size() > 1 && m.back() == '/') m.pop_back();
  return m;
}

std::string extension_of(std::string_view file_name) {
  auto slash = file_name.rfind('/');
  std::string_view base = slash == std::string_view::npos ? file_name : file_name.substr(slash + 1);
  auto dot = base.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return "";
  return std::string(base.substr(dot));
}

std::string sanitize_file_name(std::string_view name) {
  std::string out;
  for (char ch : name) {
    auto c = static_cast<unsigned char>(ch);
    if (is_control(c) || std::string_view("/?<>\\:*|\"").find(ch) != std::string_view::npos) {
      continue;
    }
    out.push_back(ch);
  }
  if (out.find_first_not_of('.') == std::string::npos) return "";
  while (!out.empty() && (out.back() == '.' || out.back() == ' ')) out.pop_back();
  if (out.size() > 255) out.resize(255);
  return out;
}

StorageLayout::StorageLayout(std::string_view media_location)
    : media_location_(normalize_media_location(media_location)) {}

std::string StorageLayout::base_folder(StorageFolder folder) const {
  if (media_location_ == "/") return std::string("/") + folder_name(folder);
  return media_location_ + "/" + folder_name(folder);
}

std::string StorageLayout::nested_folder(StorageFolder folder, std::string_view owner_id,
                                         std::string_view name) const {
  checked_component("owner id", owner_id);
  checked_component("file name", name);
  if (name.size() < 4) {
    throw Error(ErrorKind::kInvalidArgument,
                "file name \"" + std::string(name) + "\" is too short to nest",
                "use the asset's or person's UUID");
  }
  return base_folder(folder) + "/" + std::string(owner_id) + "/" + std::string(name.substr(0, 2)) +
         "/" + std::string(name.substr(2, 2));
}

std::string StorageLayout::mount_marker(StorageFolder folder) const {
  return base_folder(folder) + "/.immich";
}

std::string StorageLayout::original(std::string_view user_id, std::string_view uuid,
                                    std::string_view client_file_name) const {
  auto name = sanitize_file_name(std::string(uuid) + extension_of(client_file_name));
  return nested_folder(StorageFolder::kUpload, user_id, uuid) + "/" + name;
}

std::string StorageLayout::sidecar(std::string_view user_id, std::string_view uuid) const {
  return nested_folder(StorageFolder::kUpload, user_id, uuid) + "/" + std::string(uuid) + ".xmp";
}

std::string StorageLayout::profile_image(std::string_view user_id, std::string_view uuid,
                                         std::string_view client_file_name) const {
  checked_component("user id", user_id);
  checked_component("file name", uuid);
  auto name = sanitize_file_name(std::string(uuid) + extension_of(client_file_name));
  return base_folder(StorageFolder::kProfile) + "/" + std::string(user_id) + "/" + name;
}

std::string StorageLayout::generated_image(std::string_view owner_id, std::string_view asset_id,
                                           GeneratedImage type, std::string_view format,
                                           bool edited) const {
  checked_component("image format", format);
  return nested_folder(StorageFolder::kThumbs, owner_id, asset_id) + "/" + std::string(asset_id) +
         "_" + generated_image_name(type) + (edited ? "_edited" : "") + "." + std::string(format);
}

std::string StorageLayout::thumbnail(std::string_view owner_id, std::string_view asset_id,
                                     std::string_view format, bool edited) const {
  return generated_image(owner_id, asset_id, GeneratedImage::kThumbnail, format, edited);
}

std::string StorageLayout::preview(std::string_view owner_id, std::string_view asset_id,
                                   std::string_view format, bool edited) const {
  return generated_image(owner_id, asset_id, GeneratedImage::kPreview, format, edited);
}

std::string StorageLayout::fullsize(std::string_view owner_id, std::string_view asset_id,
                                    std::string_view format, bool edited) const {
  return generated_image(owner_id, asset_id, GeneratedImage::kFullsize, format, edited);
}

std::string StorageLayout::encoded_video(std::string_view owner_id,
                                         std::string_view asset_id) const {
  return nested_folder(StorageFolder::kEncodedVideo, owner_id, asset_id) + "/" +
         std::string(asset_id) + ".mp4";
}

std::string StorageLayout::android_motion(std::string_view owner_id, std::string_view uuid) const {
  return nested_folder(StorageFolder::kEncodedVideo, owner_id, uuid) + "/" + std::string(uuid) +
         "-MP.mp4";
}

std::string StorageLayout::person_thumbnail(std::string_view owner_id,
                                            std::string_view person_id) const {
  return nested_folder(StorageFolder::kThumbs, owner_id, person_id) + "/" +
         std::string(person_id) + ".jpeg";
}

std::string StorageLayout::backup(std::string_view file_name) const {
  checked_component("backup file name", file_name);
  return base_folder(StorageFolder::kBackups) + "/" + std::string(file_name);
}

bool StorageLayout::contains(std::string_view path) const {
  namespace fs = std::filesystem;
  if (path.empty()) return false;
  fs::path p(path);
  if (!p.is_absolute()) p = fs::current_path() / p;
  std::string resolved = p.lexically_normal().string();
  if (resolved.size() > 1 && resolved.back() == '/') resolved.pop_back();
  std::string root = media_location_ == "/" ? "/" : media_location_ + "/";
  return (resolved + "/").starts_with(root);
}

}  // namespace keepsake::storage
