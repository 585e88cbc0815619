#include "restore/dump_loader.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iterator>
#include <map>
#include <mutex>
#include <optional>
#include <regex>
#include <thread>

#include "backup/gzip_stream.h"
#include "common/error.h"
#include "restore/binary_copy.h"
#include "restore/statement_patterns.h"

namespace keepsake::restore {
namespace {

constexpr size_t kChunk = 1 << 20;
constexpr uint64_t kStatementWeight = 4096;

uint64_t weight(const DumpPlan& plan, const DumpItem& item) {
  switch (item.role) {
    case StatementRole::kCopy: return item.copy.data_end - item.copy.data_begin;
    case StatementRole::kIndex: return std::max(plan.table_bytes(item.table) / 2, kStatementWeight);
    default: return kStatementWeight;
  }
}

std::string first_words(const std::string& text) {
  std::string s = text.substr(0, 80);
  std::replace(s.begin(), s.end(), '\n', ' ');
  return text.size() > 80 ? s + "..." : s;
}

// What every loading thread shares: the first error (which stops the others), progress, and
// the connections to cancel when something fails.
class Shared {
 public:
  Shared(const LoadOptions& options, uint64_t total) : options_(options), total_(total) {}

  void fail(const Error& e) {
    std::lock_guard lock(mu_);
    if (!error_) error_ = e;
    failed_ = true;
    for (auto* c : active_) c->cancel();
  }
  bool failed() const { return failed_; }
  void rethrow() {
    std::lock_guard lock(mu_);
    if (error_) throw *error_;
  }
  void enter(db::Connection* c) {
    std::lock_guard lock(mu_);
    active_.push_back(c);
  }
  void leave(db::Connection* c) {
    std::lock_guard lock(mu_);
    active_.erase(std::remove(active_.begin(), active_.end(), c), active_.end());
  }
  // Loader threads advance concurrently; the callback is called by one at a time.
  void advance(uint64_t n) {
    uint64_t done = done_ += n;
    if (!options_.progress) return;
    LoadProgress p{phase(), done, total_};
    std::lock_guard lock(progress_mu_);
    options_.progress(p);
  }
  // Called by the coordinating thread only; it also times the phase that ends.
  void set_phase(std::string phase) {
    if (phase == this->phase()) return;
    end_phase();
    {
      std::lock_guard lock(mu_);
      phase_ = std::move(phase);
    }
    advance(0);
  }
  // "schema 0.2 s, data 18.1 s, ..." for the phases ended so far.
  void end_phase() {
    auto now = std::chrono::steady_clock::now();
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s%s %.1f s", timings_.empty() ? "" : ", ", phase().c_str(),
                  std::chrono::duration<double>(now - phase_start_).count());
    timings_ += buf;
    phase_start_ = now;
  }
  const std::string& timings() const { return timings_; }
  std::string phase() {
    std::lock_guard lock(mu_);
    return phase_;
  }
  void note_skip(const std::string& reason) {
    std::lock_guard lock(mu_);
    ++skipped_[reason];
  }
  std::map<std::string, uint64_t> skipped() {
    std::lock_guard lock(mu_);
    return skipped_;
  }
  std::atomic<uint64_t> statements{0}, rows{0}, binary_rows{0};

 private:
  const LoadOptions& options_;
  uint64_t total_;
  std::atomic<uint64_t> done_{0};
  std::atomic<bool> failed_{false};
  std::mutex mu_, progress_mu_;
  std::optional<Error> error_;
  std::vector<db::Connection*> active_;
  std::string phase_ = "schema";
  std::chrono::steady_clock::time_point phase_start_ = std::chrono::steady_clock::now();
  std::string timings_;
  std::map<std::string, uint64_t> skipped_;
};

// A connection registered for cancellation while it lives.
class LoaderConnection {
 public:
  LoaderConnection(Shared& shared, const DatabaseConfig& target, const std::vector<const DumpItem*>& settings,
                   const std::string& maintenance_work_mem)
      : shared_(shared), conn_(db::Connection::open(target)) {
    conn_->exec("SET application_name = 'keepsake-restore'", {}, "name the restore's connection");
    conn_->exec("SET synchronous_commit = off", {}, "speed up the restore's commits");
    if (!maintenance_work_mem.empty()) {
      conn_->exec("SELECT set_config('maintenance_work_mem', $1, false)", {maintenance_work_mem},
                  "set maintenance_work_mem for index builds");
    }
    for (auto* s : settings) conn_->exec_script(s->text, "apply the dump's session setting");
    shared_.enter(conn_.get());
  }
  ~LoaderConnection() { shared_.leave(conn_.get()); }
  db::Connection& operator*() { return *conn_; }
  db::Connection* operator->() { return conn_.get(); }

