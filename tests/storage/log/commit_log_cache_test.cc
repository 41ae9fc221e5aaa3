// commitLogCacheSegments: a commit-log file flushed to its end makes the
// file N before it drop its pages from the page cache; the bytes stay on
// disk and read back the same. Residency is read with mincore(2) through a
// mapping of our own, which faults nothing in.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "format/segment_name.h"
#include "storage/message_store.h"
#include "storage/store_log.h"
#include "tests/storage/engine_test_util.h"
#include "tests/support/golden.h"

namespace mqstore {
namespace {

constexpr int64_t kSegment = 256 << 10;

struct Residency {
  size_t resident = 0;
  size_t pages = 0;
};

Residency ResidentPages(const std::string& path) {
  Residency r;
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return r;
  void* p = ::mmap(nullptr, kSegment, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (p == MAP_FAILED) return r;
  std::vector<unsigned char> in(kSegment / 4096);
  if (::mincore(p, kSegment, in.data()) == 0) {
    r.pages = in.size();
    for (unsigned char v : in) r.resident += v & 1;
  }
  ::munmap(p, kSegment);
  return r;
}

class CommitLogCacheTest : public ::testing::TestWithParam<bool> {
 protected:
  // Puts until five files are full and a sixth started, then flushes all.
  // The dispatcher is off: nothing reads a file again after it dropped.
  std::unique_ptr<MessageStore> Fill(int32_t cache_segments) {
    SetLogSink({});
    StoreConfig c = test::SmallStoreConfig(tmp_.path() + "/store", /*write_backend=*/GetParam(), kSegment);
    c.dispatchOnOwnThread = false;
    c.commitLogCacheSegments = cache_segments;
    auto store = MessageStore::Open(c);
    EXPECT_TRUE(store.ok()) << store.error().ToString();
    if (!store.ok()) return nullptr;
    for (int i = 0; (*store)->commit_log().WroteOffset() < 5 * kSegment + 1000; ++i) {
      test::OwnedMessage m("TopicA", i % 4, 1000, "k" + std::to_string(i));
      EXPECT_TRUE((*store)->Put(m.message()).ok());
    }
    EXPECT_TRUE((*store)->Flush().ok());
    dir_ = c.CommitLogDir();
    return std::move(*store);
  }
  Residency File(int index) const { return ResidentPages(dir_ + "/" + SegmentFileName(index * kSegment)); }

  test::TempDir tmp_;
  std::string dir_;
};

TEST_P(CommitLogCacheTest, FilesFlushedToTheirEndDropTheirPagesBehindTheNewestOnes) {
  auto store = Fill(/*cache_segments=*/1);
  ASSERT_TRUE(store);
  for (int i = 0; i < 4; ++i) {
    const Residency r = File(i);
    ASSERT_GT(r.pages, 0u) << "file " << i;
    EXPECT_LT(r.resident, r.pages / 10) << "file " << i << " flushed and two files behind keeps its pages";
  }
  const Residency newest_full = File(4);
  EXPECT_GT(newest_full.resident, newest_full.pages / 2) << "the newest full file keeps its pages (N = 1)";
  // The bytes are on disk: the first message reads back whole.
  auto first = store->LookMessageByOffset(0);
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  EXPECT_EQ(first->message.topic, "TopicA");
}

TEST_P(CommitLogCacheTest, TheDefaultLeavesEveryFileToTheKernel) {
  auto store = Fill(/*cache_segments=*/-1);
  ASSERT_TRUE(store);
  for (int i = 0; i < 5; ++i) {
    const Residency r = File(i);
    EXPECT_GT(r.resident, r.pages / 2) << "file " << i << " lost its pages with commitLogCacheSegments=-1";
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, CommitLogCacheTest, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "write" : "mmap"; });

}  // namespace
}  // namespace mqstore
