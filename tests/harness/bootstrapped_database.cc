#include "harness/bootstrapped_database.h"

#include <unistd.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <random>

#include "migrations/boot.h"
#include "migrations/keepsake_migrations.h"
#include "schema/ddl.h"
#include "schema/immich_schema.h"

namespace keepsake::testing {
namespace {

// pg_advisory_lock key guarding the template's creation ("keepsake-template").
constexpr int64_t kTemplateLockKey = 0x6b73746d706c0001LL;

// Named after the schema and Keepsake's migrations, so a changed build never reuses a stale one.
std::string template_name() {
  schema::Schema schema = schema::immich_schema();
  std::string text;
  for (const auto& s : schema::create_statements(schema)) text += s + ";";
  for (const auto& o : schema.overrides) text += o.sql;
  for (const auto& m : migrations::keepsake_migrations()) text += m.name + m.sql;
  return "keepsake_template_" + std::to_string(std::hash<std::string>{}(text) % 1000000007ULL);
}

bool template_ready(db::Connection& admin, const std::string& name) {
  return !admin.exec("SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate", {name})
              .empty();
}

void build_template(db::Connection& admin, const std::string& name) {
  admin.exec("DROP DATABASE IF EXISTS " + db::quote_ident(name) + " WITH (FORCE)");
  admin.exec("CREATE DATABASE " + db::quote_ident(name) + " TEMPLATE template0");
  migrations::run_database_boot(superuser_config(name), migrations::BootOptions{});
  admin.exec("ALTER DATABASE " + db::quote_ident(name) + " IS_TEMPLATE true");
}

const std::string& ensure_template() {
  static std::once_flag once;
  static std::string name;
  std::call_once(once, [] {
    std::string wanted = template_name();
    auto admin = db::Connection::open(superuser_config());
    admin->exec("SELECT pg_advisory_lock($1::bigint)", {std::to_string(kTemplateLockKey)});
    try {
      if (!template_ready(*admin, wanted)) build_template(*admin, wanted);
    } catch (...) {
      admin->exec("SELECT pg_advisory_unlock($1::bigint)", {std::to_string(kTemplateLockKey)});
      throw;
    }
    admin->exec("SELECT pg_advisory_unlock($1::bigint)", {std::to_string(kTemplateLockKey)});
    name = wanted;
  });
  return name;
}

}  // namespace

std::string create_bootstrapped_database(const std::string& prefix) {
  const std::string& tmpl = ensure_template();
  static std::atomic<int> counter{0};
  std::string name = prefix + "_" + std::to_string(getpid()) + "_" + std::to_string(counter++) +
                     "_" + std::to_string(std::random_device{}() % 100000);
  auto admin = db::Connection::open(superuser_config());
  admin->exec("CREATE DATABASE " + db::quote_ident(name) + " TEMPLATE " + db::quote_ident(tmpl), {},
              "copy the bootstrapped template");
  for (const auto& sql : schema::database_setting_statements(schema::immich_schema(), name)) {
    admin->exec(sql, {}, "apply database setting");
  }
  return name;
}

void BootstrappedDatabaseTest::SetUp() {
  db_name_ = create_bootstrapped_database();
  db_config_ = superuser_config(db_name_);
  conn_ = db::Connection::open(db_config_);
}

}  // namespace keepsake::testing
