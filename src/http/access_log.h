// One log line per HTTP request: method, path (never the query string, which may carry a token),
// status and duration. Never logs headers (Authorization, Cookie, x-api-key) or bodies.
#pragma once

#include <httplib.h>

#include <chrono>
#include <string>

namespace keepsake::http {

// The request's method and path for a log line, control characters replaced (a client must not
// forge log lines): "GET /api/server/ping".
std::string request_for_log(const httplib::Request& req);

// Marks the start of the request handled on this thread.
void access_log_start();
// The line for a finished request: "GET /api/server/ping 200 0.4ms".
std::string access_log_line(const httplib::Request& req, const httplib::Response& res,
                            std::chrono::nanoseconds duration);
// Writes the line (spdlog, info) with the duration since access_log_start on this thread.
void access_log_finish(const httplib::Request& req, const httplib::Response& res);

}  // namespace keepsake::http
