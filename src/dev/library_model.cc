#include "dev/library_model.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "common/error.h"
#include "dev/prng.h"

namespace keepsake::dev {
namespace {

constexpr double kDay = 86400;
constexpr double kYear = 365.25 * kDay;
constexpr double kFaceCountWeights[] = {0.30, 0.25, 0.20, 0.12, 0.08, 0.03, 0.02};

// ASCII e-mail local part from a display name ("Chloé O'Brien" -> "chloe.obrien").
std::string email_part(std::string_view name) {
  static const std::pair<std::string_view, char> kFold[] = {
      {"é", 'e'}, {"è", 'e'}, {"ê", 'e'}, {"ë", 'e'}, {"á", 'a'}, {"à", 'a'}, {"ä", 'a'},
      {"â", 'a'}, {"ó", 'o'}, {"ö", 'o'}, {"ô", 'o'}, {"ø", 'o'}, {"ü", 'u'}, {"ú", 'u'},
      {"í", 'i'}, {"ï", 'i'}, {"ç", 'c'}, {"ñ", 'n'}, {"Ö", 'o'}, {"Ø", 'o'}};
  std::string out;
  for (size_t i = 0; i < name.size();) {
    bool folded = false;
    for (const auto& [from, to] : kFold) {
      if (name.substr(i, from.size()) == from) {
        out += to;
        i += from.size();
        folded = true;
        break;
      }
    }
    if (folded) continue;
    char c = name[i++];
    if (c >= 'A' && c <= 'Z') out += static_cast<char>(c - 'A' + 'a');
    else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) out += c;
  }
  return out;
}

std::string nested(const std::string& media, const char* folder, const std::string& owner,
                   const std::string& name) {
  return media + "/" + folder + "/" + owner + "/" + name.substr(0, 2) + "/" + name.substr(2, 2) +
         "/" + name;
}

std::string format_counter(const char* pattern, int64_t n) {
  char buf[64];
  std::snprintf(buf, sizeof buf, pattern, static_cast<long long>(n));
  return buf;
}

// "PXL_20230512_142233123" style local time stamps for phone file names.
std::string compact_local_time(Timestamp local, const char* date_time_sep, bool millis) {
  std::string t = format_timestamp(local);  // 2023-05-12 14:22:33.123456+00
  std::string out = t.substr(0, 4) + t.substr(5, 2) + t.substr(8, 2) + date_time_sep +
                    t.substr(11, 2) + t.substr(14, 2) + t.substr(17, 2);
  if (millis) out += t.substr(20, 3);
  return out;
}

struct Naming {
  std::string name;
  std::string ext;
};

Naming file_name(FileNaming naming, bool video, bool raw, int64_t counter, Timestamp local) {
  switch (naming) {
    case FileNaming::kIphone:
      return {format_counter("IMG_%04lld", counter), video ? ".MOV" : raw ? ".JPG" : ".HEIC"};
    case FileNaming::kPixel:
      return {"PXL_" + compact_local_time(local, "_", true), video ? ".mp4" : ".jpg"};
    case FileNaming::kSamsung:
      return {compact_local_time(local, "_", false), video ? ".mp4" : ".jpg"};
    case FileNaming::kCanon:
      return {format_counter(video ? "MVI_%04lld" : "IMG_%04lld", counter),
              video ? ".MP4" : raw ? ".CR2" : ".JPG"};
    case FileNaming::kSony:
      return {format_counter(video ? "C%04lld" : "DSC%05lld", counter),
              video ? ".MP4" : raw ? ".ARW" : ".JPG"};
    case FileNaming::kNikon:
      return {format_counter("DSC_%04lld", counter), video ? ".MOV" : raw ? ".NEF" : ".JPG"};
    case FileNaming::kFuji:
      return {format_counter("DSCF%04lld", counter), video ? ".MOV" : raw ? ".RAF" : ".JPG"};
    case FileNaming::kDji:
      return {format_counter("DJI_%04lld", counter), video ? ".MP4" : raw ? ".DNG" : ".JPG"};
    case FileNaming::kGoPro:
      return {format_counter(video ? "GX01%04lld" : "GOPR%04lld", counter), video ? ".MP4" : ".JPG"};
  }
  return {"IMG", ".jpg"};
}

bool ext_is(const std::string& ext, std::initializer_list<std::string_view> options) {
  std::string lower;
  for (char c : ext) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return std::find(options.begin(), options.end(), lower) != options.end();
}

}  // namespace

