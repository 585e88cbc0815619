#include "config/restart_channel.h"

#include <cstdlib>

namespace keepsake {

bool restart_channel_configured(const Config&) {
  for (const char* name : {"REDIS_HOSTNAME", "REDIS_PORT", "REDIS_USERNAME", "REDIS_PASSWORD", "REDIS_DBINDEX",
                           "REDIS_URL", "REDIS_SOCKET"}) {
    if (std::getenv(name)) return true;
  }
  return false;
}

}  // namespace keepsake
