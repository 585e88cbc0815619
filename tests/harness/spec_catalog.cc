#include "harness/spec_catalog.h"

#include <fstream>
#include <sstream>
#include <stdexcept>
#include "harness/paths.h"

namespace keepsake::testing {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Value at a JSON pointer of `doc`, or "(none)".
std::string at(const nlohmann::json& doc, const std::string& pointer) {
  nlohmann::json::json_pointer p(pointer);
  if (!doc.contains(p)) return "(none)";
  std::string text = doc.at(p).dump();
  return text.size() > 400 ? text.substr(0, 400) + "..." : text;
}

}  // namespace

nlohmann::json spec_catalog_json() {
  return nlohmann::json::parse(
      read_file(keepsake::testing::spec_dir() + "/immich-2.7.5-catalog.json"));
}

nlohmann::json run_spec_catalog_query(db::Connection& conn) {
  const std::string sql = read_file(keepsake::testing::spec_dir() + "/immich-2.7.5-catalog.sql");
  if (!PQsendQuery(conn.raw(), sql.c_str())) {
    throw std::runtime_error(std::string("catalog query: ") + PQerrorMessage(conn.raw()));
  }
  std::string line, error;
  while (PGresult* res = PQgetResult(conn.raw())) {
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
      line = PQgetvalue(res, 0, 0);
    } else if (PQresultStatus(res) == PGRES_FATAL_ERROR) {
      error = PQresultErrorMessage(res);
    }
    PQclear(res);
  }
  if (!error.empty()) throw std::runtime_error("catalog query failed: " + error);
  if (line.empty()) throw std::runtime_error("catalog query returned no row");
  return nlohmann::json::parse(line);
}

nlohmann::json without_schema(nlohmann::json catalog, const std::string& schema_name) {
  catalog.erase("counts");
  for (const char* key : {"tables", "functions", "enums", "sequences", "schemas"}) {
    auto& list = catalog[key];
    nlohmann::json kept = nlohmann::json::array();
    for (auto& item : list) {
      const auto& owner = item.contains("schema") ? item["schema"] : item["name"];
      if (owner != schema_name) kept.push_back(item);
    }
    list = kept;
  }
  nlohmann::json others = nlohmann::json::array();
  for (auto& o : catalog["other_objects"]) {
    if (o.get<std::string>().find(" " + schema_name + ".") == std::string::npos)
      others.push_back(o);
  }
  catalog["other_objects"] = others;
  return catalog;
}

std::string readable_diff(const nlohmann::json& expected, const nlohmann::json& actual) {
  std::string out;
  for (const auto& op : nlohmann::json::diff(expected, actual)) {
    const std::string path = op["path"];
    out += op["op"].get<std::string>() + " " + path + ": expected " + at(expected, path) +
           ", got " + at(actual, path) + "\n";
  }
  return out;
}

}  // namespace keepsake::testing
