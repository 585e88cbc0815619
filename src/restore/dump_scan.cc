#include "restore/dump_scan.h"

#include <filesystem>
#include <map>
#include <regex>
#include <vector>

#include "backup/backup_files.h"
#include "backup/dump_check.h"
#include "backup/gzip_stream.h"
#include "common/error.h"
#include "restore/sql_splitter.h"
#include "restore/statement_patterns.h"

namespace keepsake::restore {
namespace {

constexpr size_t kChunk = 1 << 20;
constexpr size_t kTail = 4096;
constexpr size_t kHead = 4096;
constexpr uint64_t kMaxStatementBytes = 512ULL << 20;

thread_local std::string scanned_file;  // named in refusals

Error refuse(uint64_t line, const std::string& why) {
  return Error(ErrorKind::kInvalidArgument, "line " + std::to_string(line) + " of " + scanned_file + ": " + why,
               "Keepsake refuses to restore this file; nothing was changed");
}

struct Section {
  std::vector<DumpItem> items;
};

class Scanner : public SqlSplitterHandler {
 public:
  explicit Scanner(bool cluster) : cluster_(cluster) {}

  void on_statement(const SqlStatement& s) override {
    if (!s.terminated) {
      throw refuse(s.line, "the last statement has no terminating semicolon (the dump is cut off)");
    }
    statement_bytes_ += s.text.size();
    if (statement_bytes_ > kMaxStatementBytes) {
      throw refuse(s.line, "the dump holds more than 512 MB of statements outside COPY data; "
                           "pg_dump's plain format with COPY is expected");
    }
    if (turns_off_standard_strings(s.text)) {
      throw refuse(s.line, "the dump turns off standard_conforming_strings, which pg_dump never does");
    }
    DumpItem item;
    item.text = s.text;
    item.line = s.line;
    if (starts_with_keyword(s.text, "COPY")) {
      auto table = pg_dump_copy_table(s.text);
      if (!s.copy_from_stdin || !table) {
        throw refuse(s.line, "a COPY statement that is not pg_dump's `COPY <table> (<columns>) FROM "
                             "stdin;` (COPY to or from files or programs is never restored)");
      }
      item.role = StatementRole::kCopy;
      item.table = *table;
    } else if (is_session_setting(s.text)) {
      item.role = StatementRole::kSetting;
    }
    // Database-level and role statements never run (the restored database keeps the live one's
    // settings and roles); in a cluster dump neither does anything outside the chosen database.
    if (is_database_level(s.text) || (sectioned() && current_ == nullptr)) {
      ++skipped_;
      if (item.role == StatementRole::kCopy) pending_copy_skipped_ = true;
      return;
    }
    if (auto ext = created_extension(s.text)) extensions_[current_name_].push_back(*ext);
    if (item.role == StatementRole::kCopy) pending_copy_skipped_ = false;
    section().items.push_back(std::move(item));
  }

  void on_meta_command(const MetaCommand& m) override {
    if (m.name == "restrict" || m.name == "unrestrict") {
      if (m.inside_statement) throw refuse(m.line, "\\" + m.name + " inside a statement");
      return;
    }
    if (m.name == "connect" || m.name == "c") {
      if (m.inside_statement) throw refuse(m.line, "\\connect inside a statement");
      auto db = connect_target(m.args);
      if (!db) throw refuse(m.line, "\\connect with arguments pg_dumpall never writes: " + m.args);
      if (m.name == "c") throw refuse(m.line, "\\c is not written by pg_dump or pg_dumpall");
      switch_to(*db);
      return;
    }
    throw refuse(m.line, "the psql meta-command \\" + m.name +
                             " is not one pg_dump writes (only \\connect, \\restrict, \\unrestrict "
                             "and the \\. that ends COPY data are accepted)");
  }

  void on_copy_end(const CopyData& c) override {
    if (!c.terminated) {
      throw refuse(c.line, "the COPY data that starts here has no terminating \\. line (the dump is cut off)");
    }
    if (c.trailing_text) throw refuse(c.line, "text after the COPY statement on its line");
    if (pending_copy_skipped_) return;
    auto& item = section().items.back();
    item.copy = {item.table, c.data_begin, c.data_end, c.rows};
  }

