#include "restore/dump_loader.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <regex>
#include <thread>

#include "backup/gzip_stream.h"
#include "common/error.h"
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
  void set_phase(std::string phase) {
    {
      std::lock_guard lock(mu_);
      phase_ = std::move(phase);
    }
    advance(0);
  }
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
  std::atomic<uint64_t> statements{0}, rows{0};

 private:
  const LoadOptions& options_;
  uint64_t total_;
  std::atomic<uint64_t> done_{0};
  std::atomic<bool> failed_{false};
  std::mutex mu_, progress_mu_;
  std::optional<Error> error_;
  std::vector<db::Connection*> active_;
  std::string phase_ = "schema";
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

void copy_block(db::Connection& conn, backup::DumpFileReader& reader, const DumpItem& item, Shared& shared) {
  reader.skip_to(item.copy.data_begin);
  try {
    conn.copy_in_begin(item.text, "start loading " + item.table);
  } catch (const Error& e) {
    throw at_line(item, e);
  }
  std::vector<char> buf(kChunk);
  uint64_t left = item.copy.data_end - item.copy.data_begin;
  while (left > 0) {
    if (shared.failed()) {
      conn.copy_in_abort("another part of the restore failed");
      return;
    }
    size_t n = reader.read(buf.data(), static_cast<size_t>(std::min<uint64_t>(left, buf.size())));
    if (n == 0) {
      conn.copy_in_abort("the dump ended early");
      throw Error(ErrorKind::kCorrupt, reader.path() + " ended inside the data of " + item.table,
                  "the file changed since it was checked; check it again");
    }
    conn.copy_in_put(std::string_view(buf.data(), n));
    left -= n;
    shared.advance(n);
  }
  try {
    shared.rows += static_cast<uint64_t>(conn.copy_in_end());
  } catch (const Error& e) {
    throw at_line(item, e);
  }
  ++shared.statements;
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

// Longest-processing-time split of the COPY blocks over `workers`; each keeps dump order.
std::vector<std::vector<const DumpItem*>> split_copies(const std::vector<const DumpItem*>& blocks, int workers) {
  std::vector<const DumpItem*> by_size = blocks;
  std::stable_sort(by_size.begin(), by_size.end(), [](auto* a, auto* b) {
    return a->copy.data_end - a->copy.data_begin > b->copy.data_end - b->copy.data_begin;
  });
  std::vector<std::vector<const DumpItem*>> out(static_cast<size_t>(workers));
  std::vector<uint64_t> load(static_cast<size_t>(workers), 0);
  for (auto* b : by_size) {
    size_t w = static_cast<size_t>(std::min_element(load.begin(), load.end()) - load.begin());
    out[w].push_back(b);
    load[w] += b->copy.data_end - b->copy.data_begin + 1;
  }
  for (auto& list : out) std::sort(list.begin(), list.end(), [](auto* a, auto* b) { return a->line < b->line; });
  return out;
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
  backup::DumpFileReader reader(plan.path, backup::DumpFileReader::Digest::kSkip);
  db::Transaction tx(*conn);
  for (auto& sql : o.prelude) conn->exec_script(sql, "prepare the database for the restore");
  for (auto& item : plan.items) {
    if (item.role == StatementRole::kCopy) {
      shared.set_phase("data");
      copy_block(*conn, reader, item, shared);
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
  auto parts = split_copies(copies, workers);
  in_parallel(workers, parts.size(), shared, [&](size_t w) {
    if (parts[w].empty()) return;
    LoaderConnection conn(shared, target, settings, {});
    backup::DumpFileReader reader(plan.path, backup::DumpFileReader::Digest::kSkip);
    for (auto* item : parts[w]) {
      if (shared.failed()) return;
      copy_block(*conn, reader, *item, shared);
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
  LoadReport report;
  report.statements = shared.statements;
  report.rows = shared.rows;
  for (auto& [reason, count] : shared.skipped()) {
    report.skipped += count;
    report.notes.push_back(std::to_string(count) + " x " + reason);
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace keepsake::restore
