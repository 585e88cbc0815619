#include "db/cursor.h"

namespace keepsake::db {

void for_each_batch(Connection& conn, std::string_view name, const std::string& sql,
                    const Params& params, int batch_rows, std::string_view purpose,
                    const std::function<void(const Result&)>& on_batch) {
  const std::string cursor = quote_ident(name);
  conn.exec("DECLARE " + cursor + " NO SCROLL CURSOR FOR " + sql, params, purpose);
  const std::string fetch = "FETCH " + std::to_string(batch_rows) + " FROM " + cursor;
  for (;;) {
    auto r = conn.exec(fetch, {}, purpose);
    if (!r.empty()) on_batch(r);
    if (r.rows() < batch_rows) break;
  }
  conn.exec("CLOSE " + cursor, {}, purpose);
}

}  // namespace keepsake::db