  // Chooses the section to restore and fills the plan.
  void finish(DumpPlan& plan, const std::string& target) {
    plan.kind = cluster_ ? DumpKind::kCluster : DumpKind::kDatabase;
    plan.skipped_statements = skipped_;
    if (!sectioned()) {
      plan.items = std::move(top_.items);
      plan.extensions = extensions_[""];
    } else {
      plan.databases = order_;
      std::string chosen = choose(target);
      plan.database = chosen;
      for (auto& [name, s] : sections_) {
        if (name == chosen) continue;
        plan.skipped_statements += s.items.size();
      }
      plan.items = std::move(sections_[chosen].items);
      plan.extensions = extensions_[chosen];
    }
    assign_roles(plan.items);
    for (auto& i : plan.items) {
      if (i.role != StatementRole::kCopy) continue;
      plan.copy_bytes += i.copy.data_end - i.copy.data_begin;
      plan.copy_rows += i.copy.rows;
    }
  }

 private:
  bool sectioned() const { return cluster_ || !order_.empty(); }

  Section& section() { return current_ ? *current_ : top_; }

  void switch_to(const std::string& db) {
    if (!sections_.count(db)) order_.push_back(db);
    current_ = &sections_[db];
    current_name_ = db;
  }

  std::string choose(const std::string& target) {
    if (sections_.count(target)) return target;
    std::vector<std::string> user_dbs;
    for (auto& name : order_) {
      if (name != "postgres" && name != "template0" && name != "template1") user_dbs.push_back(name);
    }
    if (user_dbs.size() == 1) return user_dbs[0];
    std::string names;
    for (auto& n : order_) names += (names.empty() ? "" : ", ") + n;
    throw Error(ErrorKind::kInvalidArgument,
                "the cluster dump has no database named \"" + target + "\" and not exactly one other "
                "database to restore (it holds: " + (names.empty() ? "none" : names) + ")",
                "set DB_DATABASE_NAME to the database of the dump to restore");
  }

  static void assign_roles(std::vector<DumpItem>& items) {
    size_t first = items.size(), last = items.size();
    for (size_t i = 0; i < items.size(); ++i) {
      if (items[i].role != StatementRole::kCopy) continue;
      if (first == items.size()) first = i;
      last = i;
    }
    for (size_t i = 0; i < items.size(); ++i) {
      auto& item = items[i];
      if (item.role == StatementRole::kCopy || item.role == StatementRole::kSetting) continue;
      if (first == items.size() || i < first) {
        item.role = StatementRole::kSchema;
      } else if (i < last) {
        item.role = StatementRole::kData;
      } else if (auto table = index_like_table(item.text)) {
        item.role = StatementRole::kIndex;
        item.table = *table;
      } else {
        item.role = StatementRole::kPostData;
      }
    }
  }

