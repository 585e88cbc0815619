#include "harness/other_client.h"

#include <chrono>

namespace keepsake::testing {

OtherClient::OtherClient(DatabaseConfig config, std::string application_name)
    : config_(std::move(config)), application_name_(std::move(application_name)) {
  connect();
}

OtherClient::~OtherClient() {
  if (conn_) PQfinish(conn_);
}

void OtherClient::connect() {
  if (conn_) PQfinish(conn_);
  auto params = config_.libpq_params();
  std::vector<const char*> keys, values;
  for (auto& [k, v] : params) {
    keys.push_back(k.c_str());
    values.push_back(k == "application_name" ? application_name_.c_str() : v.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  conn_ = PQconnectdbParams(keys.data(), values.data(), 0);
}

bool OtherClient::connected() const { return conn_ && PQstatus(conn_) == CONNECTION_OK; }

int OtherClient::pid() const { return connected() ? PQbackendPID(conn_) : 0; }

std::string OtherClient::exec(const std::string& sql, const std::vector<std::string>& params) {
  if (!connected()) connect();
  if (!connected()) return "connection";
  std::vector<const char*> values;
  for (auto& p : params) values.push_back(p.c_str());
  PGresult* r = PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                             nullptr, 0);
  auto status = PQresultStatus(r);
  std::string outcome;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
    value_ = PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "";
  } else {
    const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    outcome = PQstatus(conn_) != CONNECTION_OK || !state ? "connection" : state;
  }
  PQclear(r);
  return outcome;
}

WriterLoop::WriterLoop(DatabaseConfig config, std::string application_name, std::string insert_sql,
                       std::string prefix)
    : client_(std::move(config), std::move(application_name)),
      insert_sql_(std::move(insert_sql)),
      prefix_(std::move(prefix)),
      thread_([this] { run(); }) {}

WriterLoop::~WriterLoop() { stop(); }

void WriterLoop::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void WriterLoop::run() {
  for (int n = 0; !stop_; ++n) {
    std::string outcome = client_.exec(insert_sql_, {label(n)});
    if (outcome.empty()) acknowledged.push_back(n);
    else if (outcome == "25006") refused_read_only.push_back(n);
    else failed.push_back(n);
    if (outcome == "connection") std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace keepsake::testing