 private:
  Shared& shared_;
  std::unique_ptr<db::Connection> conn_;
};

Error at_line(const DumpItem& item, const Error& e) {
  return Error(e.kind(), "line " + std::to_string(item.line) + " of the dump (" + first_words(item.text) +
                             "): " + e.what(),
               e.hint(), e.sqlstate());
}

void run_statement(db::Connection& conn, const DumpItem& item, const LoadPolicy& policy, Shared& shared) {
  if (auto why = skip_reason(item, policy); !why.empty()) {
    shared.note_skip(why);
    shared.advance(kStatementWeight);
    return;
  }
  try {
    conn.exec_script(item.text);
  } catch (const Error& e) {
    throw at_line(item, e);
  }
  ++shared.statements;
  shared.advance(kStatementWeight);
}

// The part [begin, end) of one COPY block's data, loaded by one COPY statement.
struct CopyPiece {
  const DumpItem* item;
  uint64_t begin, end;
};

CopyPiece whole(const DumpItem& item) { return {&item, item.copy.data_begin, item.copy.data_end}; }

// The COPY blocks in dump order, each cut where a gzip member starts at a row boundary (COPY's
// text format ends every row with a newline, and escapes the newlines inside values): several
// connections then share one large table, each decompressing only its own pieces.
std::vector<CopyPiece> copy_pieces(const DumpPlan& plan, const std::vector<const DumpItem*>& copies) {
  std::vector<CopyPiece> pieces;
  auto by_offset = [](const backup::SeekPoint& p, uint64_t o) { return p.sql_offset < o; };
  for (auto* item : copies) {
    uint64_t begin = item->copy.data_begin;
    auto point = std::lower_bound(plan.seek_points.begin(), plan.seek_points.end(), begin + 1, by_offset);
    for (; point != plan.seek_points.end() && point->sql_offset < item->copy.data_end; ++point) {
      if (!point->line_start) continue;
      pieces.push_back({item, begin, point->sql_offset});
      begin = point->sql_offset;
    }
    pieces.push_back({item, begin, item->copy.data_end});
  }
  return pieces;
}

// One loading connection's view of the dump: a reader moved to any SQL offset by decompressing
// from the nearest seek point the scan recorded (or, when that is behind it, by reading on).
class PieceReader {
 public:
  explicit PieceReader(const DumpPlan& plan) : plan_(plan) {}

  backup::DumpFileReader& at(uint64_t offset) {
    if (plan_.stream) {  // a stream cannot seek: read on, or start it again
      if (!reader_ || reader_->sql_bytes() > offset) reader_ = plan_.open_reader();
      reader_->skip_to(offset);
      return *reader_;
    }
    backup::SeekPoint start = nearest_seek_point(offset);
    bool reusable = reader_ && reader_->sql_bytes() <= offset && reader_->sql_bytes() >= start.sql_offset;
    if (!reusable) reader_ = std::make_unique<backup::DumpFileReader>(plan_.path, start, plan_.compressed);
    reader_->skip_to(offset);
    return *reader_;
  }

 private:
  backup::SeekPoint nearest_seek_point(uint64_t offset) const {
    if (!plan_.compressed) return {offset, offset, false};
    auto after = std::upper_bound(plan_.seek_points.begin(), plan_.seek_points.end(), offset,
                                  [](uint64_t o, const backup::SeekPoint& p) { return o < p.sql_offset; });
    return after == plan_.seek_points.begin() ? backup::SeekPoint{} : *std::prev(after);
  }

