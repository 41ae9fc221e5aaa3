// The commands that only read (inspect, verify, dump, query) never change a
// byte of a store: not its files, not its directory listing, and they create
// no lock or abort file, whether the store is good, damaged or was not shut
// down cleanly.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "format/segment_name.h"
#include "tests/storage/store_test_util.h"
#include "tests/support/dir_snapshot.h"
#include "tests/support/golden.h"
#include "tests/tools/cli_store_fixture.h"
#include "tests/tools/cli_test_util.h"

namespace mqstore {
namespace {

using test::Cli;
using test::CliResult;

std::string FirstIndexFile(const std::string& root) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(root + "/index")) names.push_back(e.path().string());
  std::sort(names.begin(), names.end());
  return names.empty() ? std::string() : names.front();
}

// Runs every reading command over `root`; the store must be exactly as it was.
void ExpectReadersChangeNothing(const std::string& root) {
  const auto before = test::SnapshotTree(root);
  ASSERT_GT(before.size(), 10u);
  const std::vector<std::vector<std::string>> commands = {
      {"inspect", root},
      {"inspect", root, "--json"},
      {"verify", root},
      {"verify", root, "--json"},
      {"dump", "commitlog", root},
      {"dump", "commitlog", root, "--json", "--from", "0", "--limit", "5"},
      {"dump", "cq", root, "GenTopic0", "0"},
      {"dump", "cq", root, "GenTopic2", "1", "--json"},
      {"dump", "index", FirstIndexFile(root)},
      {"dump", "checkpoint", root},
      {"dump", "checkpoint", root, "--json"},
      {"dump", "transactions", root},
      {"dump", "transactions", root, "--json"},
      {"query", root, "--topic", "GenTopic0", "--key", "key-0"},
      {"query", root, "--topic", "GenTopic1", "--key", "group-1", "--json"},
  };
  for (const auto& cmd : commands) {
    const CliResult r = Cli(cmd);
    EXPECT_NE(r.code, 2) << cmd[0] << " " << cmd[1] << ": " << r.err;
  }
  test::ExpectSameTree(before, test::SnapshotTree(root));
}

class CliReadOnly : public ::testing::Test {
 protected:
  void SetUp() override {
    test::GenStore(root_, test::WriteSmallStoreConf(tmp_.path() + "/broker.conf"));
    // The engine leaves its lock file behind; without one, a reader that
    // created it would show.
    std::filesystem::remove(root_ + "/lock");
  }
  test::TempDir tmp_;
  std::string root_ = tmp_.path() + "/store";
};

TEST_F(CliReadOnly, AGoodStore) { ExpectReadersChangeNothing(root_); }

TEST_F(CliReadOnly, AStoreWithAFlippedByteInARecordOfItsLastSegment) {
  const auto segments = test::ListCommitLog(root_);
  ASSERT_GE(segments.size(), 2u);
  // The last segment that holds records (the newest may be pre-created
  // zeros): flip a byte in the body of its first record.
  int64_t last_start = -1;
  for (const auto& r : Cli({"dump", "commitlog", root_, "--json"}).Lines())
    if (!r.Has("blank")) last_start = r["commitLogOffset"].i - r["commitLogOffset"].i % 65536;
  ASSERT_GE(last_start, 0);
  const std::string path = root_ + "/commitlog/" + SegmentFileName(last_start);
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(120);  // past the fixed fields of a v1 record: in its 100-byte body
  char c = 0;
  f.get(c);
  f.seekp(120);
  f.put(static_cast<char>(c ^ 0x5A));
  f.close();
  ASSERT_EQ(Cli({"verify", root_}).code, 1) << "the flip is seen";
  ExpectReadersChangeNothing(root_);
}

TEST_F(CliReadOnly, AStoreWithAnAbortFile) {
  std::ofstream(root_ + "/abort") << "";
  ExpectReadersChangeNothing(root_);
  EXPECT_TRUE(std::filesystem::exists(root_ + "/abort"));
}

}  // namespace
}  // namespace mqstore
