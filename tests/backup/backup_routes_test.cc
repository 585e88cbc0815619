// The database-backup routes over real HTTP: admin checks, deterministic listing, Range downloads,
// name validation (traversal, symlinks), delete, and checked streamed uploads.
#include <gtest/gtest.h>
#include <httplib.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "app/app_context.h"
#include "backup/backup_files.h"
#include "backup/gzip_stream.h"
#include "harness/test_cluster.h"
#include "http/routes.h"
#include "http/test_server.h"

namespace keepsake::backup {
namespace {

namespace fs = std::filesystem;

http::Authenticator as(bool admin) { return keepsake::testing::signed_in_as(admin); }

std::string gzip_of(const std::string& data) {
  keepsake::testing::TempDir dir;
  std::string path = dir.path() + "/x.gz";
  int fd = open(path.c_str(), O_WRONLY | O_CREAT, 0600);
  GzipFileWriter w(fd, path);
  w.write(data);
  w.finish();
  close(fd);
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class BackupRoutesTest : public ::testing::Test {
 protected:
  BackupRoutesTest() {
    Config config = load_config({{"DB_HOSTNAME", "localhost"}});
    config.media_location = media_.path();
    app_ = std::make_unique<app::AppContext>(config);
    folder_ = backups_folder(media_.path());
    fs::create_directories(folder_);
  }
  void put(const std::string& name, const std::string& content) {
    std::ofstream(fs::path(folder_) / name, std::ios::binary) << content;
  }
  keepsake::testing::TempDir media_;
  std::unique_ptr<app::AppContext> app_;
  std::string folder_;
  httplib::Headers key_{{"x-api-key", "k"}};
  const std::string dump_ = "SELECT 1;\n--\n-- PostgreSQL database dump complete\n--\n\n";
};

TEST_F(BackupRoutesTest, ListDownloadDelete) {
  put("immich-db-backup-20250101T020000-v2.7.5-pg15.20.sql.gz", "0123456789");
  put("immich-db-backup-20250102T020000-v2.7.5-pg15.20.sql.gz", "abc");
  put("notes.txt", "x");
  fs::create_symlink("/etc/hostname", fs::path(folder_) / "link.sql.gz");
  keepsake::testing::RunningServer server(http::kNormalRoutes, {.app = app_.get()}, as(true));
  auto client = server.client();

  auto list = client.Get("/api/admin/database-backups", key_);
  ASSERT_TRUE(list);
  ASSERT_EQ(list->status, 200) << list->body;
  auto body = nlohmann::json::parse(list->body);
  ASSERT_EQ(body["backups"].size(), 2u);
  EXPECT_EQ(body["backups"][0]["filename"], "immich-db-backup-20250102T020000-v2.7.5-pg15.20.sql.gz");
  EXPECT_EQ(body["backups"][1]["filesize"], 10);
  EXPECT_TRUE(body["backups"][0]["timezone"].is_string());

  httplib::Headers range = key_;
  range.emplace("Range", "bytes=2-4");
  auto part = client.Get("/api/admin/database-backups/immich-db-backup-20250101T020000-v2.7.5-pg15.20.sql.gz", range);
  ASSERT_TRUE(part);
  EXPECT_EQ(part->status, 206);
  EXPECT_EQ(part->body, "234");
  EXPECT_EQ(part->get_header_value("Content-Type"), "application/gzip");

  auto link = client.Get("/api/admin/database-backups/link.sql.gz", key_);
  ASSERT_TRUE(link);
  EXPECT_EQ(link->status, 404);
  auto traversal = client.Get("/api/admin/database-backups/..%2F..%2Fetc%2Fpasswd", key_);
  ASSERT_TRUE(traversal);
  EXPECT_TRUE(traversal->status == 400 || traversal->status == 404) << traversal->status;

  auto bad = client.Delete("/api/admin/database-backups", key_,
                           R"({"backups":["immich-db-backup-20250102T020000-v2.7.5-pg15.20.sql.gz","../x.sql"]})",
                           "application/json");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(nlohmann::json::parse(bad->body)["message"], "Invalid backup name!");
  EXPECT_TRUE(fs::exists(fs::path(folder_) / "immich-db-backup-20250102T020000-v2.7.5-pg15.20.sql.gz"));
  auto ok = client.Delete("/api/admin/database-backups", key_,
                          R"({"backups":["immich-db-backup-20250102T020000-v2.7.5-pg15.20.sql.gz"]})",
                          "application/json");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 204) << ok->body;
  EXPECT_FALSE(fs::exists(fs::path(folder_) / "immich-db-backup-20250102T020000-v2.7.5-pg15.20.sql.gz"));
}

// Sets TZ for its lifetime (the server reads it per request), then puts the previous value back.
class ScopedTz {
 public:
  explicit ScopedTz(const char* zone) {
    if (const char* old = std::getenv("TZ")) previous_ = old;
    setenv("TZ", zone, 1);
    tzset();
  }
  ~ScopedTz() {
    if (previous_) {
      setenv("TZ", previous_->c_str(), 1);
    } else {
      unsetenv("TZ");
    }
    tzset();
  }