  bool cluster_;
  Section top_;
  std::map<std::string, Section> sections_;
  std::map<std::string, std::vector<std::string>> extensions_;
  std::vector<std::string> order_;
  Section* current_ = nullptr;
  std::string current_name_;
  uint64_t skipped_ = 0;
  uint64_t statement_bytes_ = 0;
  bool pending_copy_skipped_ = false;
};

void keep_tail(std::string& tail, const char* data, size_t n) {
  tail.append(data, n);
  if (tail.size() > 2 * kTail) tail.erase(0, tail.size() - kTail);
}

std::string dumped_by(const std::string& head) {
  static const std::regex kDumpedBy(R"(-- Dumped by (pg_dump(?:all)? version [^\n]*))");
  std::smatch m;
  return std::regex_search(head, m, kDumpedBy) ? m[1].str() : "";
}

// A file that is not gzip must be SQL text, and not named as a gzip file (empty files are
// refused later, naming the file as empty).
void refuse_unless_plain_sql(const std::string& path, const std::string& head) {
  if (head.empty()) return;
  if (backup::detect_dump_format(head) != backup::DumpFormat::kSql) {
    throw Error(ErrorKind::kCorrupt, scanned_file + " is not a gzip stream or SQL dump",
                "choose a backup made by Immich or Keepsake (.sql.gz or .sql); nothing was changed");
  }
  if (path.size() > 3 && path.compare(path.size() - 3, 3, ".gz") == 0) {
    throw Error(ErrorKind::kCorrupt, scanned_file + " is not a valid gzip file: not a gzip stream (bad magic number)",
                "the file is damaged or is not a backup; Keepsake refuses to restore it (nothing was changed)");
  }
}

}  // namespace

uint64_t DumpPlan::table_bytes(const std::string& table) const {
  uint64_t bytes = 0;
  for (auto& i : items) {
    if (i.role == StatementRole::kCopy && i.table == table) bytes += i.copy.data_end - i.copy.data_begin;
  }
  return bytes;
}

std::unique_ptr<backup::DumpFileReader> DumpPlan::open_reader() const {
  if (stream) return std::make_unique<backup::DumpFileReader>(path, stream(), backup::DumpFileReader::Digest::kSkip);
  return std::make_unique<backup::DumpFileReader>(path, backup::DumpFileReader::Digest::kSkip);
}

namespace {

// Reads the whole dump once through the scanner and fills the plan (not its sidecar check).
void scan_reader(DumpPlan& plan, backup::DumpFileReader& reader, const ScanOptions& options) {
  plan.compressed = reader.compressed();
  std::vector<char> buf(kChunk);
  std::string head, tail;
  size_t n = reader.read(buf.data(), buf.size());
  head.assign(buf.data(), std::min(n, kHead));
  if (!plan.compressed) refuse_unless_plain_sql(plan.path, head);
  Scanner scanner(is_cluster_dump_header(head));
  SqlSplitter splitter(scanner);
  uint64_t reported = 0;
  while (n > 0) {
    splitter.feed(buf.data(), n);
    keep_tail(tail, buf.data(), n);
    if (options.progress && reader.file_bytes() - reported >= (8u << 20)) {
      options.progress(reported = reader.file_bytes());
    }
    n = reader.read(buf.data(), buf.size());
  }
  splitter.finish();
  if (splitter.offset() == 0) {
    throw Error(ErrorKind::kInvalidArgument, scanned_file + " is empty", "choose another backup");
  }
  if (!backup::dump_is_complete(tail)) {
    throw Error(ErrorKind::kCorrupt,
                plan.path + " is incomplete: the dump does not end with pg_dump's completion trailer",
                "the dump was cut off; Keepsake refuses to restore it (nothing was changed)");
  }
  plan.file_bytes = reader.file_bytes();
  plan.sql_bytes = reader.sql_bytes();
  plan.sha256 = reader.sha256_hex();
  plan.seek_points = reader.seek_points();
  plan.dumped_by = dumped_by(head);
  scanner.finish(plan, options.target_database);
  if (options.progress) options.progress(plan.file_bytes);
}

}  // namespace

DumpPlan scan_dump(const std::string& path, const ScanOptions& options) {
  DumpPlan plan;
  plan.path = path;
  scanned_file = std::filesystem::path(path).filename().string();
  backup::DumpFileReader reader(path);
  scan_reader(plan, reader, options);
  if (auto expected = backup::read_sha256_sidecar(path); expected && *expected != plan.sha256) {
    throw Error(ErrorKind::kCorrupt, path + " does not match its checksum in " + path + ".sha256",
                "the file changed after it was written; Keepsake refuses to restore it");
  }
  return plan;
}

DumpPlan scan_dump_stream(const std::string& label, const DumpStream& stream, const ScanOptions& options) {
  DumpPlan plan;
  plan.path = label;
  plan.stream = stream;
  scanned_file = label;
  backup::DumpFileReader reader(label, stream());
  scan_reader(plan, reader, options);
  return plan;
}

}  // namespace keepsake::restore
