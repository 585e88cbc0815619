// A database client that is not this process's Keepsake: its own libpq connection (not a
// db::Connection, so no write-fence override and not counted among this process's sessions) with
// the application_name it is given, as Immich's servers or another tool would connect. And a
// writer that inserts uniquely labelled rows in a tight loop on such a client, reconnecting after
// errors, counting what was acknowledged and what was refused.
#pragma once

#include <libpq-fe.h>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"

namespace keepsake::testing {

class OtherClient {
 public:
  OtherClient(DatabaseConfig config, std::string application_name);
  ~OtherClient();
  OtherClient(const OtherClient&) = delete;
  OtherClient& operator=(const OtherClient&) = delete;

  // Runs one statement with text parameters: "" on success, the SQLSTATE on an error, or
  // "connection" when the connection is gone (then the next call reconnects).
  std::string exec(const std::string& sql, const std::vector<std::string>& params = {});
  // The first value of the last successful query.
  const std::string& value() const { return value_; }
  bool connected() const;
  int pid() const;

 private:
  void connect();
  DatabaseConfig config_;
  std::string application_name_;
  PGconn* conn_ = nullptr;
  std::string value_;
};

// Inserts with `insert_sql` ($1 = "<prefix>-<n>", n counting every attempt from 0) until stop().
class WriterLoop {
 public:
  WriterLoop(DatabaseConfig config, std::string application_name, std::string insert_sql, std::string prefix);
  ~WriterLoop();
  void stop();

  std::string label(int n) const { return prefix_ + "-" + std::to_string(n); }
  // After stop():
  std::vector<int> acknowledged;
  std::vector<int> refused_read_only;  // SQLSTATE 25006: the fence
  std::vector<int> failed;             // any other error (a session ended, a database renamed...)

 private:
  void run();
  OtherClient client_;
  std::string insert_sql_, prefix_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace keepsake::testing
