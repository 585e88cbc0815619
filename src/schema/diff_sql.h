// The SQL statements that reconcile drift items, built from the declared model's definitions.
// Identifiers go through db::quote_ident and values through db::quote_literal; definitions are
// the catalog's own text (pg_get_*def), valid with search_path = public.
// Must never execute anything.
#pragma once

#include <string>
#include <vector>

#include "schema/diff.h"
#include "schema/model.h"

namespace keepsake::schema::sql {

// Apply phases: drops first, then creates in dependency order.
enum Phase : int {
  kDropTrigger = 0,
  kDropIndex,
  kDropForeignKey,
  kDropConstraint,
  kDropFunction,
  kDropEnum,
  kDeleteOverride,
  kExtension = 10,
  kSetting,
  kEnum,
  kFunction,
  kSequence,
  kTable,
  kColumn,
  kConstraint,
  kForeignKey,
  kIndex,
  kTrigger,
  kComment,
  kSequenceOwner,
  kOverride,
};

SqlStep safe(std::string sql, int phase);
SqlStep destructive(std::string sql, int phase);

std::string table_ref(const std::string& table);
std::string column_definition(const Column& column);
std::string create_table(const Table& table);
std::string comment_on_column(const std::string& table, const Column& column);
// ADD CONSTRAINT, carrying the storage parameters of the backing index (e.g. fillfactor).
std::string add_constraint(const Table& table, const Constraint& constraint);
std::string drop_constraint(const std::string& table, const std::string& name);
std::vector<SqlStep> table_objects(const Table& table);  // constraints, indexes, triggers, comments
std::string statement(const std::string& definition);    // definition + ';'
std::string replace_trigger(const Trigger& trigger);
std::string create_enum(const Enum& e);
std::string create_sequence(const Sequence& s);
std::string alter_sequence(const Sequence& s);
std::string sequence_owner(const Sequence& s);
std::string create_extension(const Extension& e);
std::string set_database(const std::string& database, const DatabaseSetting& setting);
std::string drop_function(const Function& f);
std::string override_value(const OverrideRow& row);

}  // namespace keepsake::schema::sql