void validate(const SeedOptions& o) {
  auto bad = [](const std::string& message, const std::string& hint) {
    throw Error(ErrorKind::kInvalidArgument, message, hint);
  };
  if (o.users < 1 || o.users > 100000) bad("--users must be between 1 and 100000", "");
  if (o.assets < 0 || o.assets > 100000000) bad("--assets must be between 0 and 100000000", "");
  if (!(o.spread >= 0 && o.spread <= 100)) bad("--spread must be a number between 0 and 100", "");
  if (o.vectors_per_cluster < 1) bad("--vectors-per-cluster must be at least 1", "");
  if (o.media_location.empty() || o.media_location[0] != '/') {
    bad("the media location must be an absolute path",
        "set IMMICH_MEDIA_LOCATION to an absolute folder");
  }
}

Timestamp AssetFacts::local_date_time() const {
  return Timestamp{taken.micros + static_cast<int64_t>(utc_offset_minutes) * 60 * 1000000};
}

std::string AssetFacts::thumbnail_path(const std::string& media, const std::string& owner) const {
  return nested(media, "thumbs", owner, id + "_thumbnail.webp");
}

std::string AssetFacts::preview_path(const std::string& media, const std::string& owner) const {
  return nested(media, "thumbs", owner, id + "_preview.jpeg");
}

std::string AssetFacts::encoded_video_path(const std::string& media,
                                           const std::string& owner) const {
  return nested(media, "encoded-video", owner, id + ".mp4");
}

std::string AssetFacts::sidecar_path() const {
  return original_path.substr(0, original_path.size() - extension.size()) + ".xmp";
}

std::vector<DerivedFile> AssetFacts::derived_files(const std::string& media,
                                                   const std::string& owner) const {
  std::vector<DerivedFile> files = {{"thumbnail", thumbnail_path(media, owner), 0},
                                    {"preview", preview_path(media, owner), 1}};
  if (is_video) files.push_back({"encoded_video", encoded_video_path(media, owner), 2});
  if (has_sidecar) files.push_back({"sidecar", sidecar_path(), 3});
  return files;
}

LibraryModel::LibraryModel(SeedOptions options) : options_(std::move(options)) {
  validate(options_);
  while (!options_.media_location.empty() && options_.media_location.size() > 1 &&
         options_.media_location.back() == '/') {
    options_.media_location.pop_back();
  }
  smart_clusters_ = std::max<uint64_t>(1, options_.assets / options_.vectors_per_cluster);
  plan_users();
  plan_events();
}

std::string LibraryModel::id_for(const char* kind, int64_t index) const {
  return Prng::stream(options_.seed, kind, static_cast<uint64_t>(index)).uuid();
}

std::string LibraryModel::asset_id(int64_t i) const { return id_for("asset", i); }
std::string LibraryModel::face_id(int64_t asset, int slot) const {
  return id_for("face", asset * 8 + slot);
}
std::string LibraryModel::person_id(int64_t p) const { return id_for("person", p); }
std::string LibraryModel::album_id(int64_t a) const { return id_for("album", a); }
std::string LibraryModel::stack_id(int64_t e) const { return id_for("stack", e); }

