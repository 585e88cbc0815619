// POST /api/search/smart (Immich's SmartSearchDto; plus an `embedding` field) and
// GET /api/admin/vector/status (the background reindex / built-in index progress, and the index builds
// PostgreSQL is running in the database with their progress, as indexBuilds).
// query (text) goes to the machine-learning server of IMMICH_MACHINE_LEARNING_URL.
#include <httplib.h>

#include "db/pool.h"
#include "db/system_metadata.h"
#include "http/json_input.h"
#include "http/request_bodies.h"
#include "http/routes.h"
#include "app/app_context.h"
#include "vector/builtin_index.h"
#include "vector/index_manager.h"
#include "vector/search.h"
#include "vector/vector_service.h"

namespace keepsake::http {
namespace {


std::string clip_model(db::Connection& conn) {
  auto config = db::SystemMetadataRepository(conn).get(db::metadata_key::kSystemConfig);
  if (config && config->contains("machineLearning") &&
      (*config)["machineLearning"].contains("clip") &&
      (*config)["machineLearning"]["clip"].contains("modelName")) {
    return (*config)["machineLearning"]["clip"]["modelName"].get<std::string>();
  }
  return "ViT-B-32__openai";
}

std::vector<float> encode_text(const std::string& ml_url, const std::string& model,
                               const std::string& text, const std::optional<std::string>& language) {
  httplib::Client client(ml_url);
  client.set_connection_timeout(5);
  client.set_read_timeout(60);
  nlohmann::json entries = {{"clip", {{"textual", {{"modelName", model}}}}}};
  if (language) entries["clip"]["textual"]["options"] = {{"language", *language}};
  httplib::MultipartFormDataItems items = {{"entries", entries.dump(), "", ""},
                                           {"text", text, "", ""}};
  auto res = client.Post("/predict", items);
  if (!res || res->status != 200) {
    throw Error(ErrorKind::kUnavailable,
                "Machine learning request to " + ml_url + " failed" +
                    (res ? " with status " + std::to_string(res->status) : std::string()),
                "check IMMICH_MACHINE_LEARNING_URL and that the machine-learning server runs");
  }
  auto body = nlohmann::json::parse(res->body, nullptr, false);
  if (!body.is_object() || !body.contains("clip")) {
    throw Error(ErrorKind::kUnavailable, "The machine-learning server answered without a clip embedding");
  }
  return read_embedding(body["clip"]);
}

nlohmann::json asset_json(const db::Result& r, int i) {
  auto opt = [&](const char* c) -> nlohmann::json {
    auto v = r.opt_text(i, c);
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
  };
  std::string visibility = r.text(i, "visibility");
  return {{"id", r.text(i, "id")},
          {"deviceAssetId", r.text(i, "deviceAssetId")},
          {"deviceId", r.text(i, "deviceId")},
          {"ownerId", r.text(i, "ownerId")},
          {"libraryId", opt("libraryId")},
          {"type", r.text(i, "type")},
          {"originalPath", r.text(i, "originalPath")},
          {"originalFileName", r.text(i, "originalFileName")},
          {"thumbhash", opt("thumbhash")},
          {"fileCreatedAt", r.text(i, "fileCreatedAt")},
          {"fileModifiedAt", r.text(i, "fileModifiedAt")},
          {"localDateTime", r.text(i, "localDateTime")},
          {"updatedAt", r.text(i, "updatedAt")},
          {"isFavorite", r.boolean(i, "isFavorite")},
          {"isArchived", visibility == "archive"},
          {"isTrashed", !r.is_null(i, r.column("deletedAt"))},
          {"isOffline", r.boolean(i, "isOffline")},
          {"visibility", visibility},
          {"duration", r.opt_text(i, "duration").value_or("0:00:00.00000")},
          {"livePhotoVideoId", opt("livePhotoVideoId")},
          {"checksum", r.text(i, "checksum")},
          {"duplicateId", opt("duplicateId")},
          {"hasMetadata", r.boolean(i, "hasMetadata")},
          {"width", opt("width")},
          {"height", opt("height")},
          {"isEdited", r.boolean(i, "isEdited")}};
}

// The asset columns of Immich's search response, read in the search's own round trip.
constexpr const char* kAssetResponseColumns =
    "asset.\"deviceAssetId\", asset.\"deviceId\", asset.\"ownerId\"::text, "
    "asset.\"libraryId\"::text, asset.type, asset.\"originalPath\", asset.\"originalFileName\", "
    "encode(asset.thumbhash, 'base64') AS thumbhash, "
    "to_json(asset.\"fileCreatedAt\")#>>'{}' AS \"fileCreatedAt\", "
    "to_json(asset.\"fileModifiedAt\")#>>'{}' AS \"fileModifiedAt\", "
    "to_json(asset.\"localDateTime\")#>>'{}' AS \"localDateTime\", "
    "to_json(asset.\"updatedAt\")#>>'{}' AS \"updatedAt\", asset.\"isFavorite\", asset.\"deletedAt\", "
    "asset.\"isOffline\", asset.visibility::text, asset.duration, asset.\"livePhotoVideoId\"::text, "
    "encode(asset.checksum, 'base64') AS checksum, asset.\"duplicateId\"::text, "
    "EXISTS (SELECT 1 FROM asset_exif e WHERE e.\"assetId\" = asset.id) AS \"hasMetadata\", "
    "asset.width::text, asset.height::text, asset.\"isEdited\"";

nlohmann::json page_assets(const vector::SearchPage& page) {
  nlohmann::json items = nlohmann::json::array();
  for (int row : page.row_of) items.push_back(asset_json(page.rows, row));
  return items;
}

std::vector<std::string> user_ids_to_search(db::Connection& conn, const std::string& user_id) {
  std::vector<std::string> ids{user_id};
  auto r = conn.exec("SELECT \"sharedById\"::text FROM partner WHERE \"sharedWithId\" = $1::uuid "
                     "AND \"inTimeline\" IS TRUE", {user_id}, "read timeline partners");
  for (int i = 0; i < r.rows(); ++i) ids.push_back(r.text(i, 0));
  return ids;
}

void smart_search(RequestContext& ctx, const RouteDeps& deps) {
  auto body = read_smart_search_body(ctx.json_body());
  auto& options = body.options;
  auto conn = deps.pool->acquire();
  options.user_ids = user_ids_to_search(*conn, ctx.user().id);
  const auto& query = body.query;
  const auto& query_asset = body.query_asset_id;
  if (body.embedding) {
    options.embedding = *body.embedding;
  } else if (query) {
    std::string ml = deps.app ? deps.app->config().machine_learning_url : "";
    if (ml.empty()) {
      throw Error(ErrorKind::kInvalidArgument,
                  "Text search needs a machine-learning server, and IMMICH_MACHINE_LEARNING_URL is not set",
                  "set IMMICH_MACHINE_LEARNING_URL, or search with queryAssetId or embedding");
    }
    options.embedding = encode_text(ml, clip_model(*conn), *query, body.language);
  } else if (query_asset) {
    require_uuid(*query_asset, "queryAssetId");
    auto owner = conn->exec("SELECT 1 FROM asset WHERE id = $1::uuid AND \"ownerId\" = ANY($2::uuid[])",
                            {*query_asset, "{" + [&] { std::string s; for (auto& u : options.user_ids) s += (s.empty() ? "" : ",") + u; return s; }() + "}"});
    if (owner.empty()) {
      throw Error(ErrorKind::kInvalidArgument, "Not found or no asset.read access");
    }
    auto emb = vector::VectorSearch::asset_embedding(*conn, *query_asset);
    if (!emb) throw Error(ErrorKind::kInvalidArgument, "Asset " + *query_asset + " has no embedding");
    options.embedding = *emb;
  } else {
    throw Error(ErrorKind::kInvalidArgument, "Either `query` or `queryAssetId` must be set");
  }
  auto* service = vector::active_vector_service();
  vector::VectorSearch search = service ? service->search()
                                        : vector::VectorSearch(vector::installed_vector_extension(*conn));
  options.row_columns = kAssetResponseColumns;
  auto page = search.smart(*conn, options);
  auto items = page_assets(page);
  nlohmann::json empty_albums = {{"total", 0}, {"count", 0}, {"items", nlohmann::json::array()},
                                 {"facets", nlohmann::json::array()}};
  nlohmann::json next = page.has_next_page ? nlohmann::json(std::to_string(options.page + 1))
                                           : nlohmann::json(nullptr);
  send_json(ctx.response(),
            {{"albums", empty_albums},
             {"assets", {{"total", items.size()}, {"count", items.size()}, {"items", items},
                         {"facets", nlohmann::json::array()}, {"nextPage", next}}}});
}

// The index builds (CREATE INDEX, REINDEX: a reindex of the vector indexes, say) running in this
// database, with their progress as PostgreSQL reports it (pg_stat_progress_create_index).
nlohmann::json index_builds(db::Connection& conn) {
  auto r = conn.exec(R"sql(
    SELECT coalesce(i.relname, ''), coalesce(t.relname, ''), p.command, p.phase,
           CASE WHEN p.blocks_total > 0 THEN 100.0 * p.blocks_done / p.blocks_total
                WHEN p.tuples_total > 0 THEN 100.0 * p.tuples_done / p.tuples_total END
      FROM pg_stat_progress_create_index p
      LEFT JOIN pg_class i ON i.oid = p.index_relid
      LEFT JOIN pg_class t ON t.oid = p.relid
     WHERE p.datname = current_database() ORDER BY p.pid)sql",
                     {}, "read the index builds in progress");
  nlohmann::json out = nlohmann::json::array();
  for (int i = 0; i < r.rows(); ++i) {
    out.push_back({{"index", r.text(i, 0).empty() ? nlohmann::json() : nlohmann::json(r.text(i, 0))},
                   {"table", r.text(i, 1)}, {"command", r.text(i, 2)}, {"phase", r.text(i, 3)},
                   {"percent", r.is_null(i, 4) ? nlohmann::json() : nlohmann::json(std::stod(r.text(i, 4)))}});
  }
  return out;
}

// The built-in indexes' freshness: changes written since the index last applied them (the next
// search applies them first, so a search never misses them; "fresh" says nothing is waiting).
void add_pending_changes(db::Connection& conn, nlohmann::json& status) {
  if (!status.contains("indexes")) return;
  for (auto& [name, index] : status["indexes"].items()) {
    if (!index.contains("lastChange")) continue;
    auto pending = vector::pending_changes(conn, index["table"].get<std::string>(), index["lastChange"].get<int64_t>());
    index["pendingChanges"] = pending;
    index["fresh"] = pending == 0;
  }
}

}  // namespace

KEEPSAKE_ROUTES(vector_search, kNormalRoutes, [](RouteTable& routes, const RouteDeps& deps) {
  routes.post("/api/search/smart", {Access::kAuthenticated, "asset.read"},
              [&deps](RequestContext& ctx) { smart_search(ctx, deps); });
  routes.get("/api/admin/vector/status", {Access::kAdmin}, [&deps](RequestContext& ctx) {
    auto* service = vector::active_vector_service();
    auto out = service ? service->status() : nlohmann::json{{"state", "not-running"}};
    if (deps.pool) {
      auto conn = deps.pool->acquire();
      out["indexBuilds"] = index_builds(*conn);
      add_pending_changes(*conn, out);
    }
    send_json(ctx.response(), out);
  });
});

}  // namespace keepsake::http
