// GET /api/admin/pitr: the point-in-time recovery status (docs/PITR.md), as `pitr status --json`.
#include "app/app_context.h"
#include "http/routes.h"
#include "pitr/pitr.h"

namespace keepsake::http {

KEEPSAKE_ROUTES(pitr, kNormalRoutes, [](RouteTable& routes, const RouteDeps& deps) {
  routes.get("/api/admin/pitr", {Access::kAdmin}, [&deps](RequestContext& ctx) {
    if (!deps.app) throw Error(ErrorKind::kInternal, "the PITR route needs the app context");
    auto status = pitr::read_status(deps.app->database(), pitr::archive_dir_for(deps.app->config()));
    send_json(ctx.response(), pitr::status_json(status));
  });
});

}  // namespace keepsake::http
