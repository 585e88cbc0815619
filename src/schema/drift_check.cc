#include "schema/drift_check.h"

#include <spdlog/spdlog.h>

#include "common/error.h"
#include "schema/catalog_reader.h"

namespace keepsake::schema {

VectorFlavour installed_vector_flavour(db::Connection& conn) {
  auto r = conn.exec(
      "SELECT extname FROM pg_extension WHERE extname IN ('vchord', 'vectors', 'vector') "
      "ORDER BY array_position(ARRAY['vchord', 'vectors', 'vector']::name[], extname) LIMIT 1",
      {}, "read the installed vector extension");
  if (r.empty()) return VectorFlavour::kBuiltin;
  return parse_vector_flavour(r.text(0, 0)).value_or(VectorFlavour::kBuiltin);
}

DriftReport split_notes(std::vector<DriftItem> items) {
  DriftReport report;
  for (auto& item : items) {
    (item.kind == DriftKind::kSetting ? report.notes : report.drift).push_back(std::move(item));
  }
  return report;
}

DriftReport check_drift(db::Connection& conn, const Schema& declared) {
  Schema live = read_catalog(conn, "public");
  DiffOptions options;
  options.database_name = conn.exec("SELECT current_database()").text(0, 0);
  return split_notes(diff_schemas(declared, live, options));
}

std::vector<DriftItem> detect_drift(db::Connection& conn, const Schema& declared) {
  return check_drift(conn, declared).drift;
}

std::vector<std::string> drift_report_lines(const std::vector<DriftItem>& items) {
  if (items.empty()) return {"No schema drift detected"};
  std::vector<std::string> lines{kSchemaDriftMessage};
  for (const auto& item : items) lines.push_back("  - " + item.description);
  return lines;
}

std::string note_text(const DriftItem& note) {
  std::string text = note.description + " (not schema drift: Immich ignores database settings)";
  if (!note.steps.empty()) text += "; to set it: " + note.steps.front().sql;
  return text;
}

std::vector<std::string> note_lines(const std::vector<DriftItem>& notes) {
  std::vector<std::string> lines;
  for (const auto& note : notes) lines.push_back("Note: " + note_text(note));
  return lines;
}

std::vector<DriftItem> check_drift_at_boot(db::Connection& conn, const Schema& declared) {
  spdlog::info("Checking for schema drift");
  DriftReport report;
  try {
    report = check_drift(conn, declared);
  } catch (const std::exception& e) {
    spdlog::warn("Could not check for schema drift: {}", e.what());
    return {};
  }
  for (const auto& line : drift_report_lines(report.drift)) {
    if (report.drift.empty()) {
      spdlog::info("{}", line);
    } else {
      spdlog::warn("{}", line);
    }
  }
  for (const auto& line : note_lines(report.notes)) spdlog::info("{}", line);
  return report.drift;
}

}  // namespace keepsake::schema
