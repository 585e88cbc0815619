// The splitter must cut a dump exactly where psql would: these cases are psql's lexer rules, each
// fed whole and also one byte at a time (chunk boundaries must never change the result).
#include "restore/sql_splitter.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace keepsake::restore {
namespace {

struct Recorder : SqlSplitterHandler {
  std::vector<SqlStatement> statements;
  std::vector<MetaCommand> commands;
  std::vector<CopyData> copies;
  void on_statement(const SqlStatement& s) override { statements.push_back(s); }
  void on_meta_command(const MetaCommand& m) override { commands.push_back(m); }
  void on_copy_end(const CopyData& c) override { copies.push_back(c); }
};

Recorder split(const std::string& sql, size_t chunk) {
  Recorder r;
  SqlSplitter s(r);
  for (size_t i = 0; i < sql.size(); i += chunk) s.feed(sql.substr(i, chunk));
  s.finish();
  return r;
}

std::vector<std::string> texts(const Recorder& r) {
  std::vector<std::string> out;
  for (auto& s : r.statements) out.push_back(s.text);
  return out;
}

// Splits whole and byte by byte; both must agree.
Recorder split_both_ways(const std::string& sql) {
  auto whole = split(sql, sql.size() + 1);
  auto bytewise = split(sql, 1);
  EXPECT_EQ(texts(whole), texts(bytewise)) << sql;
  EXPECT_EQ(whole.commands.size(), bytewise.commands.size()) << sql;
  EXPECT_EQ(whole.copies.size(), bytewise.copies.size()) << sql;
  for (size_t i = 0; i < std::min(whole.copies.size(), bytewise.copies.size()); ++i) {
    EXPECT_EQ(whole.copies[i].data_begin, bytewise.copies[i].data_begin);
    EXPECT_EQ(whole.copies[i].data_end, bytewise.copies[i].data_end);
    EXPECT_EQ(whole.copies[i].rows, bytewise.copies[i].rows);
  }
  return whole;
}

TEST(SqlSplitterTest, StatementsEndAtSemicolonsOutsideQuotesCommentsAndParentheses) {
  auto r = split_both_ways(
      "-- leading comment\nSET a = 1;\n"
      "SELECT 'x;y', \"we;ird\", E'it\\'s;', $$a;b$$, $fn$ c; $$ d $fn$;\n"
      "/* block ; /* nested ; */ still */ SELECT /* inner; */ 2;\n"
      "CREATE TABLE t (a int, CHECK (a > 0; ));\n"
      "SELECT 'it''s';");
  ASSERT_EQ(r.statements.size(), 5u);
  EXPECT_EQ(r.statements[0].text, "SET a = 1;");
  EXPECT_EQ(r.statements[0].line, 2u);
  EXPECT_EQ(r.statements[1].text, "SELECT 'x;y', \"we;ird\", E'it\\'s;', $$a;b$$, $fn$ c; $$ d $fn$;");
  EXPECT_EQ(r.statements[2].text, "SELECT /* inner; */ 2;");  // leading comments go, inner ones stay
  EXPECT_EQ(r.statements[3].text, "CREATE TABLE t (a int, CHECK (a > 0; ));");
  EXPECT_EQ(r.statements[4].text, "SELECT 'it''s';");
  EXPECT_TRUE(r.commands.empty());
}

TEST(SqlSplitterTest, BackslashInAStandardStringIsNotAnEscape) {
  // standard_conforming_strings = on: 'a\' is a complete string.
  auto r = split_both_ways("SELECT 'a\\'; SELECT 2;");
  ASSERT_EQ(r.statements.size(), 2u);
  EXPECT_EQ(r.statements[0].text, "SELECT 'a\\';");
}

TEST(SqlSplitterTest, IdentifiersMayHoldDollarsAndParametersAreNotQuotes) {
  auto r = split_both_ways("SELECT a$b$c, $1; SELECT 2;");
  ASSERT_EQ(r.statements.size(), 2u);
  EXPECT_EQ(r.statements[0].text, "SELECT a$b$c, $1;");
}

TEST(SqlSplitterTest, BeginAtomicBodiesKeepTheirSemicolons) {
  auto r = split_both_ways(
      "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 1 END; END;\n"
      "CREATE OR REPLACE PROCEDURE p() BEGIN ATOMIC SELECT 1; END;\n"
      "BEGIN; COMMIT;");
  ASSERT_EQ(r.statements.size(), 4u) << ::testing::PrintToString(texts(r));
  EXPECT_EQ(r.statements[2].text, "BEGIN;");
}

TEST(SqlSplitterTest, MetaCommandsAreReportedWithTheirLineAndNeverSentAsSql) {
  auto r = split_both_ways("\\restrict abc\nSELECT 1;\nSELECT 2 \\! touch /tmp/x\n;\n\\connect immich\n\\unrestrict abc\n");
  ASSERT_EQ(r.commands.size(), 4u);
  EXPECT_EQ(r.commands[0].name, "restrict");
  EXPECT_EQ(r.commands[0].args, "abc");
  EXPECT_EQ(r.commands[0].line, 1u);
  EXPECT_FALSE(r.commands[0].inside_statement);
  EXPECT_EQ(r.commands[1].name, "!");
  EXPECT_EQ(r.commands[1].args, "touch /tmp/x");
  EXPECT_EQ(r.commands[1].line, 3u);
  EXPECT_TRUE(r.commands[1].inside_statement);
  EXPECT_EQ(r.commands[2].name, "connect");
  EXPECT_EQ(r.commands[2].args, "immich");
  ASSERT_EQ(r.statements.size(), 2u);
  EXPECT_EQ(r.statements[1].text, "SELECT 2 \n;");
}

TEST(SqlSplitterTest, BackslashesInsideQuotesAndCommentsAreNotMetaCommands) {
  auto r = split_both_ways("SELECT E'\\\\! no', '\\! no', $$ \\! no $$; -- \\! no\n/* \\! no */ SELECT 1;");
  EXPECT_TRUE(r.commands.empty());
  EXPECT_EQ(r.statements.size(), 2u);
}

TEST(SqlSplitterTest, CopyDataRunsToTheTerminatorLineWithOffsetsAndRows) {
  std::string head = "SET x = 1;\nCOPY public.asset (id, \"originalPath\") FROM stdin;\n";
  std::string data = "1\t/a;b\\.c\n2\t\\.\n3\t'x\n";
  std::string sql = head + data + "\\.\nSELECT 1;\n";
  auto r = split_both_ways(sql);
  ASSERT_EQ(r.copies.size(), 1u);
  EXPECT_TRUE(r.copies[0].terminated);
  EXPECT_FALSE(r.copies[0].trailing_text);
  EXPECT_EQ(r.copies[0].rows, 3u);
  EXPECT_EQ(r.copies[0].line, 2u);
  EXPECT_EQ(r.copies[0].data_begin, head.size());
  EXPECT_EQ(r.copies[0].data_end, head.size() + data.size());
  ASSERT_EQ(r.statements.size(), 3u);
  EXPECT_TRUE(r.statements[1].copy_from_stdin);
  EXPECT_EQ(r.statements[2].text, "SELECT 1;");
  EXPECT_EQ(r.statements[2].line, 7u);
}

TEST(SqlSplitterTest, EmptyCopyAndCrlfTerminator) {
  auto r = split_both_ways("COPY t (a) FROM stdin;\r\n\\.\r\nCOPY u FROM stdin;\n\\.\n");
  ASSERT_EQ(r.copies.size(), 2u);
  EXPECT_EQ(r.copies[0].rows, 0u);
  EXPECT_EQ(r.copies[0].data_begin, r.copies[0].data_end);
  EXPECT_TRUE(r.copies[1].terminated);
}

TEST(SqlSplitterTest, TruncatedInputIsReported) {
  auto copy = split_both_ways("COPY t (a) FROM stdin;\n1\n2");
  ASSERT_EQ(copy.copies.size(), 1u);
  EXPECT_FALSE(copy.copies[0].terminated);
  EXPECT_EQ(copy.copies[0].rows, 2u);
  auto stmt = split_both_ways("SELECT 1; SELECT 'unterminated");
  ASSERT_EQ(stmt.statements.size(), 2u);
  EXPECT_FALSE(stmt.statements[1].terminated);
}

TEST(SqlSplitterTest, TextAfterTheCopyStatementOnItsLineIsFlagged) {
  auto r = split_both_ways("COPY t (a) FROM stdin; SELECT 1;\n1\n\\.\n");
  ASSERT_EQ(r.copies.size(), 1u);
  EXPECT_TRUE(r.copies[0].trailing_text);
}

TEST(SqlSplitterTest, RecognisesCopyFromStdinOnly) {
  EXPECT_TRUE(is_copy_from_stdin("COPY public.asset (id) FROM stdin;"));
  EXPECT_TRUE(is_copy_from_stdin("copy t from STDIN with (format csv);"));
  EXPECT_FALSE(is_copy_from_stdin("COPY t TO stdout;"));
  EXPECT_FALSE(is_copy_from_stdin("COPY t FROM '/etc/passwd';"));
  EXPECT_FALSE(is_copy_from_stdin("COPY \"from stdin\" FROM PROGRAM 'id';"));
  EXPECT_FALSE(is_copy_from_stdin("SELECT 'COPY t FROM stdin';"));
}

}  // namespace
}  // namespace keepsake::restore