  const DumpPlan& plan_;
  std::unique_ptr<backup::DumpFileReader> reader_;
};

// Longest-processing-time split of the pieces over `workers`; each keeps dump order, so that a
// worker's reader moves forward through the file (a single-member gzip file has one seek point).
std::vector<std::vector<CopyPiece>> split_pieces(const std::vector<CopyPiece>& pieces, int workers) {
  std::vector<CopyPiece> by_size = pieces;
  std::stable_sort(by_size.begin(), by_size.end(),
                   [](const CopyPiece& a, const CopyPiece& b) { return a.end - a.begin > b.end - b.begin; });
  std::vector<std::vector<CopyPiece>> out(static_cast<size_t>(workers));
  std::vector<uint64_t> load(static_cast<size_t>(workers), 0);
  for (auto& piece : by_size) {
    size_t w = static_cast<size_t>(std::min_element(load.begin(), load.end()) - load.begin());
    out[w].push_back(piece);
    load[w] += piece.end - piece.begin + 1;
  }
  for (auto& list : out) {
    std::sort(list.begin(), list.end(), [](const CopyPiece& a, const CopyPiece& b) { return a.begin < b.begin; });
  }
  return out;
}

// Tables whose COPY data can be sent as COPY BINARY: the statement names every column of the
// table in order, and each is a uuid or pgvector's vector (types as the target created them).
using BinaryTables = std::map<std::string, std::vector<BinaryColumn>>;

BinaryTables binary_tables(db::Connection& conn, const std::vector<const DumpItem*>& copies) {
  BinaryTables tables;
  auto vector_type = conn.exec(
      "SELECT t.oid::text FROM pg_type t JOIN pg_depend d ON d.classid = 'pg_type'::regclass "
      "AND d.objid = t.oid AND d.deptype = 'e' JOIN pg_extension e ON e.oid = d.refobjid "
      "WHERE e.extname = 'vector' AND t.typname = 'vector'",
      {}, "look for pgvector's vector type");
  if (vector_type.rows() == 0) return tables;
  std::string vector_oid = vector_type.text(0, 0);
  for (auto* item : copies) {
    if (tables.count(item->table)) continue;
    auto listed = copy_columns(item->text, item->table);
    if (!listed || !binary_copy_statement(item->text)) continue;
    auto columns = conn.exec(
        "SELECT a.attname, a.atttypid::text FROM pg_attribute a WHERE a.attrelid = to_regclass($1) "
        "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
        {item->table}, "read the columns of " + item->table);
    if (columns.rows() != static_cast<int>(listed->size())) continue;
    std::vector<BinaryColumn> kinds;
    for (int i = 0; i < columns.rows(); ++i) {
      if (columns.text(i, 0) != (*listed)[static_cast<size_t>(i)]) break;
      if (columns.text(i, 1) == "2950") kinds.push_back(BinaryColumn::kUuid);
      else if (columns.text(i, 1) == vector_oid) kinds.push_back(BinaryColumn::kVector);
      else break;
    }
    if (kinds.size() == listed->size()) tables[item->table] = std::move(kinds);
  }
  return tables;
}

enum class PieceEnd { kLoaded, kStopped, kRefused };

// Streams the piece's data into a COPY begun on `conn`: as it is, or through `encoder` (which
// may refuse a row). `reported` is how much of the piece progress has counted already.
PieceEnd send_piece(db::Connection& conn, backup::DumpFileReader& reader, const CopyPiece& piece,
                    BinaryCopyEncoder* encoder, Shared& shared, uint64_t& reported) {
  std::vector<char> buf(kChunk);
  std::string out;
  if (encoder) conn.copy_in_put(BinaryCopyEncoder::header());
  uint64_t sent = 0, size = piece.end - piece.begin;
  while (sent < size) {
    if (shared.failed()) return PieceEnd::kStopped;
    size_t n = reader.read(buf.data(), static_cast<size_t>(std::min<uint64_t>(size - sent, buf.size())));
    if (n == 0) {
      throw Error(ErrorKind::kCorrupt, reader.path() + " ended inside the data of " + piece.item->table,
                  "the file changed since it was checked; check it again");
    }
    std::string_view chunk(buf.data(), n);
    if (!encoder) {
      conn.copy_in_put(chunk);
    } else {
      out.clear();
      if (!encoder->encode(chunk, out)) return PieceEnd::kRefused;
      conn.copy_in_put(out);
    }
    sent += n;
    if (sent > reported) shared.advance(sent - reported), reported = sent;
  }
  if (encoder) {
    if (encoder->pending() > 0) return PieceEnd::kRefused;
    conn.copy_in_put(BinaryCopyEncoder::trailer());
  }
  return PieceEnd::kLoaded;
}

// One COPY statement for the piece; a COPY that does not end loaded is aborted (the server
// discards its rows).
PieceEnd copy_piece_once(db::Connection& conn, backup::DumpFileReader& reader, const CopyPiece& piece,
                         BinaryCopyEncoder* encoder, Shared& shared, uint64_t& reported) {
  const DumpItem& item = *piece.item;
  reader.skip_to(piece.begin);
  try {
    conn.copy_in_begin(encoder ? *binary_copy_statement(item.text) : item.text, "start loading " + item.table);
  } catch (const Error& e) {
    throw at_line(item, e);
  }
  PieceEnd end;
  try {
    end = send_piece(conn, reader, piece, encoder, shared, reported);
  } catch (...) {
    conn.copy_in_abort("the restore failed");
    throw;
  }
  if (end != PieceEnd::kLoaded) {
    conn.copy_in_abort(end == PieceEnd::kStopped ? "another part of the restore failed"
                                                 : "a row has a form the binary path does not take");
    return end;
  }
  uint64_t rows;
  try {
    rows = static_cast<uint64_t>(conn.copy_in_end());
  } catch (const Error& e) {
    throw at_line(item, e);
  }
  shared.rows += rows;
  if (encoder) shared.binary_rows += rows;
  if (piece.end == item.copy.data_end) ++shared.statements;
  return end;
}

// Loads a piece, in binary when its table allows and every row converts, else as text.
void load_piece(db::Connection& conn, PieceReader& reader, const CopyPiece& piece, const BinaryTables& binary,
                Shared& shared) {
  uint64_t reported = 0;
  if (auto columns = binary.find(piece.item->table); columns != binary.end()) {
    BinaryCopyEncoder encoder(columns->second);
    if (copy_piece_once(conn, reader.at(piece.begin), piece, &encoder, shared, reported) != PieceEnd::kRefused) {
      return;
    }
    spdlog::info("Restore: part of {} is loaded as text (a row has a form the binary path does not take)",
                 piece.item->table);
  }
  copy_piece_once(conn, reader.at(piece.begin), piece, nullptr, shared, reported);
}

// Runs `work(i)` for i in [0, n) on `threads` threads; the first error stops the rest.
void in_parallel(int threads, size_t n, Shared& shared, const std::function<void(size_t)>& work) {
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      try {
        for (size_t i = static_cast<size_t>(t); i < n && !shared.failed(); i += static_cast<size_t>(threads)) work(i);
      } catch (const Error& e) {
        shared.fail(e);
      } catch (const std::exception& e) {
        shared.fail(Error(ErrorKind::kInternal, e.what()));
      }
    });
  }
  for (auto& th : pool) th.join();
  shared.rethrow();
}

