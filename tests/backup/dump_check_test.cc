// Judging a backup file by its content: gzip, plain SQL text, or neither, whatever its name.
#include "backup/dump_check.h"

#include <gtest/gtest.h>

#include <fstream>

#include "common/error.h"
#include "harness/test_cluster.h"

namespace keepsake::backup {
namespace {

TEST(DumpCheckTest, FormatIsDecidedByContent) {
  EXPECT_EQ(detect_dump_format("\x1f\x8b\x08rest"), DumpFormat::kGzip);
  EXPECT_EQ(detect_dump_format("--\n-- PostgreSQL database dump\n--\n"), DumpFormat::kSql);
  EXPECT_EQ(detect_dump_format("\xEF\xBB\xBF\n  SET statement_timeout = 0;\n"), DumpFormat::kSql);
  EXPECT_EQ(detect_dump_format("\\restrict abc\n"), DumpFormat::kSql);
  EXPECT_EQ(detect_dump_format("/* comment */ SELECT 1;"), DumpFormat::kSql);
  EXPECT_EQ(detect_dump_format("-- caf\xC3\xA9\n"), DumpFormat::kSql);
  EXPECT_EQ(detect_dump_format("-- cut \xE2\x82"), DumpFormat::kSql);  // a sequence cut by the head's end
  EXPECT_EQ(detect_dump_format(""), DumpFormat::kNeither);
  EXPECT_EQ(detect_dump_format(" \n\t"), DumpFormat::kNeither);
  EXPECT_EQ(detect_dump_format("{\"json\": true}"), DumpFormat::kNeither);
  EXPECT_EQ(detect_dump_format(std::string("-- nul\0here", 11)), DumpFormat::kNeither);
  EXPECT_EQ(detect_dump_format("-- bad \xC3\x28 utf8"), DumpFormat::kNeither);
  EXPECT_EQ(detect_dump_format("-- overlong \xC0\xAF"), DumpFormat::kNeither);
  EXPECT_EQ(detect_dump_format("-- surrogate \xED\xA0\x80"), DumpFormat::kNeither);
  EXPECT_EQ(detect_dump_format("\x7f" "ELF\x02\x01"), DumpFormat::kNeither);
  EXPECT_EQ(detect_dump_format("\x1f\x8c not gzip"), DumpFormat::kNeither);
}

TEST(DumpCheckTest, VerifyNamesTheLabelAndRefusesRandomBytes) {
  keepsake::testing::TempDir dir;
  std::string path = dir.path() + "/.upload-123.part";
  std::string random(3000, '\0');
  for (size_t i = 0; i < random.size(); ++i) random[i] = static_cast<char>((i * 2654435761u) >> 11);
  std::ofstream(path, std::ios::binary) << random;
  try {
    verify_backup_file(path, {}, "mine.sql.gz");
    ADD_FAILURE() << "random bytes were accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kCorrupt);
    EXPECT_EQ(std::string(e.what()), "mine.sql.gz is not a gzip stream or SQL dump");
  }
  std::ofstream(path, std::ios::binary | std::ios::trunc) << "SELECT 1;\n";
  try {
    verify_backup_file(path, {}, "half.sql");
    ADD_FAILURE() << "a dump without its trailer was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).find(path), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).rfind("half.sql is incomplete", 0), 0u) << e.what();
  }
}

TEST(DumpTrailerTest, CompletionTrailerForms) {
  EXPECT_TRUE(dump_is_complete("x\n--\n-- PostgreSQL database dump complete\n--\n\n"));
  EXPECT_TRUE(dump_is_complete("x\n--\n-- PostgreSQL database dump complete\n--\n\n\\unrestrict Zx9\n\n"));
  EXPECT_FALSE(dump_is_complete("x\n--\n-- PostgreSQL database dump\n--\n"));
  EXPECT_FALSE(dump_is_complete("-- PostgreSQL database dump complete\n--\nDROP TABLE x;\n"));
  EXPECT_TRUE(dump_is_complete("\\connect x\n--\n-- PostgreSQL database cluster dump complete\n--\n\n"));
  EXPECT_FALSE(dump_is_complete(""));
}

}  // namespace
}  // namespace keepsake::backup
