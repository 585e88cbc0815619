// A real http::Server on 127.0.0.1 (a free port) running in a background thread, plus a client
// for it. For route tests of every module:
//
//   RunningServer server(table);                 // or RunningServer(kNormalRoutes, deps, auth)
//   auto res = server.client().Get("/api/server/ping");
#pragma once

#include <httplib.h>

#include <memory>
#include <string>
#include <thread>

#include "http/server.h"

namespace keepsake::testing {

// Accepts any credentials as one fixed user, an admin or not, with every permission.
http::Authenticator any_credentials_as(bool admin);

class RunningServer {
 public:
  // Serves a fixed table.
  explicit RunningServer(http::RouteTable table, http::Authenticator authenticator = {},
                         http::RouteDeps deps = {});
  // Serves a registered route set.
  RunningServer(std::string_view route_set, http::RouteDeps deps,
                http::Authenticator authenticator);
  ~RunningServer();

  http::Server& server() { return *server_; }
  int port() const { return port_; }
  // A fresh client (keep-alive off, 10 s timeouts).
  httplib::Client client() const;

 private:
  void start();

  std::unique_ptr<http::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace keepsake::testing
