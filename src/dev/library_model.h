// The shape of a synthetic photo library, derived deterministically from SeedOptions: users,
// events (bursts of photos taken together by one owner at one place), assets and everything that
// hangs off them. Every fact is a pure function of (seed, index), so each table can be generated
// independently and foreign keys line up without keeping rows in memory.
// Must never touch the database or the filesystem.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dev/copy_text.h"
#include "dev/vocabulary.h"

namespace keepsake::dev {

struct SeedOptions {
  int users = 3;
  int64_t assets = 10000;
  uint64_t seed = 1;
  double spread = 0.6;             // embedding noise relative to the cluster centre
  int vectors_per_cluster = 50;    // about one embedding cluster per this many vectors
  bool write_files = false;        // also write a small file for every path the rows hold
  bool embeddings = true;          // false: no smart_search / face_search rows (dev seed --no-embeddings)
  std::string media_location;      // absolute; path columns are prefixed with it
  Timestamp now;                   // reference time (dates are spread backwards from it)
};

// Validates options; throws Error(kInvalidArgument) naming the bad flag.
void validate(const SeedOptions& options);

struct UserFacts {
  std::string id;
  std::string name;
  std::string email;
  bool is_admin = false;
  std::string avatar_color;
  Timestamp created_at;
  std::vector<int> cameras;        // indexes into cameras(), most used first
  int home_place = 0;              // index into places()
  int64_t asset_count = 0;
  int64_t bytes = 0;               // sum of original file sizes (quotaUsageInBytes)
  int64_t first_person = 0, person_count = 0;
  int64_t first_album = 0, album_count = 0;
};

struct EventFacts {
  int owner = 0;
  Timestamp start;
  std::optional<int> place;        // GPS known (about 40% of events)
  int camera = 0;
  bool burst_stack = false;        // first images form a stack
  int64_t album = -1;              // global album index, -1 when in no album
  uint64_t smart_cluster = 0;
};

enum class Visibility { kTimeline, kArchive, kHidden };

// One asset_file row of an asset: its type, its path, and its slot (which keeps its id stable).
struct DerivedFile {
  const char* type;
  std::string path;
  int slot;
};

struct AssetFacts {
  int64_t index = 0;
  int64_t event = 0;
  int owner = 0;
  std::string id;
  bool is_video = false;
  std::string original_file_name;  // e.g. IMG_0042.HEIC
  std::string extension;           // with the dot, as in the file name
  std::string original_path;       // <media>/upload/<owner>/<xx>/<yy>/<uuid><ext>
  std::string device_asset_id, device_id;
  Timestamp taken;                 // UTC instant
  int utc_offset_minutes = 0;
  std::string time_zone;
  Timestamp created_at;            // upload time
  int camera = 0;
  std::optional<int> place;
  double latitude = 0, longitude = 0;
  int width = 0, height = 0;
  int64_t file_size = 0;
  bool is_favorite = false;
  Visibility visibility = Visibility::kTimeline;
  std::optional<Timestamp> deleted_at;  // trashed
  double duration_seconds = 0;          // videos
  int face_count = 0;
  uint64_t smart_cluster = 0;
  bool in_stack = false;
  bool stack_primary = false;
  bool has_sidecar = false;  // every raw original, and about 1 asset in 25

  Timestamp local_date_time() const;
  std::string thumbnail_path(const std::string& media, const std::string& owner_id) const;
  std::string preview_path(const std::string& media, const std::string& owner_id) const;
  std::string encoded_video_path(const std::string& media, const std::string& owner_id) const;
  // An XMP sidecar beside the original: <original without extension>.xmp.
  std::string sidecar_path() const;
  // The asset_file rows: thumbnail and preview, encoded_video for videos, and the sidecar.
  std::vector<DerivedFile> derived_files(const std::string& media,
                                         const std::string& owner_id) const;
};

class LibraryModel {
 public:
  static constexpr int kAssetsPerEvent = 16;
  static constexpr int kMaxFacesPerAsset = 6;

  explicit LibraryModel(SeedOptions options);

  const SeedOptions& options() const { return options_; }
  const std::vector<UserFacts>& users() const { return users_; }
  int64_t asset_count() const { return options_.assets; }
  int64_t event_count() const { return events_; }
  int64_t person_count() const { return persons_; }
  int64_t album_count() const { return albums_; }
  int64_t face_count() const { return faces_; }
  uint64_t smart_clusters() const { return smart_clusters_; }

  EventFacts event(int64_t index) const;
  AssetFacts asset(int64_t index) const;
  // The assets of one owner, in index order.
  const std::vector<int64_t>& assets_of(int owner) const { return owner_assets_[owner]; }
  // Global person index of face `slot` of an asset (also its embedding cluster), and whether the
  // face was recognised (personId set).
  int64_t face_person(const AssetFacts& asset, int slot, bool* recognised) const;
  int person_owner(int64_t person) const;

  std::string asset_id(int64_t index) const;
  std::string face_id(int64_t asset, int slot) const;
  std::string person_id(int64_t person) const;
  std::string album_id(int64_t album) const;
  std::string stack_id(int64_t event) const;
  std::string person_thumbnail_path(int64_t person) const;
  int album_owner(int64_t album) const;
  // The first asset of an album (its thumbnail), or -1 when it has none.
  int64_t album_first_asset(int64_t album) const { return album_first_asset_[album]; }

  // The tiny stand-in file written for an asset with --files; its SHA-1 is the asset's checksum.
  std::string original_content(const AssetFacts& asset) const;
  // The tiny stand-in for a derived file (thumbnail, preview, video, sidecar, person thumbnail),
  // shaped by the path's extension.
  std::string derived_content(const std::string& path) const;
  std::string checksum(const AssetFacts& asset) const;

 private:
  std::string id_for(const char* kind, int64_t index) const;
  void plan_users();
  void plan_events();

  SeedOptions options_;
  std::vector<UserFacts> users_;
  std::vector<std::vector<int64_t>> owner_assets_;
  std::vector<int64_t> album_first_asset_;
  int64_t events_ = 0, persons_ = 0, albums_ = 0, faces_ = 0;
  uint64_t smart_clusters_ = 1;
};

}  // namespace keepsake::dev
