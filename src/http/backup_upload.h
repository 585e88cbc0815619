// The streamed backup upload of POST /api/admin/database-backups/upload: the multipart field
// `file` is written to a hidden part file in the backups folder as it arrives, checked by content
// (a complete gzip or plain SQL dump) and only then kept as uploaded-<name>. Answers 201, 413 over
// the limit, and 400 with a message that names only what the client sent and what to do.
// Must never name the server's own paths in an answer, nor keep anything of a rejected upload.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "http/request_context.h"

namespace keepsake::http {

// Throws keepsake::Error for a rejected upload (kInvalidArgument) or a server-side failure (kIo).
void receive_backup_upload(RequestContext& ctx, const std::string& backups_folder, uint64_t limit_bytes);
// Its fault-injection phases (common/fault_point.h), in order.
inline constexpr std::string_view kBackupUploadPhases[] = {"backup.upload.write", "backup.upload.fsync",
                                                           "backup.upload.rename"};

}  // namespace keepsake::http
