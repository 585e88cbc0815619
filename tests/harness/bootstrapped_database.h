// Test fixture: a fresh database per test that already holds Immich v2.7.5's schema plus
// Keepsake's own migrations, as `keepsake serve` leaves an empty database after its first boot.
//
// Fast: the first use in a cluster bootstraps a template database once (guarded across test
// processes by an advisory lock on the `postgres` database); every test database is then a
// CREATE DATABASE ... TEMPLATE copy, with the database-level search_path re-applied (PostgreSQL
// does not copy database settings).
#pragma once

#include <string>

#include "harness/test_cluster.h"

namespace keepsake::testing {

// Creates a bootstrapped database with a unique name and returns its name (drop it with
// drop_database()).
std::string create_bootstrapped_database(const std::string& prefix = "b");

// Like DatabaseTest, but the fresh database is bootstrapped (pgvector flavour).
class BootstrappedDatabaseTest : public DatabaseTest {
 protected:
  void SetUp() override;
};

}  // namespace keepsake::testing
