#include "schema/catalog_reader.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/error.h"

namespace keepsake::schema {
namespace {

using nlohmann::json;

// The output settings every pg_get_*def()/format_type() result depends on (as in the spec query).
constexpr const char* kPinSettings = R"sql(
SET LOCAL search_path = public;
SET LOCAL quote_all_identifiers = off;
SET LOCAL DateStyle = 'ISO, MDY';
SET LOCAL IntervalStyle = 'postgres';
SET LOCAL TimeZone = 'UTC';
SET LOCAL extra_float_digits = 1;
SET LOCAL standard_conforming_strings = on;
)sql";

// One query, one JSON document in the spec's catalog format. $1 = the schema to read.
constexpr const char* kCatalogQuery = R"sql(
WITH
nsp AS (SELECT oid FROM pg_namespace WHERE nspname = $1),
tbl AS (
  SELECT c.oid, c.relname FROM pg_class c JOIN nsp ON nsp.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p')
    AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                    AND d.objid = c.oid AND d.deptype = 'e')
),
col AS (
  SELECT a.attrelid, jsonb_agg(jsonb_build_object(
           'name', a.attname,
           'type', format_type(a.atttypid, a.atttypmod),
           'not_null', a.attnotnull,
           'default', pg_get_expr(ad.adbin, ad.adrelid),
           'identity', CASE a.attidentity WHEN 'a' THEN 'ALWAYS' WHEN 'd' THEN 'BY DEFAULT' END,
           'generated', CASE a.attgenerated WHEN 's' THEN 'STORED' END,
           'comment', col_description(a.attrelid, a.attnum)) ORDER BY a.attnum) AS j
  FROM pg_attribute a JOIN tbl ON tbl.oid = a.attrelid
  LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
  WHERE a.attnum > 0 AND NOT a.attisdropped
  GROUP BY a.attrelid
),
con AS (
  SELECT co.conrelid, jsonb_agg(jsonb_build_object(
           'name', co.conname,
           'type', CASE co.contype WHEN 'p' THEN 'PRIMARY KEY' WHEN 'u' THEN 'UNIQUE'
                                   WHEN 'f' THEN 'FOREIGN KEY' WHEN 'c' THEN 'CHECK'
                                   WHEN 'x' THEN 'EXCLUDE' WHEN 't' THEN 'TRIGGER'
                                   ELSE co.contype::text END,
           'definition', pg_get_constraintdef(co.oid))
         ORDER BY co.conname COLLATE "C", co.contype) AS j
  FROM pg_constraint co JOIN tbl ON tbl.oid = co.conrelid
  GROUP BY co.conrelid
),
idx AS (
  SELECT i.indrelid, jsonb_agg(jsonb_build_object(
           'name', ic.relname,
           'definition', pg_get_indexdef(i.indexrelid),
           'unique', i.indisunique,
           'primary', i.indisprimary,
           'constraint', (SELECT co.conname FROM pg_constraint co
                          WHERE co.conindid = i.indexrelid AND co.conrelid = i.indrelid
                            AND co.contype IN ('p', 'u', 'x')))
         ORDER BY ic.relname COLLATE "C") AS j
  FROM pg_index i JOIN tbl ON tbl.oid = i.indrelid JOIN pg_class ic ON ic.oid = i.indexrelid
  GROUP BY i.indrelid
),
trg AS (
  SELECT tg.tgrelid, jsonb_agg(jsonb_build_object(
           'name', tg.tgname, 'definition', pg_get_triggerdef(tg.oid))
         ORDER BY tg.tgname COLLATE "C") AS j
  FROM pg_trigger tg JOIN tbl ON tbl.oid = tg.tgrelid
  WHERE NOT tg.tgisinternal
  GROUP BY tg.tgrelid
)
SELECT jsonb_build_object(
  'tables', (SELECT COALESCE(jsonb_agg(jsonb_build_object(
                'schema', $1::text, 'name', tbl.relname,
                'columns', COALESCE(col.j, '[]'), 'constraints', COALESCE(con.j, '[]'),
                'indexes', COALESCE(idx.j, '[]'), 'triggers', COALESCE(trg.j, '[]'))
              ORDER BY tbl.relname COLLATE "C"), '[]')
             FROM tbl LEFT JOIN col ON col.attrelid = tbl.oid LEFT JOIN con ON con.conrelid = tbl.oid
             LEFT JOIN idx ON idx.indrelid = tbl.oid LEFT JOIN trg ON trg.tgrelid = tbl.oid),
  'functions', (SELECT COALESCE(jsonb_agg(jsonb_build_object(
                   'schema', $1::text, 'name', p.proname,
                   'identity_arguments', pg_get_function_identity_arguments(p.oid),
                   'definition', CASE WHEN p.prokind = 'a'
                                      THEN 'AGGREGATE ' || p.oid::regprocedure::text
                                      ELSE pg_get_functiondef(p.oid) END)
                 ORDER BY p.proname COLLATE "C",
                          pg_get_function_identity_arguments(p.oid) COLLATE "C"), '[]')
                FROM pg_proc p JOIN nsp ON nsp.oid = p.pronamespace
                WHERE NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                                  AND d.objid = p.oid AND d.deptype = 'e')),
  'enums', (SELECT COALESCE(jsonb_agg(jsonb_build_object(
               'schema', $1::text, 'name', t.typname,
               'labels', (SELECT jsonb_agg(e.enumlabel ORDER BY e.enumsortorder)
                          FROM pg_enum e WHERE e.enumtypid = t.oid))
             ORDER BY t.typname COLLATE "C"), '[]')
            FROM pg_type t JOIN nsp ON nsp.oid = t.typnamespace
            WHERE t.typtype = 'e'
              AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass
                              AND d.objid = t.oid AND d.deptype = 'e')),
  'sequences', (SELECT COALESCE(jsonb_agg(jsonb_build_object(
                   'schema', $1::text, 'name', c.relname,
                   'data_type', format_type(s.seqtypid, NULL),
                   'start', s.seqstart::text, 'increment', s.seqincrement::text,
                   'min', s.seqmin::text, 'max', s.seqmax::text, 'cache', s.seqcache::text,
                   'cycle', s.seqcycle,
                   'owned_by', (SELECT d.refobjid::regclass::text || '.' || quote_ident(a.attname)
                                FROM pg_depend d
                                JOIN pg_attribute a ON a.attrelid = d.refobjid
                                                   AND a.attnum = d.refobjsubid
                                WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                                  AND d.refclassid = 'pg_class'::regclass
                                  AND d.deptype IN ('a', 'i')),
                   'identity', EXISTS (SELECT 1 FROM pg_depend d
                                       WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                                         AND d.deptype = 'i'))
                 ORDER BY c.relname COLLATE "C"), '[]')
                FROM pg_class c JOIN nsp ON nsp.oid = c.relnamespace
                JOIN pg_sequence s ON s.seqrelid = c.oid
                WHERE c.relkind = 'S'
                  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                                  AND d.objid = c.oid AND d.deptype = 'e')),
  'extensions', (SELECT COALESCE(jsonb_agg(jsonb_build_object(
                    'name', e.extname, 'version', e.extversion, 'schema', n.nspname)
                  ORDER BY e.extname COLLATE "C"), '[]')
                 FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace),
  'database_settings', (SELECT COALESCE(jsonb_agg(jsonb_build_object(
                           'role', NULL, 'name', split_part(cfg, '=', 1),
                           'value', substr(cfg, strpos(cfg, '=') + 1))
                         ORDER BY cfg COLLATE "C"), '[]')
                        FROM pg_db_role_setting s CROSS JOIN LATERAL unnest(s.setconfig) AS cfg
                        WHERE s.setrole = 0
                          AND s.setdatabase = (SELECT oid FROM pg_database
                                               WHERE datname = current_database())),
  'has_overrides', to_regclass(quote_ident($1) || '.migration_overrides') IS NOT NULL
)::text
)sql";

