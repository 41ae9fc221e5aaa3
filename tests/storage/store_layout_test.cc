// Listings of a store root: segment files, what is not a regular file, and
// the segment size a list of files implies.
#include "storage/store_layout.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "format/segment_name.h"
#include "tests/support/golden.h"

namespace mqstore {
namespace {

SegmentFile Seg(int64_t start, uint64_t size) { return SegmentFile{SegmentFileName(start), SegmentFileName(start), start, size, 0}; }

TEST(InferSegmentSize, TheSizeMostFilesHaveNotTheFirstFiles) {
  EXPECT_EQ(InferSegmentSize({Seg(0, 1000), Seg(65536, 65536), Seg(131072, 65536)}), 65536)
      << "a truncated first file is the odd one out";
  EXPECT_EQ(InferSegmentSize({Seg(0, 65536), Seg(65536, 70000), Seg(131072, 65536)}), 65536);
  EXPECT_EQ(InferSegmentSize({Seg(0, 65536), Seg(65536, 65536), Seg(131072, 1000)}), 65536);
}

TEST(InferSegmentSize, ATieGoesToTheNameSpacingThenToTheLargest) {
  EXPECT_EQ(InferSegmentSize({Seg(0, 1000), Seg(65536, 65536)}), 65536) << "the names are 65536 apart";
  EXPECT_EQ(InferSegmentSize({Seg(0, 65536), Seg(65536, 1000)}), 65536);
  EXPECT_EQ(InferSegmentSize({Seg(0, 4096), Seg(131072, 8192)}), 8192) << "no size matches the spacing: the largest";
  EXPECT_EQ(InferSegmentSize({Seg(65536, 65536)}), 65536);
}

TEST(InferSegmentSize, EmptyFilesTellNothingButTheirNamesDo) {
  EXPECT_EQ(InferSegmentSize({}), 0);
  EXPECT_EQ(InferSegmentSize({Seg(0, 0)}), 0);
  EXPECT_EQ(InferSegmentSize({Seg(0, 0), Seg(4096, 0), Seg(8192, 0)}), 4096);
  EXPECT_EQ(InferSegmentSize({Seg(0, 0), Seg(4096, 4096)}), 4096);
}

class NonRegularListing : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ + "/00000000000000000000").put('x');
    ASSERT_EQ(::mkfifo((dir_ + "/00000000000000004096").c_str(), 0644), 0);
    std::filesystem::create_directories(dir_ + "/00000000000000008192");
    std::ofstream(dir_ + "/junk").put('x');
  }
  test::TempDir tmp_;
  std::string dir_ = tmp_.path() + "/commitlog";
};

TEST_F(NonRegularListing, SegmentsAreRegularFilesOnlyAndTheOthersAreNamed) {
  std::vector<std::string> ignored, not_regular;
  auto listed = ListSegments(FileSystem::Default(), dir_, &ignored, &not_regular);
  ASSERT_TRUE(listed.ok()) << listed.error().ToString();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().name, "00000000000000000000");
  EXPECT_EQ(ignored, std::vector<std::string>{"junk"});
  std::sort(not_regular.begin(), not_regular.end());
  EXPECT_EQ(not_regular, (std::vector<std::string>{dir_ + "/00000000000000004096", dir_ + "/00000000000000008192"}));

  std::vector<std::string> only_ignored;
  ASSERT_TRUE(ListSegments(FileSystem::Default(), dir_, &only_ignored).ok());
  EXPECT_EQ(only_ignored.size(), 3u) << "without `not_regular` they are ignored names, as before";
}

TEST(NonRegularRootFiles, ACheckpointAbortOrLockThatIsNotARegularFile) {
  test::TempDir tmp;
  const StorePaths paths{tmp.path()};
  EXPECT_TRUE(NonRegularRootFiles(FileSystem::Default(), paths).empty()) << "missing files are not odd";
  std::ofstream(paths.AbortFile()) << "";
  ASSERT_EQ(::mkfifo(paths.CheckpointFile().c_str(), 0644), 0);
  std::filesystem::create_directories(paths.LockFile());
  auto odd = NonRegularRootFiles(FileSystem::Default(), paths);
  std::sort(odd.begin(), odd.end());
  EXPECT_EQ(odd, (std::vector<std::string>{paths.CheckpointFile(), paths.LockFile()}));
}

TEST(StorePaths, TheCommitLogMayLiveElsewhere) {
  EXPECT_EQ((StorePaths{"/s"}.CommitLogDir()), "/s/commitlog");
  EXPECT_EQ((StorePaths{"/s", "/ssd/cl"}.CommitLogDir()), "/ssd/cl");
  EXPECT_EQ((StorePaths{"/s", "/ssd/cl"}.CheckpointFile()), "/s/checkpoint");
}

}  // namespace
}  // namespace mqstore
