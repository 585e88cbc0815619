// The scan that runs before a restore touches anything: real dumps (Keepsake's, Immich's
// pipeline, a cluster dump) are planned correctly; hostile and damaged ones are refused with the
// line named.
#include "restore/dump_scan.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "backup/backup_files.h"
#include "backup/backup_service.h"
#include "common/error.h"
#include "harness/bootstrapped_database.h"
#include "restore/restore_fixture.h"

namespace keepsake::restore {
namespace {

namespace fs = std::filesystem;
using keepsake::testing::TempDir;

Error scan_error(const std::string& path) {
  try {
    scan_dump(path);
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "the scan accepted " << path;
  return Error(ErrorKind::kInternal, "");
}

std::string file_in(const TempDir& dir, const std::string& name, const std::string& sql, bool gzip) {
  std::string path = dir.path() + "/" + name;
  keepsake::testing::write_dump_file(path, sql, gzip);
  return path;
}

TEST(DumpScanTest, MinimalDumpIsPlannedWithRolesAndCopyOffsets) {
  TempDir dir;
  std::string body =
      "CREATE TABLE public.t (a integer);\n"
      "COPY public.t (a) FROM stdin;\n1\n2\n\\.\n"
      "SELECT pg_catalog.setval('public.s', 3, true);\n"
      "COPY public.u (b) FROM stdin;\nx\n\\.\n"
      "ALTER TABLE ONLY public.t\n    ADD CONSTRAINT t_pkey PRIMARY KEY (a);\n"
      "CREATE INDEX t_a_idx ON public.t USING btree (a);\n"
      "ALTER TABLE ONLY public.u\n    ADD CONSTRAINT u_fkey FOREIGN KEY (b) REFERENCES public.t(a);\n";
  std::string sql = keepsake::testing::minimal_dump(body);
  for (bool gzip : {false, true}) {
    auto plan = scan_dump(file_in(dir, gzip ? "d.sql.gz" : "d.sql", sql, gzip));
    EXPECT_EQ(plan.compressed, gzip);
    EXPECT_EQ(plan.kind, DumpKind::kDatabase);
    EXPECT_EQ(plan.sql_bytes, sql.size());
    std::vector<StatementRole> roles;
    for (auto& i : plan.items) roles.push_back(i.role);
    using R = StatementRole;
    std::vector<R> expected = {R::kSetting, R::kSetting, R::kSetting, R::kSetting, R::kSchema, R::kCopy,
                               R::kData, R::kCopy, R::kIndex, R::kIndex, R::kPostData};
    EXPECT_EQ(roles, expected);
    auto& copy = plan.items[5].copy;
    EXPECT_EQ(copy.table, "public.t");
    EXPECT_EQ(copy.rows, 2u);
    EXPECT_EQ(sql.substr(copy.data_begin, copy.data_end - copy.data_begin), "1\n2\n");
    EXPECT_EQ(plan.items[8].table, "public.t");
    EXPECT_EQ(plan.copy_rows, 3u);
    EXPECT_EQ(plan.table_bytes("public.t"), 4u);
  }
}

TEST(DumpScanTest, HostileMetaCommandsAreRefusedWithTheirLine) {
  TempDir dir;
  struct Case {
    std::string body, expected;
  } cases[] = {
      {"SELECT 1;\n\\! touch /tmp/keepsake-pwned\n", "line 11 of h.sql: the psql meta-command \\!"},
      {"\\copy public.t from '/etc/passwd'\n", "meta-command \\copy"},
      {"\\i /etc/passwd\n", "meta-command \\i"},
      {"SELECT 1 \\gexec\n;\n", "meta-command \\gexec"},
      {"\\set ON_ERROR_STOP off\n", "meta-command \\set"},
      {"SELECT 1 \\connect other\n;\n", "\\connect inside a statement"},
      {"\\connect host=evil dbname=x\n", "\\connect with arguments"},
      {"COPY public.t (a) FROM PROGRAM 'touch /tmp/x';\n", "a COPY statement that is not pg_dump's"},
      {"COPY public.t (a) TO '/tmp/x';\n", "a COPY statement that is not pg_dump's"},
      {"COPY public.t (a) FROM stdin WITH (FORMAT csv);\n1\n\\.\n", "a COPY statement that is not pg_dump's"},
      {"SET standard_conforming_strings = off;\n", "turns off standard_conforming_strings"},
  };
  for (auto& c : cases) {
    auto e = scan_error(file_in(dir, "h.sql", keepsake::testing::minimal_dump(c.body), false));
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument) << c.body;
    EXPECT_NE(std::string(e.what()).find(c.expected), std::string::npos) << c.body << " -> " << e.what();
  }
  // A meta-command hidden in quotes, comments or COPY data is data, not a command.
  auto plan = scan_dump(file_in(
      dir, "ok.sql",
      keepsake::testing::minimal_dump("SELECT '\\! no', $$\\! no$$; -- \\! no\nCOPY public.t (a) FROM stdin;\n"
                                      "\\\\! no\n\\.\n"),
      false));
  EXPECT_EQ(plan.copy_rows, 1u);
}

TEST(DumpScanTest, DamagedFilesAreRefused) {
  TempDir dir;
  std::string sql = keepsake::testing::minimal_dump("COPY public.t (a) FROM stdin;\n" + std::string(200000, '7') + "\n\\.\n");
  std::string good = file_in(dir, "good.sql.gz", sql, true);
  std::string bytes;
  {
    std::ifstream in(good, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  auto write = [&](const std::string& name, const std::string& data) {
    std::string p = dir.path() + "/" + name;
    std::ofstream(p, std::ios::binary | std::ios::trunc) << data;
    return p;
  };
  EXPECT_EQ(scan_error(write("cut.sql.gz", bytes.substr(0, bytes.size() / 2))).kind(), ErrorKind::kCorrupt);
  std::string crc = bytes;
  crc[crc.size() - 6] ^= 0x01;  // the CRC-32 in the trailer
  auto crc_error = scan_error(write("crc.sql.gz", crc));
  EXPECT_EQ(crc_error.kind(), ErrorKind::kCorrupt);
  EXPECT_NE(std::string(crc_error.what()).find("CRC"), std::string::npos) << crc_error.what();
  EXPECT_EQ(scan_error(write("empty.sql", "")).kind(), ErrorKind::kInvalidArgument);
  // Plain SQL cut off inside COPY data, or before the trailer.
  auto cut_copy = scan_error(write("cutcopy.sql", sql.substr(0, sql.size() / 2)));
  EXPECT_NE(std::string(cut_copy.what()).find("no terminating \\. line"), std::string::npos) << cut_copy.what();
  std::string no_trailer = sql.substr(0, sql.find("-- PostgreSQL database dump complete"));
  EXPECT_EQ(scan_error(write("notrailer.sql", no_trailer)).kind(), ErrorKind::kCorrupt);
  // A sidecar that does not match.
  backup::write_sha256_sidecar(good, std::string(64, '0'));
  EXPECT_NE(std::string(scan_error(good).what()).find("checksum"), std::string::npos);
}

// Issue 20: random bytes were judged a plain dump without a trailer. The content decides, not
// the name: whatever it is called, a file that is neither gzip nor SQL text is named as such.
TEST(DumpScanTest, RandomBytesAreNeitherGzipNorSql) {
  TempDir dir;
  std::string random(5000, '\0');
  for (size_t i = 0; i < random.size(); ++i) random[i] = static_cast<char>((i * 2654435761u) >> 13);
  for (const char* name : {"random.sql.gz", "random.sql"}) {
    std::string path = dir.path() + "/" + name;
    std::ofstream(path, std::ios::binary) << random;
    auto error = scan_error(path);
    EXPECT_EQ(error.kind(), ErrorKind::kCorrupt);
    EXPECT_EQ(std::string(error.what()), std::string(name) + " is not a gzip stream or SQL dump");
  }
  std::string plain_named_gz = file_in(dir, "plain.sql.gz", keepsake::testing::minimal_dump(""), false);
  EXPECT_NE(std::string(scan_error(plain_named_gz).what()).find("not a valid gzip file"), std::string::npos);
}

class DumpScanDbTest : public keepsake::testing::BootstrappedDatabaseTest {
 protected:
  uint64_t total_rows() {
    uint64_t total = 0;
    std::istringstream lines(keepsake::testing::row_counts(db_name_));
    for (std::string line; std::getline(lines, line);) total += std::stoull(line.substr(line.find('=') + 1));
    return total;
  }
};

TEST_F(DumpScanDbTest, KeepsakeAndImmichStyleBackupsArePlannedCompletely) {
  conn_->exec(R"(INSERT INTO "user" (email, name, "isAdmin") VALUES ('a@example.com', 'A', true))");
  TempDir media;
  backup::BackupOptions o;
  o.db = db_config_;
  o.media_location = media.path();
  auto keepsake_backup = backup::create_backup(o);
  std::string immich = media.path() + "/immich-db-backup-20260101T000000-v2.7.5-pg15.sql.gz";
  keepsake::testing::immich_style_backup(db_name_, immich);
  for (auto& path : {keepsake_backup.path, immich}) {
    auto plan = scan_dump(path);
    EXPECT_EQ(plan.kind, DumpKind::kDatabase);
    EXPECT_TRUE(plan.compressed);
    std::set<std::string> copied;
    size_t indexes = 0;
    for (auto& i : plan.items) {
      if (i.role == StatementRole::kCopy) copied.insert(i.table);
      indexes += i.role == StatementRole::kIndex;
    }
    EXPECT_TRUE(copied.count("public.\"user\"")) << path;
    EXPECT_TRUE(copied.count("public.asset"));
    EXPECT_TRUE(copied.count("public.kysely_migrations"));
    EXPECT_GE(copied.size(), 61u);
    EXPECT_GE(indexes, 200u);  // 151 indexes + PK/UNIQUE constraints
    EXPECT_EQ(plan.copy_rows, total_rows()) << path;
    std::set<std::string> extensions(plan.extensions.begin(), plan.extensions.end());
    EXPECT_TRUE(extensions.count("vector"));
    EXPECT_TRUE(extensions.count("earthdistance"));
    EXPECT_NE(plan.dumped_by.find("pg_dump version"), std::string::npos);
  }
}

TEST_F(DumpScanDbTest, ClusterDumpRestoresOnlyTheChosenDatabase) {
  conn_->exec(R"(INSERT INTO "user" (email, name, "isAdmin") VALUES ('a@example.com', 'A', true))");
  TempDir dir;
  std::string path = dir.path() + "/immich-db-backup-20250101T020000-v2.4.0-pg15.sql.gz";
  keepsake::testing::cluster_dump(db_name_, path);
  ScanOptions options;
  options.target_database = "immich";  // absent: the one user database is chosen
  auto plan = scan_dump(path, options);
  EXPECT_EQ(plan.kind, DumpKind::kCluster);
  EXPECT_EQ(plan.database, db_name_);
  EXPECT_EQ(plan.databases, (std::vector<std::string>{"postgres", db_name_}));
  EXPECT_GT(plan.skipped_statements, 0u);
  for (auto& i : plan.items) {
    EXPECT_EQ(i.text.find("CREATE ROLE"), std::string::npos) << i.text;
    EXPECT_EQ(i.text.find("DATABASE"), std::string::npos) << i.text;
  }
  bool has_user = false;
  for (auto& i : plan.items) has_user |= i.role == StatementRole::kCopy && i.table == "public.\"user\"";
  EXPECT_TRUE(has_user);
  options.target_database = "postgres";
  EXPECT_EQ(scan_dump(path, options).database, "postgres");
}

}  // namespace
}  // namespace keepsake::restore
