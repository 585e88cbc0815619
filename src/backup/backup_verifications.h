// The record of backup verifications made on request (the admin console's "verify"): when a file
// was read through and whether it was whole, kept in keepsake.backup_verification so every
// instance sees it and the protection overview can date it. A backup Keepsake made was verified
// as it was written; its .sha256 sidecar is the record of that. Must never judge a file itself
// (dump_check.h does).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "db/connection.h"

namespace keepsake::backup {

struct VerificationRecord {
  std::string filename;
  std::string verified_at;  // ISO 8601 UTC
  bool ok = false;
  std::string message;      // why it failed; "" when ok
};

// Verifies <folder>/<filename> with verify_backup_file and records the outcome. Returns the record
// (a damaged file is a record with ok = false, not an exception). Throws for an invalid or missing
// name, as resolve_backup_path does.
VerificationRecord verify_and_record(db::Connection& conn, const std::string& folder,
                                     const std::string& filename);

// The SHA-256 of <folder>/<filename> when its newest record passed, the .sha256 sidecar was
// checked then, and the file's size, mtime and sidecar are still what they were: the file need
// not be read again. nullopt otherwise (verify it).
std::optional<std::string> still_verified(db::Connection& conn, const std::string& folder,
                                          const std::string& filename);

// The newest record per file name.
std::map<std::string, VerificationRecord> latest_verifications(db::Connection& conn);
// Every record of the last `days` days, oldest first.
std::vector<VerificationRecord> verifications_since(db::Connection& conn, int days);

}  // namespace keepsake::backup
