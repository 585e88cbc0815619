#include <filesystem>
#include <map>
#include <sstream>

#include "common/error.h"
#include "files/files_internal.h"
#include "storage/checksum_verify.h"
#include "storage/layout.h"

namespace keepsake::files {
namespace fs = std::filesystem;
namespace {

// path -> the SHA-1 a good copy has ("" when any copy will do: files without a checksum).
using Wanted = std::map<std::string, std::string>;

void add_scan_findings(db::Connection& conn, const FilesSettings& s, Wanted& wanted) {
  storage::StorageLayout layout(s.media_location);
  storage::ScanReport report;
  storage::scan_storage(conn, layout, report);
  std::stringstream json;
  report.write_json(json, s.media_location);
  auto j = nlohmann::json::parse(json.str());
  for (const char* cls : {"irreplaceable", "regenerable"}) {
    for (const auto& f : j["missing"][cls]["files"]) wanted.emplace(f.value("path", ""), "");
  }
}

void add_verify_findings(db::Connection& conn, Wanted& wanted) {
  storage::VerifyOptions options;
  options.restart = true;
  for (const auto& f : storage::verify_checksums(conn, options).findings) {
    if (f.problem == "damaged" || f.problem == "missing") wanted.emplace(f.path, "");
  }
}

// Originals must come back with the SHA-1 the database holds for them.
void expect_checksums(db::Connection& conn, Wanted& wanted) {
  auto r = conn.exec(R"(SELECT "originalPath", checksum FROM asset
                        WHERE "checksumAlgorithm" = 'sha1' AND status <> 'deleted')");
  for (int i = 0; i < r.rows(); ++i) {
    auto it = wanted.find(r.text(i, 0));
    if (it != wanted.end()) it->second = r.bytea(i, 1);
  }
}

// restic's --include takes patterns: its special characters are escaped.
std::string include_pattern(const std::string& relative) {
  std::string out = "/";
  for (char c : relative) {
    if (c == '*' || c == '?' || c == '[' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

bool good_copy(const fs::path& staged, const std::string& sha1, std::vector<char>& buffer) {
  if (!fs::is_regular_file(staged)) return false;
  if (sha1.empty()) return true;
  auto digest = storage::sha1_of_file(staged.string(), buffer);
  return digest.sha1 && *digest.sha1 == sha1;
}

// Restores the wanted files one snapshot holds into place; those it held good copies of leave
// `wanted`.
void repair_from(const FilesSettings& s, const Snapshot& snapshot, Wanted& wanted,
                 RepairResult& result) {
  auto staging = fresh_staging(s, "repair-staging");
  std::vector<std::string> args{"restore", "--target", staging};
  for (const auto& [path, sha1] : wanted) {
    args.insert(args.end(), {"--include", include_pattern(fs::relative(path, s.media_location))});
  }
  args.insert(args.end(), {"--", snapshot.id});
  try {
    restic_for(s).run(args);
  } catch (...) {
    fs::remove_all(staging);
    throw;
  }
  std::vector<char> buffer;
  for (auto it = wanted.begin(); it != wanted.end();) {
    auto staged = fs::path(staging) / fs::relative(it->first, s.media_location);
    if (!good_copy(staged, it->second, buffer)) {
      ++it;
      continue;
    }
    copy_into_place(staged, it->first);
    result.repaired.push_back({it->first, snapshot.short_id, shown_repository(configured_repository(s))});
    it = wanted.erase(it);
  }
  fs::remove_all(staging);
}

bool inside(const std::string& path, const std::string& root) {
  auto relative = fs::path(path).lexically_relative(root);
  return !relative.empty() && *relative.begin() != "..";
}

}  // namespace

RepairResult repair_files(db::Connection& conn, const FilesSettings& settings) {
  Wanted wanted;
  add_scan_findings(conn, settings, wanted);
  add_verify_findings(conn, wanted);
  expect_checksums(conn, wanted);
  RepairResult result;
  for (auto it = wanted.begin(); it != wanted.end();) {
    if (inside(it->first, settings.media_location)) {
      ++it;
    } else {
      result.not_found.push_back(it->first);  // outside the media folder: never in a snapshot
      it = wanted.erase(it);
    }
  }
  // The primary's snapshots first, newest first, then the next repository's: a damaged or
  // unreachable repository does not stop the others from giving their copies.
  for (const auto& repository : configured_repositories(settings)) {
    if (wanted.empty()) break;
    auto one = for_repository(settings, repository);
    try {
      for (const auto& snapshot : list_snapshots(one)) {
        if (wanted.empty()) break;
        repair_from(one, snapshot, wanted, result);
      }
    } catch (const Error& e) {
      result.unreadable.push_back(shown_repository(repository.url) + ": " + e.full_message());
    }
  }
  for (const auto& [path, sha1] : wanted) result.not_found.push_back(path);
  return result;
}

}  // namespace keepsake::files

namespace keepsake::files {
namespace {

// Every original's SHA-1 under `root`, which holds a copy of the media folder.
void prove_copy(db::Connection& conn, const FilesSettings& s, const std::string& root,
                LibraryProof& proof) {
  auto r = conn.exec(R"(SELECT id::text, "ownerId"::text, "originalPath", checksum FROM asset
                        WHERE "checksumAlgorithm" = 'sha1' AND status <> 'deleted'
                        ORDER BY "originalPath")");
  std::vector<char> buffer;
  for (int i = 0; i < r.rows(); ++i) {
    std::string path = r.text(i, 2);
    if (!inside(path, s.media_location)) continue;
    auto copy = fs::path(root) / fs::relative(path, s.media_location);
    auto digest = storage::sha1_of_file(copy.string(), buffer);
    ++proof.originals_checked;
    if (digest.sha1 && *digest.sha1 == r.bytea(i, 3)) continue;
    proof.findings.push_back(
        {r.text(i, 0), r.text(i, 1), "", copy.string(), digest.missing ? "missing" : "damaged"});
  }
}

}  // namespace

LibraryProof prove_library(db::Connection& conn, const FilesSettings& settings,
                           const std::string& root) {
  LibraryProof proof;
  if (!root.empty() && fs::weakly_canonical(root) != fs::weakly_canonical(settings.media_location)) {
    prove_copy(conn, settings, root, proof);
    return proof;
  }
  storage::StorageLayout layout(settings.media_location);
  storage::ScanReport report;
  storage::scan_storage(conn, layout, report);
  proof.missing_irreplaceable = report.summary.irreplaceable.count;
  storage::VerifyOptions options;
  options.restart = true;
  auto verified = storage::verify_checksums(conn, options);
  proof.originals_checked = verified.checked_in_pass;
  proof.findings = verified.findings;
  return proof;
}

}  // namespace keepsake::files
