#include "common/error.h"
#include "config/keepsake_settings.h"
#include "config/system_config.h"
#include "files/files_internal.h"

namespace keepsake::files {

ForgetPolicy retention_policy(db::Connection& conn) {
  auto files = config::files_backup_settings(config::load_keepsake_settings(conn));
  ForgetPolicy policy;
  policy.keep_last = config::database_backup_settings(config::load_system_config(conn)).keep_last_amount;
  policy.keep_daily = files.keep_daily;
  policy.keep_weekly = files.keep_weekly;
  policy.keep_monthly = files.keep_monthly;
  return policy;
}

ForgetResult forget_snapshots(const FilesSettings& settings, const ForgetPolicy& policy) {
  if (policy.keep_last < 1) {
    throw Error(ErrorKind::kInvalidArgument, "retention must keep at least the last point");
  }
  // Only Keepsake's snapshots (host "keepsake", as backup_files makes them), as one group: another
  // client's snapshots in a shared repository are never forgotten.
  std::vector<std::string> args{"forget", "--prune", "--host", kSnapshotHost, "--group-by", "host",
                                "--keep-last", std::to_string(policy.keep_last)};
  for (const auto& [flag, n] : {std::pair{"--keep-daily", policy.keep_daily},
                                {"--keep-weekly", policy.keep_weekly},
                                {"--keep-monthly", policy.keep_monthly}}) {
    if (n > 0) args.insert(args.end(), {flag, std::to_string(n)});
  }
  auto before = list_snapshots(settings).size();
  restic_for(settings).run(args);
  ForgetResult result;
  result.kept = static_cast<int64_t>(list_snapshots(settings).size());
  result.removed = static_cast<int64_t>(before) - result.kept;
  return result;
}

}  // namespace keepsake::files
