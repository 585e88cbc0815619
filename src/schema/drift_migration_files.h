// Migration files for `keepsake migrations generate|create`: <13-digit ms epoch>-<Name>.sql in a
// folder (created if missing), written with O_EXCL so an existing file is never overwritten.
// Keepsake does not run these files itself: they are SQL to review and apply with psql.
#pragma once

#include <cstdint>
#include <string>

namespace keepsake::schema {

// Throws Error(kInvalidArgument) unless name is 1-100 chars of [A-Za-z0-9_-], starting with a
// letter (e.g. "AddAssetIndex").
void validate_migration_name(const std::string& name);

// "<ms>-<name>.sql" with ms zero-padded to 13 digits.
std::string migration_file_name(int64_t epoch_ms, const std::string& name);

// Writes `content` to dir/migration_file_name(now, name) and returns the path. Throws
// Error(kIo) when the folder cannot be created or the file exists or cannot be written.
std::string write_migration_file(const std::string& dir, const std::string& name,
                                 const std::string& content, int64_t epoch_ms);

// The content of an empty migration (create).
std::string migration_skeleton(const std::string& name);

int64_t now_epoch_ms();

}  // namespace keepsake::schema
