// The binary COPY path of a restore: every value it writes is the one PostgreSQL itself makes of
// the text (compared byte for byte with uuid_send / vector_send of the same text), and every
// form it does not take exactly is refused, so that the loader falls back to the text.
#include "restore/binary_copy.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "backup/backup_service.h"
#include "harness/bootstrapped_database.h"
#include "restore/dump_loader.h"
#include "restore/dump_scan.h"
#include "restore/restore_fixture.h"

namespace keepsake::restore {
namespace {

using Columns = std::vector<BinaryColumn>;

// The binary tuples of `rows` (each without its '\n'), or nullopt when refused.
std::optional<std::string> encoded(const Columns& columns, const std::vector<std::string>& rows) {
  BinaryCopyEncoder encoder(columns);
  std::string text;
  for (auto& r : rows) text += r + "\n";
  std::string out;
  if (!encoder.encode(text, out)) return std::nullopt;
  EXPECT_EQ(encoder.pending(), 0u);
  return out;
}

std::string hex(std::string_view bytes) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) out += kHex[c >> 4], out += kHex[c & 15];
  return out;
}

std::string be16(uint16_t v) { return {static_cast<char>(v >> 8), static_cast<char>(v & 0xff)}; }
std::string be32(uint32_t v) {
  return be16(static_cast<uint16_t>(v >> 16)) + be16(static_cast<uint16_t>(v));
}

TEST(BinaryCopyTest, HeaderAndTrailerAreCopyBinarys) {
  EXPECT_EQ(BinaryCopyEncoder::header(),
            std::string("PGCOPY\n\xff\r\n\0", 11) + std::string(8, '\0'));
  EXPECT_EQ(BinaryCopyEncoder::trailer(), "\xff\xff");
}

TEST(BinaryCopyTest, RowsBecomeTuplesAndNullsMinusOne) {
  auto out = encoded({BinaryColumn::kUuid, BinaryColumn::kVector},
                     {"0a1b2c3d-4e5f-6789-ABCD-ef0123456789\t[1,2.5,-0]", "\\N\t\\N"});
  ASSERT_TRUE(out);
  std::string uuid = "\x0a\x1b\x2c\x3d\x4e\x5f\x67\x89\xab\xcd\xef\x01\x23\x45\x67\x89";
  std::string vector = be16(3) + be16(0) + be32(0x3f800000) + be32(0x40200000) + be32(0x80000000);
  std::string want = be16(2) + be32(16) + uuid + be32(static_cast<uint32_t>(vector.size())) +
                     vector + be16(2) + be32(0xffffffff) + be32(0xffffffff);
  EXPECT_EQ(*out, want);
}

// A row cut between two texts (as by the loader's read chunks) waits for its end.
TEST(BinaryCopyTest, OnlyCompleteRowsAreConsumed) {
  BinaryCopyEncoder encoder({BinaryColumn::kVector});
  std::string out;
  ASSERT_TRUE(encoder.encode("[1]\n[2]\n[3", out));
  EXPECT_EQ(encoder.pending(), 2u);  // 8 bytes of whole rows consumed
  EXPECT_EQ(out, *encoded({BinaryColumn::kVector}, {"[1]", "[2]"}));
  ASSERT_TRUE(encoder.encode(",4", out));
  EXPECT_EQ(encoder.pending(), 4u);
  ASSERT_TRUE(encoder.encode("]\n", out));
  EXPECT_EQ(encoder.pending(), 0u);
  EXPECT_EQ(out, *encoded({BinaryColumn::kVector}, {"[1]", "[2]", "[3,4]"}));
  BinaryCopyEncoder other({BinaryColumn::kVector});
  std::string none;
  ASSERT_TRUE(other.encode("no newline yet", none));
  EXPECT_EQ(other.pending(), 14u);  // nothing consumed
  EXPECT_TRUE(none.empty());
}

