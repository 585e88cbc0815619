// Making a write or a rename durable: fsync of a file or of the folder that holds a new name.
// Must never swallow a failure (a rename that is not on disk is not done).
#pragma once

#include <string>

namespace keepsake {

// fsync of a file path or a directory; throws Error(kIo).
void fsync_path(const std::string& path, bool directory);
// rename(2), then the fsync of the destination's folder: the new name is on disk when this
// returns. Throws Error(kIo).
void rename_durably(const std::string& from, const std::string& to);
// Writes `text` to <path>.tmp, fsyncs it and renames it over `path` durably: a reader sees the old
// file or the new one, never half of it, also after a crash. Throws Error(kIo).
void write_file_atomically(const std::string& path, const std::string& text);

}  // namespace keepsake
