#include "http/test_server.h"

#include <chrono>

namespace keepsake::testing {
namespace {

http::ServerOptions test_options() {
  http::ServerOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  return options;
}

}  // namespace

RunningServer::RunningServer(http::RouteTable table, http::Authenticator authenticator,
                             http::RouteDeps deps)
    : server_(std::make_unique<http::Server>(test_options(), deps, std::move(authenticator))) {
  server_->set_routes(std::make_shared<const http::RouteTable>(std::move(table)), "test");
  start();
}

RunningServer::RunningServer(std::string_view route_set, http::RouteDeps deps,
                             http::Authenticator authenticator)
    : server_(std::make_unique<http::Server>(test_options(), deps, std::move(authenticator))) {
  server_->switch_to(route_set);
  start();
}

void RunningServer::start() {
  port_ = server_->bind();
  thread_ = std::thread([this] { server_->run(); });
  for (int i = 0; i < 500 && !server_->running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

RunningServer::~RunningServer() {
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

httplib::Client RunningServer::client() const {
  httplib::Client c("127.0.0.1", port_);
  c.set_keep_alive(false);
  c.set_connection_timeout(10, 0);
  c.set_read_timeout(10, 0);
  c.set_write_timeout(10, 0);
  return c;
}

http::Authenticator any_credentials_as(bool admin) {
  return [admin](const auth::Credentials&) {
    auth::AuthUser u;
    u.id = "00000000-0000-0000-0000-000000000001";
    u.is_admin = admin;
    u.permissions = {"all"};
    return u;
  };
}

}  // namespace keepsake::testing