constexpr const char* kOverridesQuery = R"sql(
SELECT COALESCE(jsonb_agg(jsonb_build_object('name', o.name, 'value', o.value)
                          ORDER BY o.name COLLATE "C"), '[]')::text
FROM {}.migration_overrides o
)sql";

[[noreturn]] void malformed(const std::string& what) {
  throw Error(ErrorKind::kInvalidArgument, "malformed catalog JSON: " + what,
              "use the format of immich-2.7.5-catalog.json");
}

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  if (!it->is_string()) malformed(std::string("\"") + key + "\" is not a string");
  return it->get<std::string>();
}

std::optional<std::string> opt_str(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  return str(j, key);
}

bool flag(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return false;
  if (!it->is_boolean()) malformed(std::string("\"") + key + "\" is not a boolean");
  return it->get<bool>();
}

const json& array(const json& j, const char* key) {
  static const json kEmpty = json::array();
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return kEmpty;
  if (!it->is_array()) malformed(std::string("\"") + key + "\" is not an array");
  return *it;
}

Column parse_column(const json& j) {
  Column c;
  c.name = str(j, "name");
  c.type = str(j, "type");
  c.not_null = flag(j, "not_null");
  c.identity = opt_str(j, "identity");
  c.comment = opt_str(j, "comment");
  if (opt_str(j, "generated")) {
    c.generated = opt_str(j, "default");  // attrdef holds the generation expression
  } else {
    c.default_expr = opt_str(j, "default");
  }
  return c;
}

ConstraintType parse_constraint_type(const std::string& type) {
  if (type == "PRIMARY KEY") return ConstraintType::kPrimaryKey;
  if (type == "FOREIGN KEY") return ConstraintType::kForeignKey;
  if (type == "UNIQUE") return ConstraintType::kUnique;
  if (type == "CHECK") return ConstraintType::kCheck;
  malformed("unsupported constraint type \"" + type + "\"");
}

