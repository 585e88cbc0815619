// Immich's storage layout (spec §8, StorageCore): the managed folders under the media location, in
// Immich's order, and the path builders for every kind of file Immich writes there. Builders only
// compute strings: they never touch the filesystem or the database, and they refuse ids or names
// that would leave their folder.
#pragma once

#include <array>
#include <string>
#include <string_view>

namespace keepsake::storage {

// Immich's StorageFolder, in its iteration order.
enum class StorageFolder { kEncodedVideo, kLibrary, kUpload, kProfile, kThumbs, kBackups };

inline constexpr std::array<StorageFolder, 6> kStorageFolders = {
    StorageFolder::kEncodedVideo, StorageFolder::kLibrary, StorageFolder::kUpload,
    StorageFolder::kProfile,      StorageFolder::kThumbs,  StorageFolder::kBackups};

// "encoded-video", "library", "upload", "profile", "thumbs", "backups".
const char* folder_name(StorageFolder folder);

// Immich's AssetFileType values used in generated file names.
enum class GeneratedImage { kThumbnail, kPreview, kFullsize };
const char* generated_image_name(GeneratedImage type);

// The media location with one trailing '/' removed; throws kInvalidArgument unless absolute.
std::string normalize_media_location(std::string_view media_location);

// Builds the paths under one media location.
class StorageLayout {
 public:
  explicit StorageLayout(std::string_view media_location);

  const std::string& media_location() const { return media_location_; }

  // <M>/<folder>
  std::string base_folder(StorageFolder folder) const;
  // <M>/<folder>/<ownerId>/<name[0..2)>/<name[2..4)>
  std::string nested_folder(StorageFolder folder, std::string_view owner_id,
                            std::string_view name) const;
  // <M>/<folder>/.immich
  std::string mount_marker(StorageFolder folder) const;

  // Uploaded original with the storage template off: <nested upload folder>/<uuid><ext>, the
  // extension taken from the client's file name and sanitised.
  std::string original(std::string_view user_id, std::string_view uuid,
                       std::string_view client_file_name) const;
  // Uploaded sidecar: same folder, <uuid>.xmp.
  std::string sidecar(std::string_view user_id, std::string_view uuid) const;
  // <M>/profile/<userId>/<uuid><ext>
  std::string profile_image(std::string_view user_id, std::string_view uuid,
                            std::string_view client_file_name) const;
  // <M>/thumbs/<ownerId>/<id[0..2)>/<id[2..4)>/<assetId>_<type>[_edited].<format>
  std::string generated_image(std::string_view owner_id, std::string_view asset_id,
                              GeneratedImage type, std::string_view format,
                              bool edited = false) const;
  std::string thumbnail(std::string_view owner_id, std::string_view asset_id,
                        std::string_view format, bool edited = false) const;
  std::string preview(std::string_view owner_id, std::string_view asset_id,
                      std::string_view format, bool edited = false) const;
  std::string fullsize(std::string_view owner_id, std::string_view asset_id,
                       std::string_view format, bool edited = false) const;
  // <M>/encoded-video/<ownerId>/<id[0..2)>/<id[2..4)>/<assetId>.mp4
  std::string encoded_video(std::string_view owner_id, std::string_view asset_id) const;
  // <M>/encoded-video/<ownerId>/<u[0..2)>/<u[2..4)>/<uuid>-MP.mp4 (Android motion part)
  std::string android_motion(std::string_view owner_id, std::string_view uuid) const;
  // <M>/thumbs/<ownerId>/<pid[0..2)>/<pid[2..4)>/<personId>.jpeg
  std::string person_thumbnail(std::string_view owner_id, std::string_view person_id) const;
  // <M>/backups/<name>
  std::string backup(std::string_view file_name) const;

  // Immich's isImmichPath: the lexically resolved path plus '/' starts with "<M>/".
  bool contains(std::string_view path) const;

 private:
  std::string media_location_;
};

// The extension of a file name ("IMG.JPG" -> ".JPG", "a" -> ""), as Node's path.extname.
std::string extension_of(std::string_view file_name);
// Removes what npm's sanitize-filename removes: / ? < > \ : * | " and control characters,
// names made only of dots, trailing dots and spaces; truncates to 255 bytes.
std::string sanitize_file_name(std::string_view name);

}  // namespace keepsake::storage
