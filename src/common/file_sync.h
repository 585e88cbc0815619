// Making a write or a rename durable: fsync of a file or of the folder that holds a new name.
// Must never swallow a failure (a rename that is not on disk is not done).
#pragma once

#include <string>

namespace keepsake {

// fsync of a file path or a directory; throws Error(kIo).
void fsync_path(const std::string& path, bool directory);

}  // namespace keepsake