 private:
  std::optional<std::string> previous_;
};

// Immich says "UTC" on a UTC server (Debian's Etc/UTC included), as JavaScript names the zone;
// another zone keeps its IANA name.
TEST_F(BackupRoutesTest, ListNamesTheZoneAsImmichDoes) {
  put("immich-db-backup-20250101T020000-v2.7.5-pg15.20.sql.gz", "0123456789");
  keepsake::testing::RunningServer server(http::kNormalRoutes, {.app = app_.get()}, as(true));
  auto client = server.client();
  auto zone_listed = [&] {
    auto list = client.Get("/api/admin/database-backups", key_);
    return nlohmann::json::parse(list->body)["backups"][0]["timezone"].get<std::string>();
  };
  for (const char* utc : {"Etc/UTC", ":Etc/UTC", "UTC", "GMT"}) {
    ScopedTz tz(utc);
    EXPECT_EQ(zone_listed(), "UTC") << utc;
  }
  ScopedTz berlin("Europe/Berlin");
  EXPECT_EQ(zone_listed(), "Europe/Berlin");
}

TEST_F(BackupRoutesTest, NonAdminIsForbidden) {
  keepsake::testing::RunningServer server(http::kNormalRoutes, {.app = app_.get()}, as(false));
  auto res = server.client().Get("/api/admin/database-backups", key_);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
}

TEST_F(BackupRoutesTest, UploadIsCheckedBeforeItIsKept) {
  keepsake::testing::RunningServer server(http::kNormalRoutes, {.app = app_.get()}, as(true));
  auto client = server.client();
  httplib::MultipartFormDataItems good = {{"file", gzip_of(dump_), "mine.sql.gz", "application/gzip"}};
  auto res = client.Post("/api/admin/database-backups/upload", key_, good);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 201) << res->body;
  EXPECT_TRUE(fs::exists(fs::path(folder_) / "uploaded-mine.sql.gz"));
  // Readable by an Immich running as another user, as Immich's own files are.
  EXPECT_EQ(fs::status(fs::path(folder_) / "uploaded-mine.sql.gz").permissions(), static_cast<fs::perms>(0644));

  httplib::MultipartFormDataItems plain = {{"file", dump_, "plain.sql", "application/sql"}};
  res = client.Post("/api/admin/database-backups/upload", key_, plain);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 201) << res->body;

  for (auto [content, name] : std::vector<std::pair<std::string, std::string>>{
           {"not gzip at all", "bad.sql.gz"},
           {gzip_of(dump_).substr(0, 20), "cut.sql.gz"},
           {"SELECT 1;\n", "half.sql"},
           {gzip_of(dump_), "evil.sh"}}) {
    SCOPED_TRACE(name);
    httplib::MultipartFormDataItems items = {{"file", content, name, "application/octet-stream"}};
    res = client.Post("/api/admin/database-backups/upload", key_, items);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400) << res->body;
  }
  httplib::MultipartFormDataItems traversal = {{"file", gzip_of(dump_), "../evil.sql.gz", "application/gzip"}};
  res = client.Post("/api/admin/database-backups/upload", key_, traversal);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 201) << res->body;
  std::vector<std::string> names;
  for (auto& e : fs::directory_iterator(folder_)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  // "../evil.sql.gz" is reduced to its base name, as Immich does; nothing else was kept.
  EXPECT_EQ(names, (std::vector<std::string>{"uploaded-evil.sql.gz", "uploaded-mine.sql.gz", "uploaded-plain.sql"}));
}

