#include "restore/sql_splitter.h"

#include <cstring>

namespace keepsake::restore {
namespace {

bool ident_start(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c >= 0x80;
}
bool ident_cont(unsigned char c) { return ident_start(c) || (c >= '0' && c <= '9') || c == '$'; }
bool dollar_tag_cont(unsigned char c) { return ident_start(c) || (c >= '0' && c <= '9'); }
bool is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

constexpr size_t kDropLeadingBytes = 1 << 16;

}  // namespace

void SqlSplitter::advance(size_t n) {
  const char* p = buf_.data() + pos_;
  for (size_t i = 0; i < n; ++i) line_ += p[i] == '\n';
  pos_ += n;
  offset_ += n;
}

void SqlSplitter::reset_statement_state() {
  start_ = std::string::npos;
  paren_depth_ = 0;
  begin_depth_ = 0;
  identifier_count_ = 0;
  std::memset(identifiers_, 0, sizeof(identifiers_));
}

void SqlSplitter::feed(const char* data, size_t n) {
  std::string carry;
  std::string_view input(data, n);
  while (!input.empty()) {
    if (in_copy_) {
      const char* p = input.data();
      feed_copy(p, input.data() + input.size());
      input.remove_prefix(static_cast<size_t>(p - input.data()));
      continue;
    }
    buf_.append(input);
    input = {};
    lex(false);
    if (in_copy_ && pos_ < buf_.size()) {
      carry = buf_.substr(pos_);
      buf_.clear();
      pos_ = 0;
      input = carry;
    } else if (in_copy_) {
      buf_.clear();
      pos_ = 0;
    }
  }
}

void SqlSplitter::finish() {
  if (!in_copy_) {
    lex(true);
    if (!in_copy_ && start_ != std::string::npos) end_statement(buf_.size(), false);
  }
  if (in_copy_) {
    bool terminator = (line_length_ == 2 && line_head_ == "\\.") || (line_length_ == 3 && line_head_ == "\\.\r");
    copy_.terminated = terminator;
    copy_.data_end = terminator ? offset_ - line_length_ : offset_;
    if (!terminator && line_length_ > 0) ++copy_.rows;
    in_copy_ = false;
    handler_.on_copy_end(copy_);
  }
}

void SqlSplitter::feed_copy(const char*& p, const char* end) {
  if (copy_first_line_) {
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
    const char* stop = nl ? nl : end;
    for (const char* q = p; q < stop; ++q) copy_.trailing_text |= !is_space(static_cast<unsigned char>(*q));
    offset_ += static_cast<uint64_t>(stop - p);
    p = stop;
    if (!nl) return;
    ++p, ++offset_, ++line_;
    copy_first_line_ = false;
    copy_.data_begin = offset_;
  }
  while (p < end) {
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
    const char* stop = nl ? nl : end;
    size_t n = static_cast<size_t>(stop - p);
    if (line_head_.size() < 3) line_head_.append(p, std::min(n, 3 - line_head_.size()));
    line_length_ += n;
    offset_ += n;
    p = stop;
    if (!nl) return;
    ++p, ++offset_, ++line_;
    bool terminator = (line_length_ == 2 && line_head_ == "\\.") || (line_length_ == 3 && line_head_ == "\\.\r");
    if (terminator) {
      copy_.data_end = offset_ - line_length_ - 1;
      copy_.terminated = true;
      in_copy_ = false;
      line_head_.clear();
      line_length_ = 0;
      handler_.on_copy_end(copy_);
      return;
    }
    ++copy_.rows;
    line_head_.clear();
    line_length_ = 0;
  }
}

void SqlSplitter::end_statement(size_t end_pos, bool terminated) {
  if (start_ != std::string::npos) {
    SqlStatement s;
    s.text = buf_.substr(start_, end_pos - start_);
    s.line = start_line_;
    s.terminated = terminated;
    s.copy_from_stdin = terminated && is_copy_from_stdin(s.text);
    handler_.on_statement(s);
    if (s.copy_from_stdin) {
      in_copy_ = true;
      copy_first_line_ = true;
      copy_ = CopyData{};
      copy_.line = s.line;
      line_head_.clear();
      line_length_ = 0;
    }
  }
  buf_.erase(0, end_pos);
  pos_ -= std::min(pos_, end_pos);
  reset_statement_state();
}

void SqlSplitter::note_identifier(std::string_view word) {
  // psql's heuristic for BEGIN ... END bodies of CREATE [OR REPLACE] FUNCTION|PROCEDURE.
  if (identifier_count_ == 0) std::memset(identifiers_, 0, sizeof(identifiers_));
  if (iequals(word, "create") || iequals(word, "function") || iequals(word, "procedure") ||
      iequals(word, "or") || iequals(word, "replace")) {
    if (identifier_count_ < 4) identifiers_[identifier_count_] = static_cast<char>(std::tolower(word[0]));
  }
  ++identifier_count_;
  bool in_routine = identifiers_[0] == 'c' &&
                    (identifiers_[1] == 'f' || identifiers_[1] == 'p' ||
                     (identifiers_[1] == 'o' && identifiers_[2] == 'r' &&
                      (identifiers_[3] == 'f' || identifiers_[3] == 'p')));
  if (!in_routine || paren_depth_ != 0) return;
  if (iequals(word, "begin")) {
    ++begin_depth_;
  } else if (iequals(word, "case")) {
    if (begin_depth_ >= 1) ++begin_depth_;
  } else if (iequals(word, "end")) {
    if (begin_depth_ > 0) --begin_depth_;
  }
}

// At an identifier start; false when more input is needed to see where it ends.
bool SqlSplitter::lex_identifier(bool final) {
  size_t j = pos_;
  while (j < buf_.size() && ident_cont(static_cast<unsigned char>(buf_[j]))) ++j;
  if (j == buf_.size() && !final) return false;
  std::string_view word(buf_.data() + pos_, j - pos_);
  if ((word == "E" || word == "e") && j < buf_.size() && buf_[j] == '\'') {
    advance(j - pos_ + 1);
    state_ = State::kExtendedQuote;
    return true;
  }
  note_identifier(word);
  advance(j - pos_);
  return true;
}

// At a '$' outside an identifier: a parameter ($1), a dollar-quote delimiter, or an operator.
bool SqlSplitter::lex_dollar(bool final) {
  if (pos_ + 1 >= buf_.size()) {
    if (!final) return false;
    advance(1);
    return true;
  }
  unsigned char next = static_cast<unsigned char>(buf_[pos_ + 1]);
  if (next >= '0' && next <= '9') {
    size_t j = pos_ + 1;
    while (j < buf_.size() && buf_[j] >= '0' && buf_[j] <= '9') ++j;
    if (j == buf_.size() && !final) return false;
    advance(j - pos_);
    return true;
  }
  if (next == '$') {
    dollar_tag_ = "$$";
    advance(2);
    state_ = State::kDollarQuote;
    return true;
  }
  if (!ident_start(next)) {
    advance(1);
    return true;
  }
  size_t j = pos_ + 1;
  while (j < buf_.size() && dollar_tag_cont(static_cast<unsigned char>(buf_[j]))) ++j;
  if (j == buf_.size()) {
    if (!final) return false;
    advance(j - pos_);
    return true;
  }
  if (buf_[j] != '$') {
    advance(j - pos_);
    return true;
  }
  dollar_tag_ = buf_.substr(pos_, j - pos_ + 1);
  advance(j - pos_ + 1);
  state_ = State::kDollarQuote;
  return true;
}

// At a backslash in normal state: a psql meta-command up to the end of the line.
bool SqlSplitter::lex_meta_command(bool final) {
  size_t nl = buf_.find('\n', pos_);
  if (nl == std::string::npos && !final) return false;
  size_t line_end = nl == std::string::npos ? buf_.size() : nl;
  MetaCommand m;
  m.line = line_;
  m.inside_statement = start_ != std::string::npos;
  size_t j = pos_ + 1;
  if (j < line_end && dollar_tag_cont(static_cast<unsigned char>(buf_[j]))) {
    while (j < line_end && dollar_tag_cont(static_cast<unsigned char>(buf_[j]))) ++j;
  } else if (j < line_end) {
    ++j;
  }
  m.name = buf_.substr(pos_ + 1, j - pos_ - 1);
  std::string args = buf_.substr(j, line_end - j);
  while (!args.empty() && is_space(static_cast<unsigned char>(args.back()))) args.pop_back();
  size_t first = 0;
  while (first < args.size() && is_space(static_cast<unsigned char>(args[first]))) ++first;
  m.args = args.substr(first);
  handler_.on_meta_command(m);
  // psql never sends a meta-command to the server: drop its text from the statement.
  offset_ += line_end - pos_;
  buf_.erase(pos_, line_end - pos_);
  return true;
}

void SqlSplitter::lex(bool final) {
  while (pos_ < buf_.size() && !in_copy_) {
    if (start_ == std::string::npos && pos_ >= kDropLeadingBytes) {
      buf_.erase(0, pos_);
      pos_ = 0;
    }
    unsigned char c = static_cast<unsigned char>(buf_[pos_]);
    bool has_next = pos_ + 1 < buf_.size();
    unsigned char next = has_next ? static_cast<unsigned char>(buf_[pos_ + 1]) : 0;
    switch (state_) {
      case State::kLineComment: {
        size_t nl = buf_.find('\n', pos_);
        if (nl == std::string::npos) {
          advance(buf_.size() - pos_);
        } else {
          advance(nl - pos_ + 1);
          state_ = State::kNormal;
        }
        continue;
      }
      case State::kBlockComment:
        if ((c == '/' || c == '*') && !has_next && !final) return;
        if (c == '/' && next == '*') {
          ++comment_depth_;
          advance(2);
        } else if (c == '*' && next == '/') {
          advance(2);
          if (--comment_depth_ == 0) state_ = State::kNormal;
        } else {
          advance(1);
        }
        continue;
      case State::kQuote:
      case State::kDoubleQuote: {
        char quote = state_ == State::kQuote ? '\'' : '"';
        size_t q = buf_.find(quote, pos_);
        if (q == std::string::npos) {
          advance(buf_.size() - pos_);
          continue;
        }
        if (q + 1 >= buf_.size() && !final) {
          advance(q - pos_);
          return;
        }
        if (q + 1 < buf_.size() && buf_[q + 1] == quote) {
          advance(q - pos_ + 2);
        } else {
          advance(q - pos_ + 1);
          state_ = State::kNormal;
        }
        continue;
      }
      case State::kExtendedQuote:
        if (c == '\\') {
          if (!has_next && !final) return;
          advance(has_next ? 2 : 1);
        } else if (c == '\'') {
          if (!has_next && !final) return;
          if (next == '\'') {
            advance(2);
          } else {
            advance(1);
            state_ = State::kNormal;
          }
        } else {
          advance(1);
        }
        continue;
      case State::kDollarQuote: {
        size_t q = buf_.find(dollar_tag_, pos_);
        if (q == std::string::npos) {
          size_t keep = dollar_tag_.size() - 1;
          size_t safe = buf_.size() > pos_ + keep ? buf_.size() - keep : pos_;
          if (final) safe = buf_.size();
          advance(safe - pos_);
          if (!final) return;
          continue;
        }
        advance(q - pos_ + dollar_tag_.size());
        state_ = State::kNormal;
        continue;
      }
      case State::kNormal:
        break;
    }
    if (is_space(c)) {
      advance(1);
      continue;
    }
    if ((c == '-' || c == '/') && !has_next && !final) return;
    if (c == '-' && next == '-') {
      state_ = State::kLineComment;
      advance(2);
      continue;
    }
    if (c == '/' && next == '*') {
      state_ = State::kBlockComment;
      comment_depth_ = 1;
      if (start_ == std::string::npos) {
        advance(2);
        continue;
      }
      advance(2);
      continue;
    }
    if (c == '\\') {
      if (!lex_meta_command(final)) return;
      continue;
    }
    if (start_ == std::string::npos) {
      start_ = pos_;
      start_line_ = line_;
    }
    if (c == '\'') {
      state_ = State::kQuote;
      advance(1);
    } else if (c == '"') {
      state_ = State::kDoubleQuote;
      advance(1);
    } else if (c == '$') {
      if (!lex_dollar(final)) return;
    } else if (ident_start(c)) {
      if (!lex_identifier(final)) return;
    } else if (c == '(') {
      ++paren_depth_;
      advance(1);
    } else if (c == ')') {
      if (paren_depth_ > 0) --paren_depth_;
      advance(1);
    } else if (c == ';' && paren_depth_ == 0 && begin_depth_ == 0) {
      advance(1);
      end_statement(pos_, true);
    } else if (c >= '0' && c <= '9') {
      size_t j = pos_;
      while (j < buf_.size() && ((buf_[j] >= '0' && buf_[j] <= '9') || buf_[j] == '.')) ++j;
      if (j == buf_.size() && !final) return;
      advance(j - pos_);
    } else {
      advance(1);
    }
  }
  if (start_ == std::string::npos && pos_ > 0 && !in_copy_) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
}

bool is_copy_from_stdin(std::string_view statement) {
  auto word_at = [&](size_t i, std::string_view w) {
    if (statement.size() - i < w.size()) return false;
    for (size_t k = 0; k < w.size(); ++k) {
      if (std::tolower(static_cast<unsigned char>(statement[i + k])) != w[k]) return false;
    }
    size_t after = i + w.size();
    return after == statement.size() || !ident_cont(static_cast<unsigned char>(statement[after]));
  };
  size_t i = 0;
  while (i < statement.size() && is_space(static_cast<unsigned char>(statement[i]))) ++i;
  if (!word_at(i, "copy")) return false;
  // Look for the words FROM STDIN outside quotes (a quoted name cannot look like them).
  char quote = 0;
  bool after_from = false;
  for (i += 4; i < statement.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(statement[i]);
    if (quote) {
      if (c == quote) quote = 0;
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = static_cast<char>(c);
      after_from = false;
    } else if (is_space(c)) {
      continue;
    } else if (ident_start(c) && !ident_cont(static_cast<unsigned char>(statement[i - 1]))) {
      if (after_from && word_at(i, "stdin")) return true;
      after_from = word_at(i, "from");
      while (i + 1 < statement.size() && ident_cont(static_cast<unsigned char>(statement[i + 1]))) ++i;
    } else {
      after_from = false;
    }
  }
  return false;
}

}  // namespace keepsake::restore
