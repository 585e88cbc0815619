// A settings document kept in system_metadata as only its differences from known defaults, and
// read back merged over them (objects key by key, arrays and scalars as whole values). Shared by
// Immich's `system-config` and Keepsake's own `keepsake-config`. Holds no rule of the modules that
// read the settings.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "db/connection.h"

namespace keepsake::config {

class SettingsDocument {
 public:
  using Validator = void (*)(const nlohmann::json& full);
  // `name` appears in errors ("Invalid system config: ..."), `where` in their hint; `key` is the
  // system_metadata row; `validate` throws for a bad document.
  SettingsDocument(nlohmann::json defaults, std::string name, std::string key, std::string where,
                   Validator validate);

  // The effective document (stored overrides merged into the defaults). Stored values that fail
  // validation are logged and returned; readers re-check what they use.
  nlohmann::json load(db::Connection& conn) const;
  // Validates `full`, stores its differences from the defaults, returns the effective document.
  nlohmann::json save(db::Connection& conn, const nlohmann::json& full) const;

  const nlohmann::json& defaults() const { return defaults_; }

  // defaults ← stored overrides.
  nlohmann::json merge(const nlohmann::json& stored) const;
  // Only the leaves of `full` that differ from the defaults (null and "" count as unset); leaves
  // the defaults do not have are kept, so a newer writer's keys survive.
  nlohmann::json diff(const nlohmann::json& full) const;

  // Typed reads of `full` by JSON pointer ("/backup/database/enabled"); a missing or mistyped
  // value throws Error(kInvalidArgument) naming its dotted key.
  bool get_bool(const nlohmann::json& full, const char* path) const;
  int64_t get_int(const nlohmann::json& full, const char* path, int64_t min) const;
  std::string get_string(const nlohmann::json& full, const char* path) const;
  // The cron expression at `cron_path`, checked only when the bool at `enabled_path` is true.
  void check_cron(const nlohmann::json& full, const char* enabled_path, const char* cron_path) const;
  [[noreturn]] void invalid(const char* path, const std::string& what) const;

 private:
  const nlohmann::json& at(const nlohmann::json& full, const char* path) const;

  nlohmann::json defaults_;
  std::string name_;
  std::string key_;
  std::string where_;
  Validator validate_;
};

// Leaf paths of an object ("backup.database.enabled", ...); arrays and scalars are leaves.
std::vector<std::string> leaf_paths(const nlohmann::json& object);

}  // namespace keepsake::config