std::vector<std::string> names_in(const std::string& folder) {
  std::vector<std::string> names;
  for (auto& e : fs::directory_iterator(folder)) names.push_back(e.path().filename().string());
  return names;
}

// Issue 20: without credentials the upload answered 500 (the refused request's multipart body
// was drained through the plain reader) and the log said nothing.
TEST_F(BackupRoutesTest, UploadWithoutCredentialsIs401) {
  keepsake::testing::RunningServer server(http::kNormalRoutes, {.app = app_.get()}, as(true));
  httplib::MultipartFormDataItems items = {{"file", gzip_of(dump_), "mine.sql.gz", "application/gzip"}};
  auto res = server.client().Post("/api/admin/database-backups/upload", items);
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 401) << res->body;
  EXPECT_EQ(nlohmann::json::parse(res->body),
            (nlohmann::json{{"message", "Authentication required"}, {"error", "Unauthorized"}, {"statusCode", 401}}));
  EXPECT_TRUE(fs::is_empty(folder_));
}

// Issue 20: a rejected upload named the server's part file. Answers name only what the client
// sent, and say what to do; nothing of a rejected upload stays behind.
TEST_F(BackupRoutesTest, RejectedUploadsNameOnlyWhatTheClientSent) {
  keepsake::testing::RunningServer server(http::kNormalRoutes, {.app = app_.get()}, as(true));
  auto client = server.client();
  std::string random(4000, '\0');
  for (size_t i = 0; i < random.size(); ++i) random[i] = static_cast<char>((i * 2654435761u) >> 13);
  struct Case {
    std::string content, filename, expected;
  };
  std::vector<Case> cases = {
      {random, "random.sql.gz", "random.sql.gz is not a gzip stream or SQL dump"},
      {random, "random.sql", "random.sql is not a gzip stream or SQL dump"},
      {"SELECT 1;\n", "half.sql", "half.sql is incomplete"},
      {gzip_of(dump_).substr(0, 30), "cut.sql.gz", "cut.sql.gz is not a valid gzip file"},
      {gzip_of(dump_), std::string(250, 'a') + ".sql.gz", "Invalid backup name!"},
      {gzip_of(dump_), std::string("nul\0.sql.gz", 11), ""},  // refused by the name rules or by httplib's parser
      {gzip_of(dump_), "../../etc/passwd", "Invalid backup name!"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.filename);
    httplib::MultipartFormDataItems items = {{"file", c.content, c.filename, "application/octet-stream"}};
    auto res = client.Post("/api/admin/database-backups/upload", key_, items);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400) << res->body;
    std::string message = nlohmann::json::parse(res->body)["message"];
    EXPECT_NE(message.find(c.expected), std::string::npos) << message;
    EXPECT_EQ(message.find(".upload-"), std::string::npos) << message;
    EXPECT_EQ(message.find(folder_), std::string::npos) << message;
    EXPECT_TRUE(message.find("upload a complete backup") != std::string::npos ||
                message.find("ends in .sql or .sql.gz") != std::string::npos ||
                message.find("send the backup as") != std::string::npos) << message;
  }
  EXPECT_TRUE(fs::is_empty(folder_)) << names_in(folder_).size();
}

