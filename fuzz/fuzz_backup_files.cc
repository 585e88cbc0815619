// Backup file names (src/backup/backup_files): the name rules never crash on any text, and an
// upload's stored name is always a valid backup name inside the folder (no separators, no dot
// files, short enough for the file system).
#include <cstdlib>
#include <string>
#include <vector>

#include "backup/backup_files.h"
#include "common/error.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace keepsake::backup;
  keepsake::fuzz::Input in(data, size);
  int keep_last = in.byte() % 8;
  std::vector<std::string> names;
  while (!in.empty()) names.emplace_back(in.field());
  for (const auto& name : names) {
    bool valid = is_valid_backup_name(name);
    (void)is_valid_filename_param(name);
    (void)is_routine_backup_name(name);
    (void)is_failed_backup_name(name);
    (void)version_from_name(name);
    if (valid && (name.find('/') != std::string::npos || name.find('\0') != std::string::npos)) std::abort();
    try {
      std::string stored = uploaded_backup_name(name);
      if (!is_valid_backup_name(stored) || stored.find('/') != std::string::npos || stored.size() > 255 ||
          stored.rfind("uploaded-", 0) != 0) {
        std::abort();
      }
    } catch (const keepsake::Error&) {
    }
  }
  auto pruned = names_to_prune(names, keep_last);
  for (const auto& p : pruned) {
    if (!is_routine_backup_name(p) && !is_failed_backup_name(p)) std::abort();
  }
  return 0;
}