TEST(BinaryCopyTest, FormsPgDumpDoesNotWriteAreRefused) {
  const Columns v = {BinaryColumn::kVector}, u = {BinaryColumn::kUuid};
  for (std::string row :
       {"[1, 2]", " [1,2]", "[1,2] ", "[+1]", "[nan]", "[inf]", "[-inf]", "[1e39]", "[0x1p3]", "[]",
        "[1,]", "[,1]", "[1", "1]", "[1;2]", "[1\\t2]", "[1]\t[2]", ""}) {
    EXPECT_FALSE(encoded(v, {row})) << row;
  }
  for (std::string row :
       {"0a1b2c3d4e5f6789abcdef0123456789", "{0a1b2c3d-4e5f-6789-abcd-ef0123456789}",
        "0a1b2c3d-4e5f-6789-abcd-ef012345678g", "0a1b2c3d_4e5f-6789-abcd-ef0123456789", "\\\\N"}) {
    EXPECT_FALSE(encoded(u, {row})) << row;
  }
  EXPECT_FALSE(encoded({BinaryColumn::kUuid, BinaryColumn::kVector},
                       {"0a1b2c3d-4e5f-6789-abcd-ef0123456789"}));
}

TEST(BinaryCopyTest, VectorsOfMoreThanPgvectorsMaximumAreRefused) {
  std::string row = "[0";
  for (int i = 1; i < 16001; ++i) row += ",0";
  EXPECT_FALSE(encoded({BinaryColumn::kVector}, {row + "]"}));
  row = "[0";
  for (int i = 1; i < 16000; ++i) row += ",0";
  EXPECT_TRUE(encoded({BinaryColumn::kVector}, {row + "]"}));
}

TEST(BinaryCopyTest, StatementAndColumnsOfPgDumpsCopy) {
  EXPECT_EQ(binary_copy_statement("COPY public.smart_search (\"assetId\", embedding) FROM stdin;"),
            "COPY public.smart_search (\"assetId\", embedding) FROM stdin WITH (FORMAT binary);");
  EXPECT_EQ(binary_copy_statement("--\n-- Data\n--\n\nCOPY public.t (a) FROM stdin;"),
            "--\n-- Data\n--\n\nCOPY public.t (a) FROM stdin WITH (FORMAT binary);");
  EXPECT_FALSE(binary_copy_statement("COPY public.t FROM stdin;"));
  EXPECT_FALSE(binary_copy_statement("COPY public.t (a) FROM stdin ;"));
  EXPECT_EQ(
      copy_columns("-- c\nCOPY public.\"we(ird\" (\"assetId\", embedding, \"a\"\"b\") FROM stdin;",
                   "public.\"we(ird\""),
      (std::vector<std::string>{"assetId", "embedding", "a\"b"}));
  EXPECT_FALSE(copy_columns("COPY public.t FROM stdin;", "public.t"));
  EXPECT_FALSE(copy_columns("COPY public.t (a FROM stdin;", "public.t"));
}

// Against the server: for texts pgvector writes (shortest round-trip floats, subnormals, the
// extremes, negative zero), the bytes are vector_send's of the same text.
class BinaryCopyDbTest : public keepsake::testing::BootstrappedDatabaseTest {};

TEST_F(BinaryCopyDbTest, BytesAreThoseOfUuidSendAndVectorSend) {
  auto texts = conn_->exec(
      "SELECT v::text FROM (VALUES "
      "('[1e-45,-1e-45,1.1754942e-38,1.1754944e-38,3.4028235e+38,-3.4028235e+38]'::vector),"
      " ('[-0,0,0.1,0.2,0.3,1e-05,123456.79,9.999999e-21]'::vector),"
      " ((SELECT ('[' || string_agg((random() * 2 - 1)::float4::text, ',') || ']')::vector FROM "
      "generate_series(1, 512))),"
      " ((SELECT ('[' || string_agg(((random() - 0.5) * 1e-30)::float4::text, ',') || ']')::vector "
      "FROM generate_series(1, 512)))"
      ") AS t(v)");
  ASSERT_EQ(texts.rows(), 4);
  // A tuple of one field: the field count (2 bytes) and the length (4 bytes), then the value.
  for (int i = 0; i < texts.rows(); ++i) {
    std::string text = texts.text(i, 0);
    auto out = encoded({BinaryColumn::kVector}, {text});
    ASSERT_TRUE(out) << text;
    EXPECT_EQ(hex(std::string_view(*out).substr(6)),
              conn_->exec("SELECT encode(vector_send($1::vector), 'hex')", {text}).text(0, 0))
        << text;
  }
  std::string uuid = conn_->exec("SELECT gen_random_uuid()::text").text(0, 0);
  auto out = encoded({BinaryColumn::kUuid}, {uuid});
  ASSERT_TRUE(out);
  EXPECT_EQ(hex(std::string_view(*out).substr(6)),
            conn_->exec("SELECT encode(uuid_send($1::uuid), 'hex')", {uuid}).text(0, 0));
}

