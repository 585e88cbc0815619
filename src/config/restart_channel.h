// Whether Immich's restart channel (Redis, spec §12) is configured: for now, whether any of
// Immich's REDIS_* variables is set in the environment. A stand-in to swap for the Config field
// that reads them with Immich's defaults; must never connect anywhere.
#pragma once

#include "config/config.h"

namespace keepsake {

bool restart_channel_configured(const Config& config);

}  // namespace keepsake
