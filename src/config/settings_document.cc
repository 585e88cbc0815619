#include "config/settings_document.h"

#include "common/cron.h"
#include "common/error.h"
#include "common/log.h"
#include "db/system_metadata.h"

namespace keepsake::config {

using nlohmann::json;
using Pointer = json::json_pointer;

namespace {

void collect_leaves(const json& j, const Pointer& prefix, std::vector<Pointer>& out) {
  if (j.is_object()) {
    for (auto& [key, value] : j.items()) collect_leaves(value, prefix / key, out);
    return;
  }
  out.push_back(prefix);
}

std::vector<Pointer> leaves(const json& j) {
  std::vector<Pointer> out;
  if (j.is_object()) collect_leaves(j, Pointer(), out);
  return out;
}

std::string dotted(const Pointer& p) {
  std::string s = p.to_string();
  std::string out;
  for (size_t i = 1; i < s.size(); ++i) out += s[i] == '/' ? '.' : s[i];
  return out;
}

}  // namespace

std::vector<std::string> leaf_paths(const json& object) {
  std::vector<std::string> out;
  for (auto& p : leaves(object)) out.push_back(dotted(p));
  return out;
}

SettingsDocument::SettingsDocument(json defaults, std::string name, std::string key, std::string where,
                                   Validator validate)
    : defaults_(std::move(defaults)),
      name_(std::move(name)),
      key_(std::move(key)),
      where_(std::move(where)),
      validate_(validate) {}

json SettingsDocument::load(db::Connection& conn) const {
  json stored = db::SystemMetadataRepository(conn).get(key_).value_or(json::object());
  if (!stored.is_object()) {
    spdlog::warn("system_metadata '{}' is not a JSON object; using the defaults", key_);
    stored = json::object();
  }
  json full = merge(stored);
  try {
    validate_(full);
  } catch (const Error& e) {
    spdlog::error("stored {} is invalid: {}", name_, e.what());
  }
  return full;
}

json SettingsDocument::save(db::Connection& conn, const json& full) const {
  validate_(full);
  db::SystemMetadataRepository(conn).upsert(key_, diff(full));
  return load(conn);
}

json SettingsDocument::merge(const json& stored) const {
  json result = defaults_;
  for (auto& p : leaves(stored)) result[p] = stored.at(p);
  return result;
}

json SettingsDocument::diff(const json& full) const {
  json partial = json::object();
  for (auto& p : leaves(full)) {
    const json& value = full.at(p);
    if (value.is_null() || (value.is_string() && value.get<std::string>().empty())) continue;
    bool modelled = defaults_.contains(p) && !defaults_.at(p).is_object();
    if (modelled && defaults_.at(p) == value) continue;
    partial[p] = value;
  }
  return partial;
}

void SettingsDocument::invalid(const char* path, const std::string& what) const {
  throw Error(ErrorKind::kInvalidArgument, "Invalid " + name_ + ": " + dotted(Pointer(path)) + " " + what,
              "fix the value in " + where_);
}

const json& SettingsDocument::at(const json& full, const char* path) const {
  Pointer p(path);
  if (!full.contains(p)) invalid(path, "is missing");
  return full.at(p);
}

bool SettingsDocument::get_bool(const json& full, const char* path) const {
  const json& v = at(full, path);
  if (!v.is_boolean()) invalid(path, "must be a boolean, got " + v.dump());
  return v.get<bool>();
}

int64_t SettingsDocument::get_int(const json& full, const char* path, int64_t min) const {
  const json& v = at(full, path);
  if (!v.is_number_integer() || v.get<int64_t>() < min) {
    invalid(path, "must be an integer of at least " + std::to_string(min) + ", got " + v.dump());
  }
  return v.get<int64_t>();
}

std::string SettingsDocument::get_string(const json& full, const char* path) const {
  const json& v = at(full, path);
  if (!v.is_string()) invalid(path, "must be a string, got " + v.dump());
  return v.get<std::string>();
}

void SettingsDocument::check_cron(const json& full, const char* enabled_path, const char* cron_path) const {
  std::string expr = get_string(full, cron_path);
  if (!get_bool(full, enabled_path)) return;
  try {
    CronExpression::parse(expr);
  } catch (const Error& e) {
    invalid(cron_path, std::string("is not a valid cron expression: ") + e.what());
  }
}

}  // namespace keepsake::config
