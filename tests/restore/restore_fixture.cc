#include "restore/restore_fixture.h"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "backup/backup_files.h"
#include "backup/gzip_stream.h"
#include "common/process.h"
#include "harness/paths.h"
#include "migrations/boot.h"

namespace keepsake::testing {
namespace {

ProcessResult shell(const std::string& dbname, const std::string& script,
                    const std::vector<std::string>& args = {}) {
  ProcessOptions o;
  o.argv = {"/bin/sh", "-c", script, "sh"};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.env = minimal_environment(superuser_config(dbname).libpq_env());
  auto r = run_process(o);
  EXPECT_EQ(r.exit_code, 0) << script << ": " << r.err;
  return r;
}

}  // namespace

void rewrite_dump(const std::string& path, uint64_t member_bytes, const std::function<std::string(std::string)>& edit) {
  backup::DumpFileReader reader(path);
  std::string sql, buf(65536, '\0');
  while (size_t n = reader.read(buf.data(), buf.size())) sql.append(buf.data(), n);
  if (edit) sql = edit(std::move(sql));
  int fd = open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  backup::GzipFileWriter writer(fd, path, backup::GzipEngine::kIsal, member_bytes);
  writer.write(sql);
  writer.finish();
  close(fd);
  backup::write_sha256_sidecar(path, writer.sha256_hex());
}

std::string minimal_dump(const std::string& body) {
  return "--\n-- PostgreSQL database dump\n--\n\n"
         "SET statement_timeout = 0;\nSET client_encoding = 'UTF8';\n"
         "SET standard_conforming_strings = on;\n"
         "SELECT pg_catalog.set_config('search_path', '', false);\n\n" +
         body + "\n--\n-- PostgreSQL database dump complete\n--\n\n";
}

void write_dump_file(const std::string& path, const std::string& sql, bool gzip) {
  if (!gzip) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << sql;
    return;
  }
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  backup::GzipFileWriter w(fd, path);
  w.write(sql);
  w.finish();
  close(fd);
}

void immich_style_backup(const std::string& dbname, const std::string& path) {
  shell(dbname, "pg_dump --clean --if-exists \"$1\" | gzip --rsyncable > \"$2\"", {dbname, path});
}

void cluster_dump(const std::string& dbname, const std::string& path) {
  // pg_dumpall's layout: header, globals (roles), then per database a "Database ... dump"
  // section made by pg_dump --create (which writes CREATE DATABASE and \connect). A real
  // pg_dumpall would also dump every other test database of the shared cluster.
  std::string script =
      "{ pg_dumpall --globals-only --clean --if-exists;"
      "  for db in postgres \"$1\"; do"
      "    printf -- '--\\n-- Database \"%s\" dump\\n--\\n\\n' \"$db\";"
      "    pg_dump --create \"$db\";"
      "  done;"
      "  printf -- '--\\n-- PostgreSQL database cluster dump complete\\n--\\n\\n'; } | gzip > \"$2\"";
  shell(dbname, script, {dbname, path});
}

std::string catalog_json(const std::string& dbname) {
  auto r = shell(dbname, "psql -X -q -At -v ON_ERROR_STOP=1 -f \"$1\"",
                 {keepsake::testing::spec_dir() + "/immich-2.7.5-catalog.sql"});
  auto json = nlohmann::json::parse(r.out);
  json.erase("database_settings");
  return json.dump(1);
}

std::string row_counts(const std::string& dbname) {
  auto c = db::Connection::open(superuser_config(dbname));
  auto tables = c->exec("SELECT schemaname, tablename FROM pg_tables "
                        "WHERE schemaname IN ('public', 'keepsake') ORDER BY 1, 2");
  std::string out;
  for (int i = 0; i < tables.rows(); ++i) {
    auto q = db::quote_ident(tables.text(i, 0)) + "." + db::quote_ident(tables.text(i, 1));
    out += tables.text(i, 0) + "." + tables.text(i, 1) + "=" +
           c->exec("SELECT count(*) FROM " + q).text(0, 0) + "\n";
  }
  return out;
}

OwnedDatabase create_owned_database(const std::string& prefix, const std::string& media_location) {
  OwnedDatabase owned;
  owned.name = create_fresh_database(prefix);
  owned.role = "owner_" + owned.name;
  auto su = db::Connection::open(superuser_config());
  su->exec("CREATE ROLE " + db::quote_ident(owned.role) + " LOGIN NOSUPERUSER NOCREATEDB PASSWORD 'owner-pw'");
  su->exec("ALTER DATABASE " + db::quote_ident(owned.name) + " OWNER TO " + db::quote_ident(owned.role));
  {
    auto in_db = db::Connection::open(superuser_config(owned.name));
    for (const char* ext : {"uuid-ossp", "unaccent", "cube", "earthdistance", "pg_trgm", "vector"}) {
      in_db->exec(std::string("CREATE EXTENSION \"") + ext + "\"");
    }
  }
  owned.config = config_for(owned.name);
  owned.config.db = tcp_config(owned.name, owned.role, "owner-pw");
  owned.config.media_location = media_location;
  migrations::run_database_boot(owned.config.db, migrations::boot_options_from_config(owned.config));
  return owned;
}

void drop_owned_database(const OwnedDatabase& owned) {
  drop_database(owned.name);
  db::Connection::open(superuser_config())->exec("DROP ROLE " + db::quote_ident(owned.role));
}

}  // namespace keepsake::testing
