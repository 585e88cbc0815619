// Splits a plain-format SQL dump into what psql would see: statements, psql meta-commands, and
// the data blocks that follow COPY ... FROM stdin. Where a statement ends follows psql's lexer
// (psqlscan.l): at a semicolon outside quotes ('...', E'...', "..."), dollar quotes, comments,
// parentheses and the BEGIN ... END bodies of CREATE FUNCTION / PROCEDURE. A backslash outside
// those starts a meta-command that runs to the end of the line. Data lines run up to a line "\.".
//
// Incremental: feed() chunks of any size, then finish(). It only splits and counts (lines, byte
// offsets, rows); deciding what is allowed is the caller's job. Never executes anything.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace keepsake::restore {

struct SqlStatement {
  std::string text;       // from its first token to its semicolon (leading comments dropped)
  uint64_t line = 0;      // 1-based line of its first token
  bool terminated = true; // false for text left without a semicolon at the end of the input
  bool copy_from_stdin = false;  // data lines follow (see is_copy_from_stdin)
};

struct MetaCommand {
  std::string name;  // "connect", "restrict", "!", ...
  std::string args;  // the rest of the line
  uint64_t line = 0;
  bool inside_statement = false;  // it interrupts a statement that has already started
};

struct CopyData {
  uint64_t line = 0;        // line of the COPY statement
  uint64_t data_begin = 0;  // byte offset of the first data byte
  uint64_t data_end = 0;    // byte offset just past the last data byte (where "\." starts)
  uint64_t rows = 0;
  bool terminated = true;   // false when the input ended before "\."
  bool trailing_text = false;  // something followed the semicolon on the COPY statement's line
};

class SqlSplitterHandler {
 public:
  virtual ~SqlSplitterHandler() = default;
  virtual void on_statement(const SqlStatement& statement) = 0;
  virtual void on_meta_command(const MetaCommand& command) = 0;
  // Data bytes of the current COPY block, in order (not called when the handler does not need them).
  virtual void on_copy_data(const char* /*data*/, size_t /*n*/) {}
  virtual void on_copy_end(const CopyData& block) = 0;
  // True when the handler wants on_copy_data calls.
  virtual bool wants_copy_data() const { return false; }
};

class SqlSplitter {
 public:
  explicit SqlSplitter(SqlSplitterHandler& handler) : handler_(handler) {}

  void feed(const char* data, size_t n);
  void feed(std::string_view data) { feed(data.data(), data.size()); }
  // Ends the input: delivers an unterminated statement or an unterminated COPY block.
  void finish();

  uint64_t offset() const { return offset_; }  // bytes consumed so far
  uint64_t lines() const { return line_; }
  bool in_copy() const { return in_copy_; }

 private:
  enum class State { kNormal, kQuote, kExtendedQuote, kDoubleQuote, kDollarQuote, kLineComment, kBlockComment };

  void lex(bool final);
  void feed_copy(const char*& p, const char* end);
  void end_statement(size_t end_pos, bool terminated);
  bool lex_identifier(bool final);
  bool lex_dollar(bool final);
  bool lex_meta_command(bool final);
  void note_identifier(std::string_view word);
  void advance(size_t n);  // moves pos_ by n bytes, counting newlines
  void reset_statement_state();

  SqlSplitterHandler& handler_;
  std::string buf_;       // text of the statement being lexed (and lookahead)
  size_t pos_ = 0;        // next byte of buf_ to lex
  size_t start_ = std::string::npos;  // first token of the current statement in buf_
  uint64_t buf_offset_ = 0;  // stream offset of buf_[0]
  uint64_t offset_ = 0;      // stream bytes consumed (lexed or copied)
  uint64_t line_ = 1;
  uint64_t start_line_ = 0;
  State state_ = State::kNormal;
  std::string dollar_tag_;
  int comment_depth_ = 0;
  int paren_depth_ = 0;
  int begin_depth_ = 0;
  int identifier_count_ = 0;
  char identifiers_[4] = {0, 0, 0, 0};
  std::string last_word_;  // the identifier just before the current byte, if adjacent

  // COPY data mode.
  bool in_copy_ = false;
  bool copy_first_line_ = false;  // still on the COPY statement's own line
  CopyData copy_;
  std::string line_head_;  // up to 3 leading bytes of the current data line
  uint64_t line_length_ = 0;
};

// True when a statement is a COPY ... FROM stdin (psql would read data lines after it).
bool is_copy_from_stdin(std::string_view statement);

}  // namespace keepsake::restore
