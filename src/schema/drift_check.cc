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

std::vector<DriftItem> detect_drift(db::Connection& conn, const Schema& declared) {
  Schema live = read_catalog(conn, "public");
  DiffOptions options;
  options.database_name = conn.exec("SELECT current_database()").text(0, 0);
  return diff_schemas(declared, live, options);
}

std::vector<std::string> drift_report_lines(const std::vector<DriftItem>& items) {
  if (items.empty()) return {"No schema drift detected"};
  std::vector<std::string> lines{kSchemaDriftMessage};
  for (const auto& item : items) lines.push_back("  - " + item.description);
  return lines;
}

std::vector<DriftItem> check_drift_at_boot(db::Connection& conn, const Schema& declared) {
  spdlog::info("Checking for schema drift");
  std::vector<DriftItem> items;
  try {
    items = detect_drift(conn, declared);
  } catch (const std::exception& e) {
    spdlog::warn("Could not check for schema drift: {}", e.what());
    return {};
  }
  for (const auto& line : drift_report_lines(items)) {
    if (items.empty()) {
      spdlog::info("{}", line);
    } else {
      spdlog::warn("{}", line);
    }
  }
  return items;
}

}  // namespace keepsake::schema
