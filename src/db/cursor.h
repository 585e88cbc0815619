// Reading a query's rows in batches through a server-side cursor, so that a large table (every
// embedding, every asset path) never sits in memory at once. The cursor lives in the caller's
// transaction; this never begins, commits or rolls one back.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "db/connection.h"

namespace keepsake::db {

// Declares cursor `name` for `sql` (with its parameters), hands each batch of up to `batch_rows`
// rows to `on_batch` until the rows run out, then closes the cursor. Needs an open transaction:
// outside one PostgreSQL refuses the cursor (SQLSTATE 25P01).
void for_each_batch(Connection& conn, std::string_view name, const std::string& sql,
                    const Params& params, int batch_rows, std::string_view purpose,
                    const std::function<void(const Result&)>& on_batch);

}  // namespace keepsake::db
