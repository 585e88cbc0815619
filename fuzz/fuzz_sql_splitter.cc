// The psql-compatible splitter and the statement recognisers (src/restore/sql_splitter,
// statement_patterns): any bytes, fed in any chunking, split the same way as when fed at once;
// offsets stay ordered and inside the input; the recognisers never crash on what it yields.
#include <cstdlib>
#include <string>
#include <vector>

#include "fuzz_support.h"
#include "restore/sql_splitter.h"
#include "restore/statement_patterns.h"

namespace {

using namespace keepsake::restore;

struct Recorder : SqlSplitterHandler {
  std::string log;
  uint64_t last_end = 0;
  void on_statement(const SqlStatement& s) override {
    log += "S" + std::to_string(s.line) + (s.terminated ? "t" : "u") + (s.copy_from_stdin ? "c" : "") + ":" + s.text + "\n";
    (void)starts_with_keyword(s.text, "COPY");
    (void)pg_dump_copy_table(s.text);
    (void)is_session_setting(s.text);
    (void)turns_off_standard_strings(s.text);
    (void)is_database_level(s.text);
    (void)created_extension(s.text);
    (void)dropped_extension(s.text);
    (void)commented_extension(s.text);
    (void)index_like_table(s.text);
    (void)owner_role(s.text);
    (void)is_copy_from_stdin(s.text);
    if (s.text.size() < 256) (void)unquote_identifier(s.text);
  }
  void on_meta_command(const MetaCommand& m) override {
    log += "M" + std::to_string(m.line) + (m.inside_statement ? "i" : "") + ":" + m.name + " " + m.args + "\n";
    (void)connect_target(m.args);
  }
  void on_copy_end(const CopyData& c) override {
    if (c.data_begin > c.data_end || c.data_end < last_end) std::abort();
    last_end = c.data_end;
    log += "C" + std::to_string(c.line) + ":" + std::to_string(c.data_begin) + "-" + std::to_string(c.data_end) + "/" +
           std::to_string(c.rows) + (c.terminated ? "t" : "u") + (c.trailing_text ? "x" : "") + "\n";
  }
};

std::string split(std::string_view text, size_t chunk) {
  Recorder r;
  SqlSplitter splitter(r);
  for (size_t at = 0; at < text.size(); at += chunk) splitter.feed(text.substr(at, chunk));
  splitter.finish();
  if (splitter.offset() > text.size() || r.last_end > text.size()) std::abort();
  return r.log;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  keepsake::fuzz::Input in(data, size);
  size_t chunk = 1 + in.byte() % 17;
  std::string_view text = in.rest();
  (void)is_cluster_dump_header(text);
  if (split(text, text.size() + 1) != split(text, chunk)) std::abort();
  return 0;
}
