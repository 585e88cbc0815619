// Judging a file that claims to be a database backup, by its content: a gzip stream, a plain SQL
// dump, or neither (the name never decides), and whether the dump ends with pg_dump's completion
// trailer. verify_backup_file reads the whole file once and never holds it in memory.
// Must never accept a file as a dump because of its name alone.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace keepsake::backup {

enum class DumpFormat {
  kGzip,     // starts with gzip's magic
  kSql,      // UTF-8 text that starts like SQL (a comment, a keyword, a psql meta-command)
  kNeither,  // empty, binary, or text that is not SQL
};

// The format of a file from its first bytes (up to a few KiB; a UTF-8 sequence cut by the end
// of `head` is accepted). Pure.
DumpFormat detect_dump_format(std::string_view head);

// True when the end of a plain-format dump is pg_dump's completion trailer (optionally followed
// by the \unrestrict line of PostgreSQL >= 15.14). Pure.
bool dump_is_complete(const std::string& tail);

struct VerifyResult {
  std::string path;
  uint64_t size = 0;
  uint64_t uncompressed_size = 0;
  bool compressed = false;
  bool sidecar_checked = false;  // a .sha256 sidecar existed and matched
  std::string sha256;
};

// Verifies a backup file (gzip: whole decompression with CRC and length; plain SQL: read
// through); both must end with pg_dump's completion trailer, and a .sha256 sidecar, when present,
// must match. A file named .gz must be gzip. Throws Error(kCorrupt) naming the problem, and the
// file as `label` (default: the path), so a caller can name what a user sent rather than where
// the server keeps it.
VerifyResult verify_backup_file(const std::string& path,
                                const std::function<void(uint64_t)>& progress = {},
                                const std::string& label = {});

}  // namespace keepsake::backup