void LibraryModel::plan_users() {
  auto firsts = first_names();
  auto lasts = last_names();
  auto cams = cameras();
  auto where = places();
  std::vector<double> cam_weights, place_weights;
  for (const auto& c : cams) cam_weights.push_back(c.weight);
  for (const auto& p : where) place_weights.push_back(p.weight);
  for (int u = 0; u < options_.users; ++u) {
    Prng rng = Prng::stream(options_.seed, "user", u);
    UserFacts user;
    user.id = id_for("user", u);
    std::string_view first = firsts[(u + rng.below(firsts.size())) % firsts.size()];
    std::string_view last = lasts[rng.below(lasts.size())];
    user.name = std::string(first) + " " + std::string(last);
    // (u, suffix) keeps e-mails unique: the suffix is the user number beyond the first one.
    user.email = email_part(first) + "." + email_part(last) + (u ? std::to_string(u) : "") +
                 "@example.com";
    user.is_admin = u == 0;
    user.avatar_color = std::string(avatar_colors()[rng.below(avatar_colors().size())]);
    user.created_at = Timestamp::from_seconds(options_.now.seconds() -
                                              (1 + 3 * rng.uniform()) * kYear);
    size_t camera_count = 2 + rng.below(3);
    while (user.cameras.size() < camera_count) {
      int c = static_cast<int>(rng.weighted(cam_weights.data(), cam_weights.size()));
      if (std::find(user.cameras.begin(), user.cameras.end(), c) == user.cameras.end()) {
        user.cameras.push_back(c);
      }
    }
    user.home_place = static_cast<int>(rng.weighted(place_weights.data(), place_weights.size()));
    users_.push_back(std::move(user));
  }
}

namespace {

int event_owner(uint64_t seed, int64_t e, int users) {
  Prng rng = Prng::stream(seed, "event-owner", e);
  std::vector<double> weights;
  for (int u = 0; u < users; ++u) weights.push_back(1.0 / std::pow(u + 1, 0.8));
  return static_cast<int>(rng.weighted(weights.data(), weights.size()));
}

}  // namespace

void LibraryModel::plan_events() {
  const int64_t n = options_.assets;
  events_ = (n + kAssetsPerEvent - 1) / kAssetsPerEvent;
  owner_assets_.assign(users_.size(), {});
  for (int64_t e = 0; e < events_; ++e) {
    int owner = event_owner(options_.seed, e, options_.users);
    users_[owner].asset_count += std::min<int64_t>(kAssetsPerEvent, n - e * kAssetsPerEvent);
  }
  for (auto& u : users_) {
    u.first_album = albums_;
    u.album_count = u.asset_count ? std::max<int64_t>(1, u.asset_count / 250) : 0;
    albums_ += u.album_count;
  }
  album_first_asset_.assign(albums_, -1);
  std::vector<int64_t> faces_per_user(users_.size(), 0);
  for (int64_t i = 0; i < n; ++i) {
    AssetFacts a = asset(i);
    auto& user = users_[a.owner];
    user.bytes += a.file_size;
    faces_per_user[a.owner] += a.face_count;
    faces_ += a.face_count;
    owner_assets_[a.owner].push_back(i);
    int64_t album = event(a.event).album;
    if (album >= 0 && album_first_asset_[album] < 0) album_first_asset_[album] = i;
  }
  for (size_t u = 0; u < users_.size(); ++u) {
    users_[u].first_person = persons_;
    users_[u].person_count =
        faces_per_user[u] ? std::max<int64_t>(1, faces_per_user[u] / options_.vectors_per_cluster)
                          : 0;
    persons_ += users_[u].person_count;
  }
}

EventFacts LibraryModel::event(int64_t e) const {
  Prng rng = Prng::stream(options_.seed, "event", e);
  EventFacts ev;
  ev.owner = event_owner(options_.seed, e, options_.users);
  const UserFacts& user = users_[ev.owner];
  double age = std::max(kDay, 20 * kYear * std::pow(rng.uniform(), 1.5));
  ev.start = Timestamp::from_seconds(std::floor(options_.now.seconds() - age));
  if (rng.chance(0.4)) {
    if (rng.chance(0.6)) {
      ev.place = user.home_place;
    } else {
      std::vector<double> w;
      for (const auto& p : places()) w.push_back(p.weight);
      ev.place = static_cast<int>(rng.weighted(w.data(), w.size()));
    }
  }
  ev.camera = rng.chance(0.7) ? user.cameras[0]
                              : user.cameras[1 + rng.below(user.cameras.size() - 1)];
  ev.burst_stack = rng.chance(0.06);
  if (user.album_count > 0 && rng.chance(0.3)) {
    ev.album = user.first_album + static_cast<int64_t>(rng.below(user.album_count));
  }
  ev.smart_cluster = rng.below(smart_clusters_);
  return ev;
}