// Bodies that are not a multipart upload, or are cut or malformed: 400 with Immich's error JSON,
// never 500, and nothing kept.
TEST_F(BackupRoutesTest, MalformedUploadBodiesAre400) {
  keepsake::testing::RunningServer server(http::kNormalRoutes, {.app = app_.get()}, as(true));
  auto client = server.client();
  auto post = [&](const std::string& body, const std::string& content_type) {
    auto res = client.Post("/api/admin/database-backups/upload", key_, body, content_type);
    EXPECT_TRUE(res);
    return res ? std::make_pair(res->status, res->body) : std::make_pair(0, std::string());
  };
  std::string part = "--b0\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.sql\"\r\n\r\n" + dump_;
  struct Case {
    std::string body, content_type, expected;
  };
  std::vector<Case> cases = {
      {dump_, "application/sql", "Expected a multipart/form-data upload"},
      {"{}", "application/json", "Expected a multipart/form-data upload"},
      {part + "\r\n--b0--\r\n", "multipart/form-data", "not a complete multipart/form-data body"},
      {part, "multipart/form-data; boundary=b0", "a.sql was cut short"},
      {"--b0\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nx\r\n--b0--\r\n",
       "multipart/form-data; boundary=b0", "Missing multipart field 'file'"},
      {part + "\r\n--b0\r\nContent-Disposition: form-data; name=\"file\"; filename=\"b.sql\"\r\n\r\nx\r\n--b0--\r\n",
       "multipart/form-data; boundary=b0", "Only one file may be uploaded"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body.substr(0, 60) + " / " + c.content_type);
    auto [status, body] = post(c.body, c.content_type);
    EXPECT_EQ(status, 400) << body;
    auto json = nlohmann::json::parse(body, nullptr, false);
    ASSERT_TRUE(json.is_object()) << body;
    EXPECT_EQ(json["statusCode"], 400);
    EXPECT_NE(json["message"].get<std::string>().find(c.expected), std::string::npos) << body;
  }
  EXPECT_TRUE(fs::is_empty(folder_)) << names_in(folder_).size();
}


// Waits (bounded) until `done` holds for the folder's names.
bool wait_for_folder(const std::string& folder, const std::function<bool(const std::vector<std::string>&)>& done) {
  for (int i = 0; i < 100; ++i) {
    if (done(names_in(folder))) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

TEST_F(BackupRoutesTest, UploadOverTheLimitIs413AndKeepsNothing) {
  Config config = load_config({{"DB_HOSTNAME", "localhost"}, {"KEEPSAKE_UPLOAD_LIMIT_MB", "1"}});
  config.media_location = media_.path();
  app::AppContext app(config);
  keepsake::testing::RunningServer server(http::kNormalRoutes, {.app = &app}, as(true));
  std::string big = gzip_of(std::string(64, 'x')) + std::string(2 << 20, 'y');
  httplib::MultipartFormDataItems items = {{"file", big, "big.sql.gz", "application/gzip"}};
  auto res = server.client().Post("/api/admin/database-backups/upload", key_, items);
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 413) << res->body;
  EXPECT_TRUE(wait_for_folder(folder_, [](auto& names) { return names.empty(); })) << names_in(folder_).size();
}

// The client goes away in the middle of the body: the part written so far is removed, nothing is
// kept under the backup's name.
TEST_F(BackupRoutesTest, UploadCutShortLeavesNothingBehind) {
  keepsake::testing::RunningServer server(http::kNormalRoutes, {.app = app_.get()}, as(true));
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(server.port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  std::string part_head = "--b0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"cut.sql.gz\"\r\n"
                          "Content-Type: application/gzip\r\n\r\n";
  std::string first_bytes = gzip_of(std::string(100000, 'z')).substr(0, 200) + std::string(256 << 10, 'q');
  std::string request = "POST /api/admin/database-backups/upload HTTP/1.1\r\nHost: localhost\r\nx-api-key: k\r\n"
                        "Content-Type: multipart/form-data; boundary=b0undary\r\nContent-Length: 10000000\r\n\r\n" +
                        part_head + first_bytes;
  ASSERT_EQ(send(fd, request.data(), request.size(), MSG_NOSIGNAL), static_cast<ssize_t>(request.size()));
  // The handler is streaming into its part file; then the client disappears.
  ASSERT_TRUE(wait_for_folder(folder_, [](auto& names) {
    return names.size() == 1 && names[0].rfind(".upload-", 0) == 0;
  }));
  close(fd);
  EXPECT_TRUE(wait_for_folder(folder_, [](auto& names) { return names.empty(); })) << names_in(folder_)[0];
}

}  // namespace
}  // namespace keepsake::backup
