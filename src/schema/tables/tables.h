// The 61 tables of Immich v2.7.5, one declaration per file in this folder (58 declared in Immich's
// code plus kysely_migrations, kysely_migrations_lock and migration_overrides). Each function
// returns the table's declaration; none of them touches a database.
#pragma once

#include <vector>

#include "schema/declare.h"
#include "schema/options.h"

namespace keepsake::schema::tables {

TableDecl activity(const SchemaOptions& options);
TableDecl album(const SchemaOptions& options);
TableDecl album_asset(const SchemaOptions& options);
TableDecl album_asset_audit(const SchemaOptions& options);
TableDecl album_audit(const SchemaOptions& options);
TableDecl album_user(const SchemaOptions& options);
TableDecl album_user_audit(const SchemaOptions& options);
TableDecl api_key(const SchemaOptions& options);
TableDecl asset(const SchemaOptions& options);
TableDecl asset_audit(const SchemaOptions& options);
TableDecl asset_edit(const SchemaOptions& options);
TableDecl asset_edit_audit(const SchemaOptions& options);
TableDecl asset_exif(const SchemaOptions& options);
TableDecl asset_face(const SchemaOptions& options);
TableDecl asset_face_audit(const SchemaOptions& options);
TableDecl asset_file(const SchemaOptions& options);
TableDecl asset_job_status(const SchemaOptions& options);
TableDecl asset_metadata(const SchemaOptions& options);
TableDecl asset_metadata_audit(const SchemaOptions& options);
TableDecl asset_ocr(const SchemaOptions& options);
TableDecl audit(const SchemaOptions& options);
TableDecl face_search(const SchemaOptions& options);
TableDecl geodata_places(const SchemaOptions& options);
TableDecl kysely_migrations(const SchemaOptions& options);
TableDecl kysely_migrations_lock(const SchemaOptions& options);
TableDecl library(const SchemaOptions& options);
TableDecl memory(const SchemaOptions& options);
TableDecl memory_asset(const SchemaOptions& options);
TableDecl memory_asset_audit(const SchemaOptions& options);
TableDecl memory_audit(const SchemaOptions& options);
TableDecl migration_overrides(const SchemaOptions& options);
TableDecl move_history(const SchemaOptions& options);
TableDecl naturalearth_countries(const SchemaOptions& options);
TableDecl notification(const SchemaOptions& options);
TableDecl ocr_search(const SchemaOptions& options);
TableDecl partner(const SchemaOptions& options);
TableDecl partner_audit(const SchemaOptions& options);
TableDecl person(const SchemaOptions& options);
TableDecl person_audit(const SchemaOptions& options);
TableDecl plugin(const SchemaOptions& options);
TableDecl plugin_action(const SchemaOptions& options);
TableDecl plugin_filter(const SchemaOptions& options);
TableDecl session(const SchemaOptions& options);
TableDecl session_sync_checkpoint(const SchemaOptions& options);
TableDecl shared_link(const SchemaOptions& options);
TableDecl shared_link_asset(const SchemaOptions& options);
TableDecl smart_search(const SchemaOptions& options);
TableDecl stack(const SchemaOptions& options);
TableDecl stack_audit(const SchemaOptions& options);
TableDecl system_metadata(const SchemaOptions& options);
TableDecl tag(const SchemaOptions& options);
TableDecl tag_asset(const SchemaOptions& options);
TableDecl tag_closure(const SchemaOptions& options);
TableDecl user(const SchemaOptions& options);
TableDecl user_audit(const SchemaOptions& options);
TableDecl user_metadata(const SchemaOptions& options);
TableDecl user_metadata_audit(const SchemaOptions& options);
TableDecl version_history(const SchemaOptions& options);
TableDecl workflow(const SchemaOptions& options);
TableDecl workflow_action(const SchemaOptions& options);
TableDecl workflow_filter(const SchemaOptions& options);

// All 61, in dependency-free name order (constraints are added after every table exists).
std::vector<TableDecl> all_tables(const SchemaOptions& options);

// The embedding column of smart_search / face_search for the chosen vector flavour: vector(<dim>),
// vectors.vector(<dim>) for pgvecto.rs, or real[] plus a dim_size_constraint CHECK for builtin.
void add_embedding_column(TableDecl& table, const SchemaOptions& options, int dimension);
// clip_index / face_index for the flavour (none for builtin); face_index has an override row.
void add_vector_index(TableDecl& table, const SchemaOptions& options, const std::string& name);

}  // namespace keepsake::schema::tables
