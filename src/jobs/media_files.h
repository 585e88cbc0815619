// Removes the files of deleted users, assets and people, but only inside the media location:
// a path whose real location (symlinks in its folders resolved) is not strictly below the
// media location is refused and logged, never deleted. A symlink itself is removed as a link;
// its target is never followed. Missing files are not an error (jobs may run twice).
#pragma once

#include <cstdint>
#include <string>

namespace keepsake::jobs {

class MediaFiles {
 public:
  // Throws Error(kInvalidArgument) when the media location is empty or not absolute.
  explicit MediaFiles(const std::string& media_location);

  // True when `path` lies strictly below the media location.
  bool contains(const std::string& path) const;
  // Removes one file (or link). Returns true when something was removed.
  bool remove_file(const std::string& path);
  // Removes a folder and everything below it, or a link. Returns true when something was removed.
  bool remove_tree(const std::string& path);

  const std::string& root() const { return root_; }
  int64_t refused() const { return refused_; }

 private:
  std::string resolve(const std::string& path) const;  // "" when outside or invalid
  std::string root_;
  int64_t refused_ = 0;
};

}  // namespace keepsake::jobs