AssetFacts LibraryModel::asset(int64_t i) const {
  AssetFacts a;
  a.index = i;
  a.event = i / kAssetsPerEvent;
  const int slot = static_cast<int>(i % kAssetsPerEvent);
  EventFacts ev = event(a.event);
  Prng rng = Prng::stream(options_.seed, "asset", i);
  const UserFacts& user = users_[ev.owner];
  a.owner = ev.owner;
  a.id = asset_id(i);
  a.in_stack = ev.burst_stack && slot < 3;
  a.stack_primary = a.in_stack && slot == 0;
  a.is_video = !a.in_stack && rng.chance(0.1);
  a.camera = rng.chance(0.9) ? ev.camera : user.cameras[rng.below(user.cameras.size())];
  const Camera& cam = cameras()[a.camera];
  a.taken = Timestamp::from_seconds(ev.start.seconds() + slot * 420 + rng.between(0, 400) +
                                    rng.uniform());
  a.place = ev.place;
  const Place& tz_place = places()[ev.place.value_or(user.home_place)];
  a.time_zone = std::string(tz_place.time_zone);
  a.utc_offset_minutes = standard_offset_minutes(tz_place.time_zone);
  if (a.place) {
    const Place& p = places()[*a.place];
    a.latitude = p.latitude + 0.03 * rng.normal();
    a.longitude = p.longitude + 0.03 * rng.normal();
  }
  double age = options_.now.seconds() - a.taken.seconds();
  double upload_delay = age < 60 * kDay ? 60 + rng.uniform() * 7200 : rng.uniform() * 365 * kDay;
  a.created_at = Timestamp::from_seconds(
      std::min(a.taken.seconds() + upload_delay, options_.now.seconds() - 60));

  bool raw = !cam.is_phone && rng.chance(0.1);
  if (cam.naming == FileNaming::kIphone && rng.chance(0.3)) raw = true;  // JPG instead of HEIC
  int64_t counter = (a.event * kAssetsPerEvent + slot) % 9999 + 1;
  Naming naming = file_name(cam.naming, a.is_video, raw, counter, a.local_date_time());
  a.original_file_name = naming.name + naming.ext;
  a.extension = naming.ext;
  std::string upload = rng.uuid();
  a.original_path = nested(options_.media_location, "upload", user.id, upload + a.extension);
  if (cam.is_phone) {
    char device[17];
    std::snprintf(device, sizeof device, "%016llx",
                  static_cast<unsigned long long>(mix64(options_.seed ^ mix64(a.owner * 31 + a.camera))));
    a.device_id = device;
    a.device_asset_id = cam.naming == FileNaming::kIphone
                            ? rng.uuid() + "/L0/001"
                            : std::to_string(1000000 + i);
  } else {
    a.device_id = "WEB";
    a.device_asset_id = a.original_file_name + "-" +
                        std::to_string(static_cast<int64_t>(a.taken.seconds() * 1000));
  }

  if (a.is_video) {
    bool uhd = rng.chance(0.3);
    a.width = uhd ? 3840 : 1920;
    a.height = uhd ? 2160 : 1080;
    a.duration_seconds = 2 + std::min(600.0, -std::log(1 - rng.uniform()) * 25);
    a.file_size = static_cast<int64_t>(a.duration_seconds * (uhd ? 6.0e6 : 2.2e6));
  } else {
    a.width = cam.width;
    a.height = cam.height;
    double bytes_per_pixel = ext_is(a.extension, {".heic"}) ? 0.18
                             : raw                          ? 2.1
                                                            : 0.35;
    a.file_size = static_cast<int64_t>(a.width * static_cast<double>(a.height) * bytes_per_pixel *
                                       (0.7 + 0.6 * rng.uniform()));
  }
  if (rng.chance(0.3)) std::swap(a.width, a.height);
  a.is_favorite = rng.chance(0.04);
  if (rng.chance(0.02)) a.visibility = Visibility::kArchive;
  if (rng.chance(0.015)) {
    a.deleted_at = Timestamp::from_seconds(options_.now.seconds() - rng.uniform() * 45 * kDay);
  }
  a.face_count = static_cast<int>(
      rng.weighted(kFaceCountWeights, sizeof kFaceCountWeights / sizeof kFaceCountWeights[0]));
  a.smart_cluster = rng.chance(0.7) ? ev.smart_cluster : rng.below(smart_clusters_);
  // From its own stream, so that the facts above stay as they were before sidecars existed.
  a.has_sidecar = ext_is(a.extension, {".cr2", ".arw", ".nef", ".raf", ".dng"}) ||
                  Prng::stream(options_.seed, "sidecar", i).chance(0.04);
  return a;
}