// Runs index-like statements on up to `workers` connections, heaviest first.
void build_in_parallel(std::vector<const DumpItem*> items, const DumpPlan& plan, const DatabaseConfig& target,
                       const std::vector<const DumpItem*>& settings, const LoadOptions& o, int workers,
                       Shared& shared) {
  if (items.empty()) return;
  std::stable_sort(items.begin(), items.end(), [&](auto* a, auto* b) { return weight(plan, *a) > weight(plan, *b); });
  std::atomic<size_t> next{0};
  int builders = std::min<int>(workers, static_cast<int>(items.size()));
  in_parallel(builders, static_cast<size_t>(builders), shared, [&](size_t) {
    LoaderConnection conn(shared, target, settings, o.maintenance_work_mem);
    for (size_t i = next++; i < items.size() && !shared.failed(); i = next++) {
      if (auto why = skip_reason(*items[i], o.policy); !why.empty()) {
        shared.note_skip(why);
        continue;
      }
      try {
        conn->exec_script(items[i]->text);
      } catch (const Error& e) {
        throw at_line(*items[i], e);
      }
      ++shared.statements;
      shared.advance(weight(plan, *items[i]));
    }
  });
}

void checkpoint(const LoadOptions& o, std::string_view point) {
  if (o.checkpoint) o.checkpoint(point);
}

