// Internal to the seeder: one function per group of tables, each streaming its rows with COPY
// inside the seeder's transaction. Load order matters (foreign keys); seeder.cc calls them in
// order. Must never commit, roll back or change triggers.
#pragma once

#include <string>

#include "db/connection.h"
#include "dev/library_model.h"
#include "dev/progress.h"
#include "dev/seeder.h"

namespace keepsake::dev {

struct SeedContext {
  db::Connection& conn;
  const LibraryModel& model;
  Progress& progress;
  SeedReport& report;

  Timestamp now() const { return model.options().now; }
  Timestamp days_ago(double days) const {
    return Timestamp::from_seconds(now().seconds() - days * 86400);
  }
  // Records a finished table load.
  void loaded(const std::string& table, int64_t rows, int64_t bytes);
};

void load_users(SeedContext& ctx);          // user, partner
void load_assets(SeedContext& ctx);         // asset, asset_exif, asset_file, asset_job_status
void load_smart_search(SeedContext& ctx);   // smart_search
void load_stacks(SeedContext& ctx);         // stack (+ asset.stackId)
void load_people(SeedContext& ctx);         // person, asset_face, face_search (+ person.faceAssetId)
void load_albums(SeedContext& ctx);         // album, album_asset, album_user
void load_tags(SeedContext& ctx);           // tag, tag_closure, tag_asset
void load_memories(SeedContext& ctx);       // memory, memory_asset
void load_sessions(SeedContext& ctx);       // session, notification
void load_audit(SeedContext& ctx);          // *_audit tables and the legacy audit table

// Memories: how many a user gets, the first global memory number of a user, and the id of one.
int64_t memory_count(const LibraryModel& model, int user);
int64_t first_memory(const LibraryModel& model, int user);
std::string memory_id(const LibraryModel& model, int64_t memory);

// Rows the whole seed will load (for the progress bar); an estimate is fine.
int64_t expected_rows(const LibraryModel& model);

}  // namespace keepsake::dev
