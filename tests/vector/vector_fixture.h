// Test fixture for vector searches: the Immich tables a search reads (a subset of their columns,
// same names and types), in pgvector or built-in flavour, plus seeded assets with embeddings.
#pragma once

#include <random>
#include <string>
#include <vector>

#include "harness/test_cluster.h"
#include "migrations/keepsake_migrations.h"
#include "vector/builtin_index.h"
#include "vector/extension.h"
#include "vector/index_manager.h"

namespace keepsake::vector::testing {

class VectorFixture : public keepsake::testing::DatabaseTest,
                      public ::testing::WithParamInterface<Extension> {
 protected:
  void SetUp() override;
  Extension ext() const { return GetParam(); }
  // Inserts n assets of `owner` with random embeddings; returns their ids.
  std::vector<std::string> seed_assets(const std::string& owner, int n, int dim);
  std::vector<float> random_vector(int dim);
  std::string new_uuid();
  std::string owner(int i) const { return owners_[i]; }

  std::mt19937 rng_{1234};
  std::vector<std::string> owners_;
};

std::string param_name(const ::testing::TestParamInfo<Extension>& info);

}  // namespace keepsake::vector::testing
