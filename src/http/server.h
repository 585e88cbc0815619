// Keepsake's HTTP server: cpp-httplib with a worker pool (>= 64 threads), TCP_NODELAY, a short
// keep-alive, and one dispatcher in front of a swappable RouteTable. The dispatcher resolves the
// caller (auth_guard.h), enforces the route's Access and permission (401/403 in Immich's error
// shape), reads or streams the body, runs the handler, turns keepsake::Error into Immich's error
// JSON, and writes an access log line (method, path, status, duration; never query strings,
// Authorization or cookie values).
//
// Usage:
//   http::Server server({.host = "", .port = 2283}, deps, authenticator);
//   server.switch_to(http::kNormalRoutes);   // or set_routes(table) in tests
//   int port = server.bind();                // throws when the port is taken
//   server.run();                            // until stop() (thread-safe; used by SIGTERM)
//
// Never holds a large request or response body in memory; never logs secrets.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "http/auth_guard.h"
#include "http/route_registry.h"
#include "http/route_table.h"

namespace httplib {
class Server;
}

namespace keepsake::http {

struct ServerOptions {
  std::string host;  // empty = all interfaces (IMMICH_HOST)
  int port = 2283;   // 0 = any free port
  size_t worker_threads = 64;
  time_t keep_alive_seconds = 5;
  time_t read_timeout_seconds = 30;
  time_t write_timeout_seconds = 30;
};

class Server : public RouteSetSwitcher {
 public:
  Server(ServerOptions options, RouteDeps deps, Authenticator authenticator);
  ~Server() override;
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Installs a table directly, named `route_set` (tests, or a prebuilt set).
  void set_routes(std::shared_ptr<const RouteTable> table, std::string route_set);
  // Builds the named route set from the registry (deps.switcher = this server) and installs it.
  void switch_to(std::string_view route_set) override;
  std::string current_route_set() const override;

  // Binds the listening socket; returns the port. Throws kUnavailable when it cannot.
  int bind();
  // Serves until stop(); returns once in-flight requests have finished.
  void run();
  // Stops accepting; run() returns after the running requests end. Thread-safe, idempotent.
  void stop();
  bool running() const;
  int port() const { return port_; }
  // Processes one raw HTTP request held in memory as a connection would (no socket; the
  // connection is closed after it) and returns the raw response: for fuzzing and tests.
  std::string serve_in_memory(std::string_view request);
  // "<host>:<port>" as bound, for the "listening" log line.
  std::string address() const;

 private:
  void install_handlers();
  std::shared_ptr<const RouteTable> routes_snapshot() const;

  ServerOptions options_;
  RouteDeps deps_;
  Authenticator authenticator_;
  std::unique_ptr<httplib::Server> server_;
  mutable std::mutex routes_mu_;
  std::shared_ptr<const RouteTable> routes_;
  std::string route_set_;
  int port_ = 0;
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> run_entered_{false};
  std::atomic<bool> run_exited_{false};
};

}  // namespace keepsake::http
