// commitLogCacheMb: as the flush moves on, the commit log more than N MiB
// behind it drops its pages from the page cache, whole files and the flushed
// part of the newest; the bytes stay on disk and read back the same. Residency is read with mincore(2) through a
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
// Files large enough to be dropped in part: drops inside a file end on a
// 2 MiB boundary (a whole folio).
constexpr int64_t kLargeSegment = 8 << 20;

struct Residency {
  size_t resident = 0;
  size_t pages = 0;
};

// Of the file's pages in [0, len).
Residency ResidentPages(const std::string& path, int64_t len) {
  Residency r;
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return r;
  void* p = ::mmap(nullptr, static_cast<size_t>(len), PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (p == MAP_FAILED) return r;
  std::vector<unsigned char> in(static_cast<size_t>(len / 4096));
  if (::mincore(p, static_cast<size_t>(len), in.data()) == 0) {
    r.pages = in.size();
    for (unsigned char v : in) r.resident += v & 1;
  }
  ::munmap(p, static_cast<size_t>(len));
  return r;
}

class CommitLogCacheTest : public ::testing::TestWithParam<bool> {
 protected:
  // Puts until `files` files are full and the next has a few records, then
  // flushes all. The dispatcher is off: nothing reads a file again after it
  // dropped.
  std::unique_ptr<MessageStore> Fill(int32_t cache_mb, int files, int64_t segment = kSegment) {
    SetLogSink({});
    segment_ = segment;
    StoreConfig c = test::SmallStoreConfig(tmp_.path() + "/store", /*write_backend=*/GetParam(), segment);
    c.dispatchOnOwnThread = false;
    c.commitLogCacheMb = cache_mb;
    auto store = MessageStore::Open(c);
    EXPECT_TRUE(store.ok()) << store.error().ToString();
    if (!store.ok()) return nullptr;
    for (int i = 0; (*store)->commit_log().WroteOffset() < files * segment + segment / 2; ++i) {
      test::OwnedMessage m("TopicA", i % 4, 1000, "k" + std::to_string(i));
      EXPECT_TRUE((*store)->Put(m.message()).ok());
    }
    EXPECT_TRUE((*store)->Flush().ok());
    dir_ = c.CommitLogDir();
    return std::move(*store);
  }
  // Of file `index`'s pages in [0, len) (0: the whole file).
  Residency File(int index, int64_t len = 0) const {
    return ResidentPages(dir_ + "/" + SegmentFileName(index * segment_), len > 0 ? len : segment_);
  }

  test::TempDir tmp_;
  std::string dir_;
  int64_t segment_ = kSegment;
};

TEST_P(CommitLogCacheTest, WhatLiesMoreThanTheWindowBehindTheFlushDropsItsPages) {
  // 1 MiB is four files: of eight and a half flushed, the first four (and
  // a bit) are more than 1 MiB behind.
  auto store = Fill(/*cache_mb=*/1, /*files=*/8);
  ASSERT_TRUE(store);
  // A drop is a request: the kernel may keep a folio it is busy with at
  // that moment (seen under ThreadSanitizer on a loaded machine: one folio
  // of a file, up to the whole of a small one), so the files behind are
  // counted together.
  Residency behind;
  for (int i = 0; i < 4; ++i) {
    const Residency r = File(i);
    ASSERT_GT(r.pages, 0u) << "file " << i;
    behind.resident += r.resident;
    behind.pages += r.pages;
  }
  EXPECT_LE(behind.resident, behind.pages / 4)
      << behind.resident << " of the " << behind.pages << " pages more than 1 MiB behind the flush stayed";
  for (int i = 5; i < 9; ++i) {
    const Residency r = File(i);
    EXPECT_GT(r.resident, r.pages / 4) << "file " << i << " is inside the 1 MiB window and lost its pages";
  }
  // The bytes are on disk: the first message reads back whole.
  auto first = store->LookMessageByOffset(0);
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  EXPECT_EQ(first->message.topic, "TopicA");
}

TEST_P(CommitLogCacheTest, AWindowOfNothingDropsTheFlushedPartOfTheNewestFileToo) {
  auto store = Fill(/*cache_mb=*/0, /*files=*/1, kLargeSegment);
  ASSERT_TRUE(store);
  // At most one 2 MiB folio of each may stay (see above).
  const Residency first = File(0);
  EXPECT_LE(first.resident, first.pages / 4) << "the full file kept its pages";
  // The newest file is half written (4 MiB) and all of that flushed: its
  // first 4 MiB, two whole 2 MiB folios, drop. (What lies after the writer
  // may be faulted in ahead of it.)
  const Residency written = File(1, kLargeSegment / 2);
  EXPECT_LE(written.resident, written.pages / 2) << "the flushed half of the newest file kept its pages";
  // What the writer puts next lands after the dropped pages and reads back.
  test::OwnedMessage m("TopicA", 0, 1000, "after");
  auto put = store->Put(m.message());
  ASSERT_TRUE(put.ok());
  ASSERT_TRUE(store->Flush().ok());
  auto back = store->LookMessageByOffset(put.wrote_offset);
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(back->message.topic, "TopicA");
}

TEST_P(CommitLogCacheTest, TheDefaultLeavesEveryFileToTheKernel) {
  auto store = Fill(/*cache_mb=*/-1, /*files=*/5);
  ASSERT_TRUE(store);
  for (int i = 0; i < 6; ++i) {
    const Residency r = File(i);
    EXPECT_GT(r.resident, r.pages / 4) << "file " << i << " lost its pages with commitLogCacheMb=-1";
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, CommitLogCacheTest, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "write" : "mmap"; });

}  // namespace
}  // namespace mqstore
