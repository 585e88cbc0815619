#include "http/server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <cstring>

#include "common/error.h"
#include "http/access_log.h"
#include "http/responses.h"

namespace keepsake::http {
namespace {

constexpr size_t kDrainLimitBytes = 1 << 20;

// Reads a buffered route's body into the context; false when it is larger than the route allows.
bool read_buffered_body(RequestContext& ctx, size_t limit) {
  std::string body;
  bool too_large = false;
  bool ok = ctx.read_body([&](const char* data, size_t length) {
    if (body.size() + length > limit) {
      too_large = true;
      return false;
    }
    body.append(data, length);
    return true;
  });
  ctx.set_body(std::move(body));
  return ok && !too_large;
}

// A body the handler left unread (e.g. a request refused before its upload) would be parsed as
// the next request: drain a small one, and close the connection after a large or malformed one.
// The answer is already decided: httplib's own status for a body it cannot read must not replace it.
void finish_unread_body(RequestContext& ctx) {
  if (!ctx.reader() || ctx.body_consumed()) return;
  size_t drained = 0;
  auto drain = [&](const char*, size_t length) {
    drained += length;
    return drained <= kDrainLimitBytes;
  };
  int status = ctx.response().status;
  bool ok = ctx.is_multipart() ? ctx.read_multipart([](const httplib::MultipartFormData&) { return true; }, drain)
                               : ctx.read_body(drain);
  ctx.response().status = status;
  if (!ok) ctx.response().set_header("Connection", "close");
}

// Why a request was refused, next to the access log's status line (messages never hold secrets):
// server errors always, refused credentials or permissions at info, other client errors at debug.
void log_refusal(const httplib::Request& req, const Error& e) {
  int status = http_status_for(e.kind());
  auto level = status >= 500 ? spdlog::level::err
               : status == 401 || status == 403 ? spdlog::level::info
                                                : spdlog::level::debug;
  spdlog::log(level, "{}: {} {}", request_for_log(req), status, status >= 500 ? e.full_message() : e.what());
}

void dispatch(const RouteTable& table, const Authenticator& authenticator,
              const httplib::Request& req, httplib::Response& res,
              const httplib::ContentReader* reader) {
  auto match = table.match(req.method, req.path);
  if (!match) {
    send_error(res, 404, "Cannot " + req.method + " " + req.path);
    return;
  }
  const Route& route = *match->route;
  RequestContext ctx(req, res, std::move(match->params), reader);
  try {
    if (auto user = authorize(req, route.options, authenticator)) ctx.set_user(std::move(*user));
    if (route.options.body == BodyMode::kBuffered && reader) {
      if (!read_buffered_body(ctx, route.options.max_body_bytes)) {
        res.set_header("Connection", "close");
        send_error(res, 413, "Request body too large");
        return;
      }
    } else if (route.options.body == BodyMode::kBuffered) {
      ctx.set_body(req.body);
    }
    route.handler(ctx);
  } catch (const Error& e) {
    log_refusal(req, e);
    send_error(res, e);
  } catch (const std::exception& e) {
    spdlog::error("{}: unexpected error: {}", request_for_log(req), e.what());
    send_error(res, 500, "Internal server error");
  }
  try {
    finish_unread_body(ctx);
  } catch (const std::exception& e) {
    spdlog::warn("{}: the unread request body could not be drained: {}", request_for_log(req), e.what());
    res.set_header("Connection", "close");
  }
}

// httplib's Server with its request processing reachable for requests held in memory.
class HttplibServer : public httplib::Server {
 public:
  bool process(httplib::Stream& stream) {
    bool closed = false;
    return process_request(stream, /*close_connection=*/true, closed, nullptr);
  }
};

// A connection whose request comes from memory and whose response goes to memory.
class MemoryStream : public httplib::Stream {
 public:
  explicit MemoryStream(std::string_view request) : request_(request) {}
  bool is_readable() const override { return true; }
  bool is_writable() const override { return true; }
  ssize_t read(char* ptr, size_t size) override {
    size_t n = std::min(size, request_.size() - read_);
    std::memcpy(ptr, request_.data() + read_, n);
    read_ += n;
    return static_cast<ssize_t>(n);
  }
  ssize_t write(const char* ptr, size_t size) override {
    response_.append(ptr, size);
    return static_cast<ssize_t>(size);
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override { ip = "127.0.0.1", port = 1; }
  void get_local_ip_and_port(std::string& ip, int& port) const override { ip = "127.0.0.1", port = 2; }
  socket_t socket() const override { return INVALID_SOCKET; }
  std::string& response() { return response_; }

 private:
  std::string_view request_;
  size_t read_ = 0;
  std::string response_;
};

}  // namespace

Server::Server(ServerOptions options, RouteDeps deps, Authenticator authenticator)
    : options_(std::move(options)),
      deps_(deps),
      authenticator_(std::move(authenticator)),
      server_(std::make_unique<HttplibServer>()),
      routes_(std::make_shared<RouteTable>()) {
  deps_.switcher = this;
  install_handlers();
}

Server::~Server() { stop(); }

void Server::install_handlers() {
  auto& s = *server_;
  size_t threads = std::max<size_t>(options_.worker_threads, 64);
  s.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  s.set_tcp_nodelay(true);
  s.set_keep_alive_timeout(options_.keep_alive_seconds);
  s.set_keep_alive_max_count(100);
  s.set_read_timeout(options_.read_timeout_seconds, 0);
  s.set_write_timeout(options_.write_timeout_seconds, 0);
  s.set_pre_routing_handler([](const httplib::Request&, httplib::Response&) {
    access_log_start();
    return httplib::Server::HandlerResponse::Unhandled;
  });
  s.set_logger([](const httplib::Request& req, const httplib::Response& res) {
    access_log_finish(req, res);
  });
  s.set_exception_handler([](const httplib::Request& req, httplib::Response& res, std::exception_ptr error) {
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      spdlog::error("{}: unexpected error: {}", request_for_log(req), e.what());
    } catch (...) {
      spdlog::error("{}: unexpected error", request_for_log(req));
    }
    send_error(res, 500, "Internal server error");
  });
  auto plain = [this](const httplib::Request& req, httplib::Response& res) {
    dispatch(*routes_snapshot(), authenticator_, req, res, nullptr);
  };
  auto streamed = [this](const httplib::Request& req, httplib::Response& res,
                         const httplib::ContentReader& reader) {
    dispatch(*routes_snapshot(), authenticator_, req, res, &reader);
  };
  const std::string any = ".*";
  s.Get(any, plain);
  s.Options(any, plain);
  s.Post(any, streamed).Post(any, plain);
  s.Put(any, streamed).Put(any, plain);
  s.Patch(any, streamed).Patch(any, plain);
  s.Delete(any, streamed).Delete(any, plain);
}

void Server::set_routes(std::shared_ptr<const RouteTable> table, std::string route_set) {
  std::lock_guard lock(routes_mu_);
  routes_ = std::move(table);
  route_set_ = std::move(route_set);
}

void Server::switch_to(std::string_view route_set) {
  auto table = std::make_shared<const RouteTable>(build_route_table(route_set, deps_));
  spdlog::info("HTTP routes: {} ({} routes)", route_set, table->size());
  set_routes(std::move(table), std::string(route_set));
}

std::string Server::current_route_set() const {
  std::lock_guard lock(routes_mu_);
  return route_set_;
}

std::shared_ptr<const RouteTable> Server::routes_snapshot() const {
  std::lock_guard lock(routes_mu_);
  return routes_;
}

int Server::bind() {
  std::string host = options_.host.empty() ? "0.0.0.0" : options_.host;
  if (options_.port == 0) {
    port_ = server_->bind_to_any_port(host);
  } else {
    port_ = server_->bind_to_port(host, options_.port) ? options_.port : -1;
  }
  if (port_ <= 0) {
    throw Error(ErrorKind::kUnavailable,
                "Cannot listen on " + host + ":" + std::to_string(options_.port),
                "is another server using the port? set IMMICH_HOST / IMMICH_PORT");
  }
  return port_;
}

void Server::run() {
  if (port_ <= 0) bind();
  run_entered_ = true;
  if (!stop_requested_) server_->listen_after_bind();
  run_exited_ = true;
}

void Server::stop() {
  stop_requested_ = true;
  // httplib ignores stop() before its loop runs: wait for the loop when run() is entering it.
  while (run_entered_ && !run_exited_ && !server_->is_running()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  server_->stop();
}

std::string Server::serve_in_memory(std::string_view request) {
  MemoryStream stream(request);
  static_cast<HttplibServer&>(*server_).process(stream);
  return std::move(stream.response());
}

bool Server::running() const { return server_ && server_->is_running(); }

std::string Server::address() const {
  std::string host = options_.host.empty() ? "0.0.0.0" : options_.host;
  return host + ":" + std::to_string(port_);
}

}  // namespace keepsake::http
