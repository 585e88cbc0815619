// The pre-restore scan and backup verification (src/restore/dump_scan, src/backup/dump_check) of
// any file: each either accepts it or throws keepsake::Error; a file the scan accepts is complete
// (pg_dump's trailer) and its COPY blocks lie inside the SQL it read.
#include <cstdlib>
#include <fstream>
#include <string>

#include "backup/dump_check.h"
#include "common/error.h"
#include "fuzz_support.h"
#include "restore/dump_scan.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  keepsake::fuzz::Input in(data, size);
  bool gz_name = in.byte() & 1;
  std::string path = keepsake::fuzz::scratch_dir() + (gz_name ? "/dump.sql.gz" : "/dump.sql");
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(in.rest().data(), static_cast<std::streamsize>(in.rest().size()));
  bool scanned = false;
  try {
    auto plan = keepsake::restore::scan_dump(path);
    scanned = true;
    for (const auto& item : plan.items) {
      if (item.role != keepsake::restore::StatementRole::kCopy) continue;
      if (item.copy.data_begin > item.copy.data_end || item.copy.data_end > plan.sql_bytes) std::abort();
    }
  } catch (const keepsake::Error&) {
  }
  try {
    keepsake::backup::verify_backup_file(path);
  } catch (const keepsake::Error&) {
    // The scan is stricter than verification: what it accepts, verification accepts.
    if (scanned) std::abort();
  }
  return 0;
}
