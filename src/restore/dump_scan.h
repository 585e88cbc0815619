// The scan a restore runs before it touches anything: it reads the whole dump once (checking the
// gzip CRC and length of every member), splits it as psql would, and yields a DumpPlan: what kind
// of dump it is (one database, or a pg_dumpall cluster dump), the statements of the database to
// restore with their role in a restore (session setting, schema, data, index, ...), where every
// COPY block's data lies, and its size. It refuses, naming the line:
//   * any psql meta-command other than the ones pg_dump and pg_dumpall write (\connect,
//     \restrict, \unrestrict; \. only ends COPY data): a dump must never run \! or \copy;
//   * a COPY statement that is not pg_dump's `COPY <table> (<columns>) FROM stdin;` (no files,
//     no programs) and COPY data that is not terminated;
//   * a dump without pg_dump's completion trailer (cut off), or that turns off
//     standard_conforming_strings.
// It never executes anything and never holds COPY data in memory.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "backup/gzip_stream.h"

namespace keepsake::restore {

enum class DumpKind {
  kDatabase,  // pg_dump of one database (Immich >= 2.5, Keepsake)
  kCluster,   // pg_dumpall (Immich <= 2.4)
};

enum class StatementRole {
  kSetting,    // SET ... / SELECT pg_catalog.set_config(...): applies to every loading connection
  kSchema,     // before the first COPY: tables, functions, types, extensions, ...
  kCopy,       // COPY ... FROM stdin; its data is `copy` below
  kData,       // between COPY blocks (setval, ...)
  kIndex,      // after the data: CREATE INDEX, ADD CONSTRAINT PRIMARY KEY / UNIQUE / EXCLUDE
  kPostData,   // after the data: everything else (foreign keys, triggers, comments, ...)
};

struct CopyBlock {
  std::string table;        // as written in the COPY statement (e.g. public.asset)
  uint64_t data_begin = 0;  // byte offsets in the SQL (decompressed) stream
  uint64_t data_end = 0;
  uint64_t rows = 0;
};

struct DumpItem {
  StatementRole role = StatementRole::kSchema;
  std::string text;   // the statement (for kCopy: the COPY statement)
  uint64_t line = 0;  // 1-based line in the dump
  std::string table;  // kCopy, kIndex: the table it loads or indexes
  CopyBlock copy;     // kCopy only
};

// A dump that is not a file but a stream (pg_dump's output): each call starts it again from its
// first byte, and every start must give the same bytes (a dump of a cluster nothing else writes
// to). Loaders then read it from the start and skip what they do not need, instead of seeking.
using DumpStream = std::function<backup::DumpFileReader::Source()>;

struct DumpPlan {
  std::string path;                    // the file, or a stream's label
  DumpStream stream;                   // set when the dump is a stream
  bool compressed = false;
  uint64_t file_bytes = 0;
  uint64_t sql_bytes = 0;
  std::string sha256;                  // of the file
  DumpKind kind = DumpKind::kDatabase;
  std::string database;                // cluster dumps: the database section chosen
  std::vector<std::string> databases;  // cluster dumps: every database in the dump
  std::vector<DumpItem> items;         // of the chosen database, in dump order
  std::vector<std::string> extensions; // CREATE EXTENSION names, in order
  uint64_t copy_bytes = 0;             // COPY data of the chosen database
  uint64_t copy_rows = 0;
  uint64_t skipped_statements = 0;     // cluster dumps: roles, other databases, database-level
  std::string dumped_by;               // "pg_dump version 15.20 ..." when the header says
  // Compressed files: where loaders may start decompressing (the gzip members' starts); a
  // member starting at a line start inside COPY data cuts that block into pieces.
  std::vector<backup::SeekPoint> seek_points;

  // Data bytes per table (weights for ordering index builds).
  uint64_t table_bytes(const std::string& table) const;
  // A reader of the dump's SQL from its first byte (no SHA-256).
  std::unique_ptr<backup::DumpFileReader> open_reader() const;
};

struct ScanOptions {
  // Cluster dumps: the database to restore. When the dump has no section of that name and exactly
  // one database other than postgres / template0 / template1, that one is chosen.
  std::string target_database = "immich";
  std::function<void(uint64_t file_bytes)> progress;  // called every few MB
};

// Scans the dump file (.sql or .sql.gz). Throws keepsake::Error: kCorrupt for a damaged file,
// kInvalidArgument for a dump Keepsake refuses to run (the message names the line and why).
DumpPlan scan_dump(const std::string& path, const ScanOptions& options = {});
// The same scan of a stream (`label` names it in messages); the plan keeps the stream for the
// loaders. Nothing of it is written to disk.
DumpPlan scan_dump_stream(const std::string& label, const DumpStream& stream, const ScanOptions& options = {});

}  // namespace keepsake::restore