int64_t LibraryModel::face_person(const AssetFacts& asset, int slot, bool* recognised) const {
  Prng rng = Prng::stream(options_.seed, "face", asset.index * 8 + slot);
  const UserFacts& user = users_[asset.owner];
  *recognised = rng.chance(0.8);
  int64_t pick = static_cast<int64_t>(user.person_count * std::pow(rng.uniform(), 2.5));
  return user.first_person + std::min(pick, user.person_count - 1);
}

std::string LibraryModel::person_thumbnail_path(int64_t person) const {
  return nested(options_.media_location, "thumbs", users_[person_owner(person)].id,
                person_id(person) + ".jpeg");
}

int LibraryModel::person_owner(int64_t person) const {
  for (size_t u = 0; u < users_.size(); ++u) {
    if (person < users_[u].first_person + users_[u].person_count) return static_cast<int>(u);
  }
  return 0;
}

int LibraryModel::album_owner(int64_t album) const {
  for (size_t u = 0; u < users_.size(); ++u) {
    if (album < users_[u].first_album + users_[u].album_count) return static_cast<int>(u);
  }
  return 0;
}

namespace {

// A few bytes that start like a file of that extension, followed by `note`.
std::string stand_in(const std::string& extension, const std::string& note) {
  if (ext_is(extension, {".jpg", ".jpeg"})) {
    std::string out = "\xFF\xD8\xFF\xFE";
    size_t len = note.size() + 2;
    out += static_cast<char>(len >> 8);
    out += static_cast<char>(len & 0xff);
    return out + note + "\xFF\xD9";
  }
  if (ext_is(extension, {".heic"})) {
    return std::string("\0\0\0\x18" "ftypheic\0\0\0\0mif1heic", 24) + note;
  }
  if (ext_is(extension, {".mov"})) {
    return std::string("\0\0\0\x14" "ftypqt  \0\0\0\0qt  ", 20) + note;
  }
  if (ext_is(extension, {".mp4"})) {
    return std::string("\0\0\0\x18" "ftypmp42\0\0\0\0isommp42", 24) + note;
  }
  if (ext_is(extension, {".webp"})) return std::string("RIFF\0\0\0\0WEBP", 12) + note;
  if (ext_is(extension, {".xmp"})) {
    return "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><!-- " + note + " --></x:xmpmeta>\n";
  }
  return std::string("II*\0\x08\0\0\0", 8) + note;  // TIFF-based raw formats
}

}  // namespace

std::string LibraryModel::original_content(const AssetFacts& a) const {
  return stand_in(a.extension, "keepsake dev seed " + std::to_string(options_.seed) + " asset " +
                                   a.id + " " + a.original_file_name);
}

std::string LibraryModel::derived_content(const std::string& path) const {
  auto dot = path.rfind('.');
  return stand_in(dot == std::string::npos ? "" : path.substr(dot),
                  "keepsake dev seed " + std::to_string(options_.seed) + " " + path);
}

std::string LibraryModel::checksum(const AssetFacts& a) const {
  std::string content = original_content(a);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(content.data(), content.size(), digest, &len, EVP_sha1(), nullptr) != 1) {
    throw Error(ErrorKind::kInternal, "SHA-1 failed while seeding");
  }
  return std::string(reinterpret_cast<char*>(digest), len);
}

}  // namespace keepsake::dev
