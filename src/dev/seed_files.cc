// `dev seed --files`: the files behind the seeded rows, so that `storage scan` finds nothing
// missing on a fresh library. The paths come from the same LibraryModel functions the rows use.
#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "dev/seeder.h"

namespace keepsake::dev {
namespace {

namespace fs = std::filesystem;

class FileWriter {
 public:
  void write(const std::string& path, const std::string& content) {
    fs::path p(path);
    if (p.parent_path() != last_dir_) {
      std::error_code ec;
      fs::create_directories(p.parent_path(), ec);
      last_dir_ = p.parent_path();
    }
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    if (!out) {
      throw Error(ErrorKind::kIo, "cannot write " + path,
                  "check that the media location is writable and has free space");
    }
    ++written_;
  }
  int64_t written() const { return written_; }

 private:
  fs::path last_dir_;
  int64_t written_ = 0;
};

}  // namespace

int64_t write_library_files(const LibraryModel& model) {
  FileWriter writer;
  const std::string& media = model.options().media_location;
  for (int64_t i = 0; i < model.asset_count(); ++i) {
    AssetFacts a = model.asset(i);
    writer.write(a.original_path, model.original_content(a));
    for (const auto& f : a.derived_files(media, model.users()[a.owner].id)) {
      writer.write(f.path, model.derived_content(f.path));
    }
  }
  for (int64_t p = 0; p < model.person_count(); ++p) {
    auto path = model.person_thumbnail_path(p);
    writer.write(path, model.derived_content(path));
  }
  return writer.written();
}

}  // namespace keepsake::dev
