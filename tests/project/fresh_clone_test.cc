// A plain clone passes its own tests: the repository's files, copied alone into an empty folder
// with no siblings, hold everything the catalog comparison reads.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/process.h"
#include "harness/paths.h"

namespace fs = std::filesystem;

namespace keepsake {
namespace {

// Files a commit would hold: tracked ones and untracked ones git does not ignore.
std::vector<std::string> repository_files(const std::string& root) {
  ProcessOptions o;
  o.argv = {"git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard"};
  o.env = minimal_environment();
  auto r = run_process(o);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> files;
  std::stringstream in(r.out);
  for (std::string name; std::getline(in, name, '\0');) {
    if (!name.empty() && fs::is_regular_file(fs::path(root) / name)) files.push_back(name);
  }
  return files;
}

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class FreshCloneTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/keepsake-fresh-clone-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    parent_ = pattern;
    clone_ = parent_ / "keepsake";
    for (const auto& name : repository_files(testing::source_dir())) {
      fs::create_directories((clone_ / name).parent_path());
      fs::copy_file(fs::path(testing::source_dir()) / name, clone_ / name);
    }
  }
  void TearDown() override { fs::remove_all(parent_); }

  fs::path parent_, clone_;
};

TEST_F(FreshCloneTest, NoSourceTestOrBenchmarkReadsOutsideTheRepository) {
  const std::string needle = std::string("../") + "shared";
  std::vector<std::string> offenders;
  for (const char* top : {"src", "tests", "bench", "cmake"}) {
    for (const auto& entry : fs::recursive_directory_iterator(clone_ / top)) {
      if (entry.is_regular_file() && slurp(entry.path()).find(needle) != std::string::npos)
        offenders.push_back(fs::relative(entry.path(), clone_).string());
    }
  }
  EXPECT_TRUE(offenders.empty()) << "these files refer to " << needle << ": "
                                 << ::testing::PrintToString(offenders);
  ASSERT_EQ(std::vector<fs::path>{clone_}, std::vector<fs::path>(fs::directory_iterator(parent_), {}))
      << "the copy must have no siblings";
}

TEST_F(FreshCloneTest, CatalogComparisonPassesFromACopyWithNoSiblings) {
  ASSERT_TRUE(fs::exists(clone_ / "tests/spec/immich-2.7.5-catalog.json"));
  ProcessOptions o;
  o.argv = {fs::read_symlink("/proc/self/exe").string(),
            "--gtest_filter=BootstrapCatalogTest.*:CatalogJsonTest.LoadsTheSpecCatalog:"
            "CatalogReaderBootstrappedTest.LiveCatalogMatchesTheSpecJson"};
  std::map<std::string, std::string> env = {{"KEEPSAKE_SOURCE_ROOT", clone_.string()}};
  for (const char* name : {"KEEPSAKE_TEST_CLUSTER", "ASAN_OPTIONS", "UBSAN_OPTIONS"}) {
    if (const char* value = getenv(name)) env[name] = value;
  }
  o.env = minimal_environment(env);
  auto r = run_process(o);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("[  PASSED  ] 4 tests."), std::string::npos) << r.out;
}

}  // namespace
}  // namespace keepsake