// A backup with embeddings, cut into small gzip members, with one row rewritten into a form
// pgvector reads but the encoder refuses (a space before the '['): the piece holding it goes in
// as text, the others in binary, and every embedding comes back as it was.
TEST_F(BinaryCopyDbTest, LoadedEmbeddingsAreIdenticalAndARefusedRowGoesInAsText) {
  conn_->exec(R"(INSERT INTO "user" (id, email, name, "isAdmin") VALUES
                 ('00000000-0000-4000-8000-000000000001', 'admin@example.com', 'Admin', true))");
  conn_->exec(
      R"(INSERT INTO asset ("ownerId", "deviceAssetId", "deviceId", type, "originalPath", "fileCreatedAt",
                 "fileModifiedAt", "localDateTime", checksum, "originalFileName", "checksumAlgorithm")
                 SELECT '00000000-0000-4000-8000-000000000001', 'd', 'dev', 'IMAGE', '/m/' || i, now(), now(), now(),
                        decode(md5(i::text), 'hex'), 'a.jpg', 'sha1' FROM generate_series(1, 40) i)");
  conn_->exec(R"(INSERT INTO smart_search ("assetId", embedding)
                 SELECT a.id, ('[' || string_agg(CASE WHEN a."originalPath" = '/m/1' AND g <= 4
                                   THEN (ARRAY['1e-45', '-0', '3.4028235e+38', '1.1754944e-38'])[g]
                                   ELSE ((random() * 2 - 1)::float4)::text END, ',' ORDER BY g) || ']')::vector
                 FROM asset a CROSS JOIN generate_series(1, 512) g GROUP BY a.id)");
  auto embeddings = [](const std::string& db) {
    return db::Connection::open(keepsake::testing::superuser_config(db))
        ->exec(
            R"(SELECT count(*) || ' ' || md5(string_agg("assetId"::text || embedding::text, ';' ORDER BY "assetId"))
                  FROM smart_search)")
        .text(0, 0);
  };
  std::string before = embeddings(db_name_);
  keepsake::testing::TempDir media;
  backup::BackupOptions o;
  o.db = db_config_;
  o.media_location = media.path();
  std::string path = backup::create_backup(o).path;
  keepsake::testing::rewrite_dump(path, 2048, [](std::string sql) {
    size_t copy = sql.find("COPY public.smart_search");
    size_t row = sql.find("\t[", sql.find('\n', copy));
    EXPECT_NE(row, std::string::npos);
    return sql.insert(row + 1, " ");
  });

  auto plan = scan_dump(path);
  std::string target = keepsake::testing::create_fresh_database("bin");
  LoadOptions lo;
  auto target_config = keepsake::testing::superuser_config(target);
  lo.policy = load_policy_for(*db::Connection::open(target_config), false);
  auto report = load_dump(plan, target_config, lo);
  EXPECT_EQ(embeddings(target), before);
  // Every row is a piece of its own (5 KB rows, 2 KiB members); only smart_search has rows among
  // the tables the binary path takes, and its first row went in as text.
  EXPECT_EQ(report.binary_rows, 39u);
  keepsake::testing::drop_database(target);
}

}  // namespace
}  // namespace keepsake::restore
