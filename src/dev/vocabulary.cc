#include "dev/vocabulary.h"

#include <array>

namespace keepsake::dev {
namespace {

using F = FileNaming;

constexpr Camera kCameras[] = {
    {"Apple", "iPhone 15 Pro", "iPhone 15 Pro back triple camera 6.765mm f/1.78", 4032, 3024, 1.78, 2.8, 2.2, 15.7, F::kIphone, true, 14},
    {"Apple", "iPhone 13", "iPhone 13 back dual wide camera 5.1mm f/1.6", 4032, 3024, 1.6, 2.4, 1.5, 5.1, F::kIphone, true, 12},
    {"Apple", "iPhone 11", "iPhone 11 back dual wide camera 4.25mm f/1.8", 4032, 3024, 1.8, 2.4, 1.5, 4.25, F::kIphone, true, 9},
    {"Apple", "iPhone 8", "iPhone 8 back camera 3.99mm f/1.8", 4032, 3024, 1.8, 1.8, 3.99, 3.99, F::kIphone, true, 5},
    {"Apple", "iPhone 6s", "iPhone 6s back camera 4.15mm f/2.2", 4032, 3024, 2.2, 2.2, 4.15, 4.15, F::kIphone, true, 3},
    {"Google", "Pixel 8", "", 4080, 3072, 1.68, 2.2, 2.0, 6.9, F::kPixel, true, 6},
    {"Google", "Pixel 6a", "", 4032, 3024, 1.7, 2.2, 1.7, 4.4, F::kPixel, true, 4},
    {"samsung", "SM-S911B", "", 4000, 3000, 1.8, 2.4, 2.2, 6.3, F::kSamsung, true, 6},
    {"samsung", "SM-G991B", "", 4000, 3000, 1.8, 2.2, 2.2, 5.4, F::kSamsung, true, 5},
    {"samsung", "SM-A525F", "", 4000, 3000, 1.8, 2.2, 2.2, 5.2, F::kSamsung, true, 3},
    {"Canon", "Canon EOS 5D Mark IV", "EF24-105mm f/4L IS II USM", 6720, 4480, 4.0, 16, 24, 105, F::kCanon, false, 3},
    {"Canon", "Canon EOS R6", "RF24-105mm F4 L IS USM", 5472, 3648, 4.0, 16, 24, 105, F::kCanon, false, 2},
    {"Canon", "Canon EOS 70D", "EF-S18-135mm f/3.5-5.6 IS STM", 5472, 3648, 3.5, 22, 18, 135, F::kCanon, false, 2},
    {"SONY", "ILCE-7M3", "FE 24-70mm F2.8 GM", 6000, 4000, 2.8, 16, 24, 70, F::kSony, false, 3},
    {"SONY", "ILCE-6400", "E 18-135mm F3.5-5.6 OSS", 6000, 4000, 3.5, 22, 18, 135, F::kSony, false, 2},
    {"NIKON CORPORATION", "NIKON D750", "24.0-120.0 mm f/4.0", 6016, 4016, 4.0, 22, 24, 120, F::kNikon, false, 2},
    {"NIKON CORPORATION", "NIKON Z 6_2", "NIKKOR Z 24-70mm f/4 S", 6048, 4024, 4.0, 22, 24, 70, F::kNikon, false, 1},
    {"FUJIFILM", "X-T30", "XF35mmF1.4 R", 6240, 4160, 1.4, 16, 35, 35, F::kFuji, false, 2},
    {"FUJIFILM", "X100V", "", 6240, 4160, 2.0, 16, 23, 23, F::kFuji, false, 1},
    {"DJI", "FC3582", "", 4032, 3024, 1.7, 1.7, 6.7, 6.7, F::kDji, false, 1},
    {"GoPro", "HERO11 Black", "", 5568, 4176, 2.5, 2.5, 2.9, 2.9, F::kGoPro, false, 1},
};

constexpr Place kPlaces[] = {
    {"Berlin", "Berlin", "Germany", "Europe/Berlin", 52.5200, 13.4050, 6},
    {"Munich", "Bavaria", "Germany", "Europe/Berlin", 48.1351, 11.5820, 3},
    {"Paris", "Île-de-France", "France", "Europe/Paris", 48.8566, 2.3522, 6},
    {"Lyon", "Auvergne-Rhône-Alpes", "France", "Europe/Paris", 45.7640, 4.8357, 2},
    {"London", "England", "United Kingdom", "Europe/London", 51.5072, -0.1276, 6},
    {"Edinburgh", "Scotland", "United Kingdom", "Europe/London", 55.9533, -3.1883, 2},
    {"Amsterdam", "North Holland", "Netherlands", "Europe/Amsterdam", 52.3676, 4.9041, 3},
    {"Barcelona", "Catalonia", "Spain", "Europe/Madrid", 41.3874, 2.1686, 4},
    {"Rome", "Lazio", "Italy", "Europe/Rome", 41.9028, 12.4964, 4},
    {"Vienna", "Vienna", "Austria", "Europe/Vienna", 48.2082, 16.3738, 2},
    {"Zürich", "Zurich", "Switzerland", "Europe/Zurich", 47.3769, 8.5417, 2},
    {"Kraków", "Lesser Poland", "Poland", "Europe/Warsaw", 50.0647, 19.9450, 2},
    {"Lisbon", "Lisbon", "Portugal", "Europe/Lisbon", 38.7223, -9.1393, 2},
    {"Reykjavík", "Capital Region", "Iceland", "Atlantic/Reykjavik", 64.1466, -21.9426, 1},
    {"New York", "New York", "United States of America", "America/New_York", 40.7128, -74.0060, 6},
    {"San Francisco", "California", "United States of America", "America/Los_Angeles", 37.7749, -122.4194, 4},
    {"Seattle", "Washington", "United States of America", "America/Los_Angeles", 47.6062, -122.3321, 2},
    {"Chicago", "Illinois", "United States of America", "America/Chicago", 41.8781, -87.6298, 2},
    {"Toronto", "Ontario", "Canada", "America/Toronto", 43.6532, -79.3832, 2},
    {"Mexico City", "Mexico City", "Mexico", "America/Mexico_City", 19.4326, -99.1332, 2},
    {"São Paulo", "São Paulo", "Brazil", "America/Sao_Paulo", -23.5558, -46.6396, 2},
    {"Tokyo", "Tokyo", "Japan", "Asia/Tokyo", 35.6762, 139.6503, 4},
    {"Kyoto", "Kyoto", "Japan", "Asia/Tokyo", 35.0116, 135.7681, 2},
    {"Seoul", "Seoul", "South Korea", "Asia/Seoul", 37.5665, 126.9780, 2},
    {"Bangkok", "Bangkok", "Thailand", "Asia/Bangkok", 13.7563, 100.5018, 2},
    {"Singapore", "", "Singapore", "Asia/Singapore", 1.3521, 103.8198, 2},
    {"Sydney", "New South Wales", "Australia", "Australia/Sydney", -33.8688, 151.2093, 3},
    {"Auckland", "Auckland", "New Zealand", "Pacific/Auckland", -36.8485, 174.7633, 1},
    {"Cape Town", "Western Cape", "South Africa", "Africa/Johannesburg", -33.9249, 18.4241, 1},
    {"Marrakesh", "Marrakesh-Safi", "Morocco", "Africa/Casablanca", 31.6295, -7.9811, 1},
};

constexpr std::string_view kFirstNames[] = {
    "Alice", "Ben", "Chloé", "David", "Emma", "Felix", "Grace", "Hannah", "Ivan", "Julia",
    "Kenji", "Lena", "Mateo", "Nora", "Oliver", "Priya", "Quentin", "Rosa", "Samuel", "Tara",
    "Umar", "Vera", "William", "Xenia", "Yusuf", "Zoë", "Amélie", "Björn", "Carmen", "Dmitri",
    "Elif", "François", "Giulia", "Hugo", "Ingrid", "Jonas", "Kaito", "Léa", "Miguel", "Nadia"};

constexpr std::string_view kLastNames[] = {
    "Martin", "Schmidt", "Dubois", "Rossi", "García", "Müller", "Nowak", "Jensen", "Silva",
    "Tanaka", "Kim", "Smith", "O'Brien", "van Dijk", "Novák", "Fischer", "Lefèvre", "Costa",
    "Andersson", "Kowalski"};

constexpr std::string_view kAlbumNames[] = {
    "Summer holidays", "Christmas", "Birthday party", "Wedding", "Hiking trip", "Road trip",
    "Family", "Best of the year", "Garden", "Pets", "City break", "Beach", "Ski week",
    "Graduation", "Concert", "New house", "Baby's first year", "Weekend with friends",
    "Food", "Sunsets", "Camping", "Museum visits", "Easter", "Halloween"};

constexpr std::string_view kExposureTimes[] = {"1/4000", "1/2000", "1/1000", "1/500", "1/250",
                                               "1/125",  "1/120",  "1/100",  "1/60",  "1/30",
                                               "1/15",   "1/8",    "1/4",    "1/2",   "1"};

// Immich's UserAvatarColor values.
constexpr std::string_view kAvatarColors[] = {"primary", "pink",   "red",    "yellow", "blue",
                                              "green",   "purple", "orange", "gray",   "amber"};

constexpr std::string_view kTagPaths[] = {
    "Places", "Places/Europe", "Places/Europe/France", "Places/Europe/Italy",
    "Places/Europe/Germany", "Places/Asia", "Places/Asia/Japan", "Places/Americas",
    "Events", "Events/Birthdays", "Events/Weddings", "Events/Holidays",
    "Events/Holidays/Christmas", "Nature", "Nature/Mountains", "Nature/Sea", "Nature/Animals",
    "Nature/Animals/Cats", "Nature/Animals/Dogs", "People", "People/Family", "People/Friends",
    "Projects", "Projects/Renovation", "Favourites"};

struct ZoneOffset {
  std::string_view zone;
  int minutes;
};

constexpr ZoneOffset kZoneOffsets[] = {
    {"Europe/Berlin", 60}, {"Europe/Paris", 60}, {"Europe/London", 0}, {"Europe/Amsterdam", 60},
    {"Europe/Madrid", 60}, {"Europe/Rome", 60}, {"Europe/Vienna", 60}, {"Europe/Zurich", 60},
    {"Europe/Warsaw", 60}, {"Europe/Lisbon", 0}, {"Atlantic/Reykjavik", 0},
    {"America/New_York", -300}, {"America/Los_Angeles", -480}, {"America/Chicago", -360},
    {"America/Toronto", -300}, {"America/Mexico_City", -360}, {"America/Sao_Paulo", -180},
    {"Asia/Tokyo", 540}, {"Asia/Seoul", 540}, {"Asia/Bangkok", 420}, {"Asia/Singapore", 480},
    {"Australia/Sydney", 600}, {"Pacific/Auckland", 720}, {"Africa/Johannesburg", 120},
    {"Africa/Casablanca", 60}};

}  // namespace

int standard_offset_minutes(std::string_view time_zone) {
  for (const auto& z : kZoneOffsets) {
    if (z.zone == time_zone) return z.minutes;
  }
  return 0;
}

std::span<const Camera> cameras() { return kCameras; }
std::span<const Place> places() { return kPlaces; }
std::span<const std::string_view> first_names() { return kFirstNames; }
std::span<const std::string_view> last_names() { return kLastNames; }
std::span<const std::string_view> album_names() { return kAlbumNames; }
std::span<const std::string_view> exposure_times() { return kExposureTimes; }
std::span<const std::string_view> avatar_colors() { return kAvatarColors; }
std::span<const std::string_view> tag_paths() { return kTagPaths; }

}  // namespace keepsake::dev