void load_single_transaction(const DumpPlan& plan, const DatabaseConfig& target, const LoadOptions& o,
                             Shared& shared) {
  LoaderConnection conn(shared, target, {}, o.maintenance_work_mem);
  auto reader = plan.open_reader();
  db::Transaction tx(*conn);
  for (auto& sql : o.prelude) conn->exec_script(sql, "prepare the database for the restore");
  for (auto& item : plan.items) {
    if (item.role == StatementRole::kCopy) {
      shared.set_phase("data");
      uint64_t reported = 0;
      copy_piece_once(*conn, *reader, whole(item), nullptr, shared, reported);
    } else {
      if (item.role == StatementRole::kIndex) shared.set_phase("indexes");
      run_statement(*conn, item, o.policy, shared);
    }
  }
  checkpoint(o, "loaded");
  if (o.before_commit) o.before_commit(*conn);
  tx.commit();
}

void load_parallel(const DumpPlan& plan, const DatabaseConfig& target, const LoadOptions& o, Shared& shared) {
  int workers = std::max(1, o.connections);
  uint64_t first_copy = UINT64_MAX, last_copy = 0;
  for (auto& item : plan.items) {
    if (item.role != StatementRole::kCopy) continue;
    first_copy = std::min(first_copy, item.line);
    last_copy = std::max(last_copy, item.line);
  }
  // pre: settings and schema in dump order; the settings before the data also go to every
  // worker connection, and those after it (before the first index) to the index builders.
  std::vector<const DumpItem*> pre, settings, index_settings, copies, data, post_prefix, indexes, post_rest;
  bool seen_index = false;
  for (auto& item : plan.items) {
    bool before_data = item.line < first_copy, after_data = item.line > last_copy;
    switch (item.role) {
      case StatementRole::kSetting:
        if (before_data) {
          pre.push_back(&item), settings.push_back(&item);
        } else if (!after_data) {
          data.push_back(&item);
        } else {
          (seen_index ? post_rest : post_prefix).push_back(&item);
          if (!seen_index) index_settings.push_back(&item);
        }
        break;
      case StatementRole::kSchema: pre.push_back(&item); break;
      case StatementRole::kCopy: copies.push_back(&item); break;
      case StatementRole::kData: data.push_back(&item); break;
      case StatementRole::kIndex: seen_index = true; indexes.push_back(&item); break;
      case StatementRole::kPostData: (seen_index ? post_rest : post_prefix).push_back(&item); break;
    }
  }
  index_settings.insert(index_settings.begin(), settings.begin(), settings.end());
  LoaderConnection main(shared, target, {}, o.maintenance_work_mem);
  for (auto* item : pre) run_statement(*main, *item, o.policy, shared);
  checkpoint(o, "schema");

  shared.set_phase("data");
  auto parts = split_pieces(copy_pieces(plan, copies), workers);
  BinaryTables binary = binary_tables(*main, copies);
  in_parallel(workers, parts.size(), shared, [&](size_t w) {
    if (parts[w].empty()) return;
    LoaderConnection conn(shared, target, settings, {});
    PieceReader reader(plan);
    for (auto& piece : parts[w]) {
      if (shared.failed()) return;
      load_piece(*conn, reader, piece, binary, shared);
    }
  });
  for (auto* item : data) run_statement(*main, *item, o.policy, shared);
  checkpoint(o, "data");

  shared.set_phase("indexes");
  for (auto* item : post_prefix) run_statement(*main, *item, o.policy, shared);
  // Two waves, largest table first in each: primary/unique constraints (they lock their table
  // exclusively, so they must not wait behind a long index build on it), then CREATE INDEX
  // (which share their table's lock, so two builds on one table run side by side).
  std::vector<const DumpItem*> constraints, plain_indexes;
  for (auto* item : indexes) (starts_with_keyword(item->text, "ALTER") ? constraints : plain_indexes).push_back(item);
  for (auto* wave : {&constraints, &plain_indexes}) {
    build_in_parallel(*wave, plan, target, index_settings, o, workers, shared);
  }
  checkpoint(o, "indexes");
  shared.set_phase("constraints");
  for (auto* item : post_rest) run_statement(*main, *item, o.policy, shared);
  checkpoint(o, "loaded");
}

}  // namespace

