// Realistic reference values for the dev seeder: cameras (make, model, lens, resolution, file
// naming), places (city, state, country, coordinates, time zone), people's names, album and tag
// names. Pure constant data; never reads the environment or the database.
#pragma once

#include <span>
#include <string_view>

namespace keepsake::dev {

enum class FileNaming { kIphone, kPixel, kSamsung, kCanon, kSony, kNikon, kFuji, kDji, kGoPro };

struct Camera {
  std::string_view make;
  std::string_view model;
  std::string_view lens;          // empty when the camera does not report one
  int width, height;              // sensor resolution in pixels
  double f_number_min, f_number_max;
  double focal_min, focal_max;    // mm
  FileNaming naming;
  bool is_phone;
  double weight;                  // popularity
};

struct Place {
  std::string_view city, state, country, time_zone;
  double latitude, longitude;
  double weight;
};

std::span<const Camera> cameras();
std::span<const Place> places();
std::span<const std::string_view> first_names();
std::span<const std::string_view> last_names();
std::span<const std::string_view> album_names();
std::span<const std::string_view> exposure_times();
std::span<const std::string_view> avatar_colors();

// A tag tree: each entry is a full Immich tag value ("Places/Europe/France"); parents come first.
std::span<const std::string_view> tag_paths();

// The standard (winter) UTC offset of one of the time zones in places(), in minutes.
int standard_offset_minutes(std::string_view time_zone);

}  // namespace keepsake::dev
