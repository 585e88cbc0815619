#include "restore/statement_patterns.h"

#include <regex>

namespace keepsake::restore {
namespace {

// An identifier: "quoted" (with "" inside) or plain.
// pg_dump quotes every identifier that is not plain lower-case ASCII, so plain names are ASCII.
#define KS_IDENT R"((?:"(?:[^"]|"")*"|[A-Za-z_][A-Za-z0-9_$]*))"
#define KS_QUALNAME "(" KS_IDENT R"((?:\s*\.\s*)" KS_IDENT ")?)"

// libstdc++'s regex recurses per character: patterns only ever see a bounded head of a statement
// (every form recognised here starts there), so a long function body cannot exhaust the stack.
constexpr size_t kHeadBytes = 2048;

std::string_view head(std::string_view text) { return text.substr(0, kHeadBytes); }

bool search(std::string_view text, const std::regex& pattern, std::cmatch* m = nullptr) {
  std::cmatch local;
  text = head(text);
  return std::regex_search(text.data(), text.data() + text.size(), m ? *m : local, pattern);
}

size_t skip_space(std::string_view s, size_t i) {
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return i;
}

// One identifier at i (quoted or plain); returns the index after it, or npos.
size_t skip_identifier(std::string_view s, size_t i) {
  if (i < s.size() && s[i] == '"') {
    for (size_t j = i + 1; j < s.size(); ++j) {
      if (s[j] != '"') continue;
      if (j + 1 < s.size() && s[j + 1] == '"') {
        ++j;
        continue;
      }
      return j + 1;
    }
    return std::string_view::npos;
  }
  size_t j = i;
  while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_' || s[j] == '$')) ++j;
  return j > i && !std::isdigit(static_cast<unsigned char>(s[i])) ? j : std::string_view::npos;
}

bool keyword_at(std::string_view s, size_t i, std::string_view keyword) {
  if (s.size() - std::min(i, s.size()) < keyword.size()) return false;
  for (size_t k = 0; k < keyword.size(); ++k) {
    if (std::toupper(static_cast<unsigned char>(s[i + k])) != std::toupper(static_cast<unsigned char>(keyword[k]))) {
      return false;
    }
  }
  size_t after = i + keyword.size();
  return after == s.size() || !(std::isalnum(static_cast<unsigned char>(s[after])) || s[after] == '_');
}

std::regex icase(const std::string& pattern) {
  return std::regex(pattern, std::regex::icase | std::regex::optimize);
}

}  // namespace

std::string unquote_identifier(std::string_view id) {
  if (id.size() >= 2 && id.front() == '"' && id.back() == '"') {
    std::string out;
    for (size_t i = 1; i + 1 < id.size(); ++i) {
      out += id[i];
      if (id[i] == '"' && id[i + 1] == '"') ++i;
    }
    return out;
  }
  std::string out(id);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool starts_with_keyword(std::string_view statement, std::string_view keyword) {
  size_t i = 0;
  while (i < statement.size() && std::isspace(static_cast<unsigned char>(statement[i]))) ++i;
  if (statement.size() - i < keyword.size()) return false;
  for (size_t k = 0; k < keyword.size(); ++k) {
    if (std::toupper(static_cast<unsigned char>(statement[i + k])) != keyword[k]) return false;
  }
  size_t after = i + keyword.size();
  return after == statement.size() || !std::isalnum(static_cast<unsigned char>(statement[after]));
}

std::optional<std::string> pg_dump_copy_table(std::string_view s) {
  size_t i = skip_space(s, 0);
  if (!keyword_at(s, i, "COPY")) return std::nullopt;
  i = skip_space(s, i + 4);
  size_t name_begin = i;
  i = skip_identifier(s, i);
  if (i == std::string_view::npos) return std::nullopt;
  if (i < s.size() && s[i] == '.') {
    i = skip_identifier(s, i + 1);
    if (i == std::string_view::npos) return std::nullopt;
  }
  std::string table(s.substr(name_begin, i - name_begin));
  i = skip_space(s, i);
  if (i < s.size() && s[i] == '(') {
    bool closed = false;
    for (++i; i < s.size() && !closed;) {
      if (s[i] == '"') {
        i = skip_identifier(s, i);
        if (i == std::string_view::npos) return std::nullopt;
      } else if (s[i] == '(') {
        return std::nullopt;
      } else {
        closed = s[i] == ')';
        ++i;
      }
    }
    if (!closed) return std::nullopt;
    i = skip_space(s, i);
  }
  if (!keyword_at(s, i, "FROM")) return std::nullopt;
  i = skip_space(s, i + 4);
  if (!keyword_at(s, i, "stdin")) return std::nullopt;
  i = skip_space(s, i + 5);
  if (i >= s.size() || s[i] != ';') return std::nullopt;
  return skip_space(s, i + 1) == s.size() ? std::optional<std::string>(table) : std::nullopt;
}

bool is_session_setting(std::string_view statement) {
  static const std::regex kSet = icase(R"(^\s*SET\s+(?!LOCAL\s|CONSTRAINTS\s|TRANSACTION\s))");
  static const std::regex kSetConfig = icase(R"(^\s*SELECT\s+pg_catalog\.set_config\s*\()");
  return search(statement, kSet) || search(statement, kSetConfig);
}

bool turns_off_standard_strings(std::string_view statement) {
  static const std::regex kScs = icase(R"(^\s*SET\s+(SESSION\s+)?standard_conforming_strings\s*(=|TO)\s*'?(\w+))");
  std::cmatch m;
  if (!search(statement, kScs, &m)) return false;
  std::string v = m[3].str();
  for (char& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return v != "on" && v != "true" && v != "yes" && v != "1";
}

bool is_database_level(std::string_view statement) {
  static const std::regex kObject =
      icase(R"(^\s*(CREATE|ALTER|DROP)\s+(DATABASE|ROLE|USER|GROUP|TABLESPACE)\b)");
  static const std::regex kOnDatabase =
      icase(R"(^\s*(COMMENT|GRANT|REVOKE|SECURITY\s+LABEL)\b[\s\S]*\bON\s+(DATABASE|TABLESPACE)\b)");
  // GRANT <role> TO <role> (role membership) has no ON clause.
  static const std::regex kRoleGrant = icase(R"(^\s*(GRANT|REVOKE)\s+(?![\s\S]*\bON\b)[\s\S]*\b(TO|FROM)\b)");
  return search(statement, kObject) || search(statement, kOnDatabase) || search(statement, kRoleGrant);
}

// The extension a statement names, when it matches `pattern` (whose last group is the name).
static std::optional<std::string> extension_named(std::string_view statement, const std::regex& pattern) {
  std::cmatch m;
  if (!search(statement, pattern, &m)) return std::nullopt;
  return unquote_identifier(m[m.size() - 1].str());
}

std::optional<std::string> created_extension(std::string_view statement) {
  static const std::regex kCreate = icase(R"(^\s*CREATE\s+EXTENSION\s+(?:IF\s+NOT\s+EXISTS\s+)?)" "(" KS_IDENT ")");
  return extension_named(statement, kCreate);
}

std::optional<std::string> dropped_extension(std::string_view statement) {
  static const std::regex kDrop = icase(R"(^\s*DROP\s+EXTENSION\s+(?:IF\s+EXISTS\s+)?)" "(" KS_IDENT ")");
  return extension_named(statement, kDrop);
}

std::optional<std::string> commented_extension(std::string_view statement) {
  static const std::regex kComment = icase(R"(^\s*COMMENT\s+ON\s+EXTENSION\s+)" "(" KS_IDENT ")");
  return extension_named(statement, kComment);
}

std::optional<std::string> index_like_table(std::string_view statement) {
  static const std::regex kIndex =
      icase(R"(^\s*CREATE\s+(UNIQUE\s+)?INDEX\s+(?!CONCURRENTLY\b)[\s\S]*?\sON\s+(ONLY\s+)?)" KS_QUALNAME);
  static const std::regex kConstraint = icase(R"(^\s*ALTER\s+TABLE\s+(ONLY\s+)?)" KS_QUALNAME
                                              R"(\s+ADD\s+CONSTRAINT\s+)" KS_IDENT
                                              R"(\s+(PRIMARY\s+KEY|UNIQUE|EXCLUDE)\b)");
  std::cmatch m;
  if (search(statement, kIndex, &m)) return m[3].str();
  if (search(statement, kConstraint, &m)) return m[2].str();
  return std::nullopt;
}

std::optional<std::string> owner_role(std::string_view statement) {
  if (!starts_with_keyword(statement, "ALTER")) return std::nullopt;
  static const std::regex kOwner = icase(R"(\sOWNER\s+TO\s+)" "(" KS_IDENT R"()\s*;?\s*$)");
  std::string_view tail = statement.substr(statement.size() > 256 ? statement.size() - 256 : 0);
  std::cmatch m;
  if (!std::regex_search(tail.data(), tail.data() + tail.size(), m, kOwner)) return std::nullopt;
  return unquote_identifier(m[1].str());
}

std::optional<std::string> connect_target(std::string_view args) {
  if (args.size() > 1024) return std::nullopt;
  static const std::regex kPlain = icase("^(" KS_IDENT R"()$)");
  static const std::regex kReuse = icase(R"(^-reuse-previous=on\s+"dbname='((?:[^'\\]|\\.|'')*)'"$)");
  std::cmatch m;
  if (std::regex_match(args.data(), args.data() + args.size(), m, kPlain)) {
    std::string id = m[1].str();
    return id.front() == '"' ? unquote_identifier(id) : id;  // psql keeps a plain name's case
  }
  if (std::regex_match(args.data(), args.data() + args.size(), m, kReuse)) {
    std::string out;
    std::string v = m[1].str();
    for (size_t i = 0; i < v.size(); ++i) {
      if ((v[i] == '\\' || (v[i] == '\'' && i + 1 < v.size() && v[i + 1] == '\'')) && i + 1 < v.size()) ++i;
      out += v[i];
    }
    return out;
  }
  return std::nullopt;
}

bool is_cluster_dump_header(std::string_view head) {
  return head.substr(0, 512).find("-- PostgreSQL database cluster dump") != std::string_view::npos;
}

}  // namespace keepsake::restore