Table parse_table(const json& j) {
  Table t;
  t.name = str(j, "name");
  t.schema = str(j, "schema");
  for (const auto& c : array(j, "columns")) t.columns.push_back(parse_column(c));
  for (const auto& c : array(j, "constraints")) {
    t.constraints.push_back(
        {str(c, "name"), parse_constraint_type(str(c, "type")), str(c, "definition")});
  }
  for (const auto& i : array(j, "indexes")) {
    t.indexes.push_back({str(i, "name"), t.name, flag(i, "unique"), flag(i, "primary"),
                         opt_str(i, "constraint"), str(i, "definition")});
  }
  for (const auto& g : array(j, "triggers")) {
    t.triggers.push_back({str(g, "name"), t.name, str(g, "definition")});
  }
  return t;
}

Sequence parse_sequence(const json& j) {
  Sequence s;
  s.name = str(j, "name");
  s.data_type = str(j, "data_type");
  s.start = str(j, "start");
  s.min = str(j, "min");
  s.max = str(j, "max");
  s.increment = str(j, "increment");
  s.cache = str(j, "cache");
  s.cycle = flag(j, "cycle");
  s.identity = flag(j, "identity");
  s.owned_by = str(j, "owned_by");
  return s;
}

std::vector<OverrideRow> parse_overrides(const json& rows) {
  std::vector<OverrideRow> out;
  for (const auto& row : rows) {
    const json& value = row.contains("value") ? row["value"] : json::object();
    if (!value.is_object()) malformed("migration override \"" + str(row, "name") + "\" value");
    out.push_back({str(row, "name"), str(value, "type"), str(value, "name"), str(value, "sql")});
  }
  return out;
}

Schema parse_catalog(const json& doc, const std::string& schema_name) {
  if (!doc.is_object()) malformed("the document is not an object");
  Schema s;
  for (const auto& e : array(doc, "extensions")) {
    s.extensions.push_back({str(e, "name"), str(e, "schema"), str(e, "version")});
  }
  for (const auto& d : array(doc, "database_settings")) {
    if (!opt_str(d, "role")) s.database_settings.push_back({str(d, "name"), str(d, "value")});
  }
  for (const auto& e : array(doc, "enums")) {
    if (str(e, "schema") != schema_name) continue;
    Enum en{str(e, "name"), {}};
    for (const auto& l : array(e, "labels")) en.labels.push_back(l.get<std::string>());
    s.enums.push_back(std::move(en));
  }
  for (const auto& f : array(doc, "functions")) {
    if (str(f, "schema") != schema_name) continue;
    s.functions.push_back({str(f, "name"), str(f, "identity_arguments"), str(f, "definition")});
  }
  for (const auto& q : array(doc, "sequences")) {
    if (str(q, "schema") == schema_name) s.sequences.push_back(parse_sequence(q));
  }
  for (const auto& t : array(doc, "tables")) {
    if (str(t, "schema") == schema_name) s.tables.push_back(parse_table(t));
  }
  s.overrides = parse_overrides(array(doc, "migration_overrides"));
  return s;
}

json parse_json(const std::string& text) {
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    malformed(e.what());
  }
}

Schema read_in_transaction(db::Connection& conn, const std::string& schema_name) {
  conn.exec_script(kPinSettings, "pin output settings for the catalog read");
  auto r = conn.exec(kCatalogQuery, {schema_name}, "read the catalog");
  json doc = parse_json(r.text(0, 0));
  if (doc.value("has_overrides", false)) {
    std::string sql = kOverridesQuery;
    sql.replace(sql.find("{}"), 2, db::quote_ident(schema_name));
    doc["migration_overrides"] = parse_json(conn.exec(sql, {}, "read migration_overrides").text(0, 0));
  }
  return parse_catalog(doc, schema_name);
}

}  // namespace

Schema read_catalog(db::Connection& conn, const std::string& schema_name) {
  if (PQtransactionStatus(conn.raw()) == PQTRANS_INTRANS) {
    conn.exec("SAVEPOINT keepsake_catalog_read");
    try {
      Schema s = read_in_transaction(conn, schema_name);
      conn.exec("ROLLBACK TO SAVEPOINT keepsake_catalog_read");
      conn.exec("RELEASE SAVEPOINT keepsake_catalog_read");
      return s;
    } catch (...) {
      conn.exec("ROLLBACK TO SAVEPOINT keepsake_catalog_read");
      conn.exec("RELEASE SAVEPOINT keepsake_catalog_read");
      throw;
    }
  }
  db::Transaction tx(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
  Schema s = read_in_transaction(conn, schema_name);
  tx.rollback();
  return s;
}

Schema parse_catalog_json(const std::string& json_text, const std::string& schema_name) {
  return parse_catalog(parse_json(json_text), schema_name);
}

Schema load_catalog_json_file(const std::string& path, const std::string& schema_name) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error(ErrorKind::kIo, "cannot read the catalog file " + path,
                "check that the file exists and is readable");
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_catalog_json(text.str(), schema_name);
}

}  // namespace keepsake::schema