std::string skip_reason(const DumpItem& item, const LoadPolicy& policy) {
  if (item.role == StatementRole::kCopy) return "";
  if (auto role = owner_role(item.text); role && !policy.superuser && !policy.owner_roles.count(*role)) {
    return "ALTER ... OWNER TO " + *role + " (no such role here, or this user may not give objects to it; "
           "the objects stay owned by the restoring user)";
  }
  if (auto role = owner_role(item.text); role && policy.superuser && !policy.owner_roles.count(*role)) {
    return "ALTER ... OWNER TO " + *role + " (no such role on this server; the objects stay owned by the "
           "restoring user)";
  }
  if (dropped_extension(item.text) && policy.keep_extensions) {
    return "DROP EXTENSION (the installed extensions are kept in place)";
  }
  if (commented_extension(item.text) && !policy.superuser) {
    return "COMMENT ON EXTENSION (only the extension's owner may change its comment)";
  }
  return "";
}

LoadPolicy load_policy_for(db::Connection& conn, bool keep_extensions) {
  LoadPolicy p;
  p.keep_extensions = keep_extensions;
  p.superuser = conn.exec("SELECT rolsuper FROM pg_roles WHERE rolname = current_user", {}, "read the role")
                    .boolean(0, 0);
  auto roles = conn.exec(
      "SELECT rolname FROM pg_roles WHERE $1::boolean OR pg_has_role(current_user, oid, 'MEMBER')",
      {p.superuser ? "true" : "false"}, "read the roles objects may be given to");
  for (int i = 0; i < roles.rows(); ++i) p.owner_roles.insert(roles.text(i, 0));
  return p;
}

LoadReport load_dump(const DumpPlan& plan, const DatabaseConfig& target, const LoadOptions& options) {
  static const std::regex kMemory(R"(^\d+\s*(kB|MB|GB|TB)?$)");
  if (!options.maintenance_work_mem.empty() && !std::regex_match(options.maintenance_work_mem, kMemory)) {
    throw Error(ErrorKind::kInvalidArgument, "maintenance_work_mem must look like 1GB or 512MB");
  }
  auto start = std::chrono::steady_clock::now();
  uint64_t total = 0;
  for (auto& item : plan.items) total += weight(plan, item);
  Shared shared(options, total);
  if (options.single_transaction) {
    load_single_transaction(plan, target, options, shared);
  } else {
    load_parallel(plan, target, options, shared);
  }
  shared.end_phase();
  LoadReport report;
  report.timings = shared.timings();
  report.statements = shared.statements;
  report.rows = shared.rows;
  report.binary_rows = shared.binary_rows;
  for (auto& [reason, count] : shared.skipped()) {
    report.skipped += count;
    report.notes.push_back(std::to_string(count) + " x " + reason);
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace keepsake::restore
