// Segment, SegmentAllocator and QueueOffsetTable: the pieces
// the CommitLog is built from.
#include "storage/log/segment.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "storage/log/queue_offset_table.h"
#include "storage/log/segment_allocator.h"
#include "tests/support/golden.h"

namespace mqstore {
namespace {

TEST(Segment, CreateMakesAFullSizeZeroFileNamedByItsStartOffset) {
  test::TempDir tmp;
  auto s = Segment::Create(FileSystem::Default(), tmp.path(), 131072, 65536, /*writable_mapping=*/true);
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ((*s)->path(), tmp.path() + "/00000000000000131072");
  EXPECT_EQ((*s)->end_offset(), 196608);
  EXPECT_TRUE((*s)->Contains(196607));
  EXPECT_FALSE((*s)->Contains(196608));
  auto info = FileSystem::Default().Stat((*s)->path());
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->size, 65536u);
  EXPECT_EQ((*s)->data().size(), 65536u);
  EXPECT_EQ((*s)->data()[65535], 0);
  std::memcpy((*s)->data().data() + 10, "abc", 3);  // the mmap backend's store
  (*s)->set_committed(13);
  ASSERT_TRUE((*s)->Flush(13).ok());
  EXPECT_EQ((*s)->flushed(), 13);
  auto reopened = Segment::Open(FileSystem::Default(), (*s)->path(), 131072, 65536, false);
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ(std::memcmp((*reopened)->data().data() + 10, "abc", 3), 0);
  auto wrong = Segment::Open(FileSystem::Default(), (*s)->path(), 131072, 4096, false);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message().find("expected 4096"), std::string::npos) << wrong.error().message();
}

TEST(Segment, AViewKeepsTheMappingAliveAfterTheLogDropsIt) {
  test::TempDir tmp;
  auto s = Segment::Create(FileSystem::Default(), tmp.path(), 0, 8192, true);
  ASSERT_TRUE(s.ok());
  std::memcpy((*s)->data().data(), "pinned", 6);
  SegmentView view{*s, (*s)->data().first(6), 0};
  s->reset();  // the log let go; the reader still holds it
  ASSERT_TRUE(FileSystem::Default().Remove(tmp.path() + "/00000000000000000000").ok());
  EXPECT_EQ(std::memcmp(view.bytes.data(), "pinned", 6), 0);
  EXPECT_EQ(view.segment.use_count(), 1);
}

TEST(SegmentAllocator, PreparesTheNextFileInTheBackgroundAndHandsItOver) {
  test::TempDir tmp;
  SegmentAllocator allocator(FileSystem::Default(), tmp.path(), {65536, false, false, 0});
  allocator.Start();
  auto first = allocator.Take(0);
  ASSERT_TRUE(first.ok());
  // Taking one asks for the next: it appears on disk without another Take.
  for (int i = 0; i < 500 && !FileSystem::Default().Exists(tmp.path() + "/00000000000000065536"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  EXPECT_TRUE(FileSystem::Default().Exists(tmp.path() + "/00000000000000065536"));
  auto second = allocator.Take(65536);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ((*second)->start_offset(), 65536);
  EXPECT_GE(allocator.segments_created(), 2u) << "0 and 65536 (131072 may be under way)";
  allocator.Stop();
  auto after_stop = allocator.Take(131072);  // no thread: created (or reused) on the spot
  ASSERT_TRUE(after_stop.ok());
  EXPECT_EQ((*after_stop)->start_offset(), 131072);
}

// Waits up to 10 s for the allocator to have faulted in `bytes` in all.
bool FaultedAtLeast(const SegmentAllocator& allocator, uint64_t bytes) {
  for (int i = 0; i < 5000 && allocator.bytes_faulted() < bytes; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  return allocator.bytes_faulted() >= bytes;
}

constexpr int64_t kMiB = 1 << 20;

// A burst announced ahead (a timer slot fired in bulk) is faulted in beyond
// the usual window, so its stores find their pages there.
TEST(SegmentAllocator, AnExpectedBurstIsFaultedInBeyondTheWindow) {
  test::TempDir tmp;
  SegmentAllocator allocator(FileSystem::Default(), tmp.path(), {64 * kMiB, true, false, 1 * kMiB});
  auto segment = allocator.Take(0);  // created with its first window faulted
  ASSERT_TRUE(segment.ok());
  allocator.Start();
  allocator.WriterAt(*segment, 0);
  ASSERT_TRUE(FaultedAtLeast(allocator, 1 * kMiB));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(allocator.bytes_faulted(), static_cast<uint64_t>(1 * kMiB)) << "one window";
  allocator.ExpectBurst(*segment, 0, 8 * kMiB);
  ASSERT_TRUE(FaultedAtLeast(allocator, 9 * kMiB)) << allocator.bytes_faulted();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(allocator.bytes_faulted(), static_cast<uint64_t>(9 * kMiB))
      << "the burst and one window past it, nothing more";
  // Stores that follow keep the burst's extent: the window does not shrink
  // back to one MiB ahead of the writer.
  allocator.WriterAt(*segment, 2 * kMiB);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(allocator.bytes_faulted(), static_cast<uint64_t>(9 * kMiB));
  allocator.Stop();
}

// fdatasync writes the faulted-in pages back and leaves them clean, so a
// store to each faults again: while the burst has not been written, a sync
// has its pages faulted in again; once the writer passed it, not.
TEST(SegmentAllocator, ASyncBeforeTheBurstFaultsItsPagesInAgain) {
  test::TempDir tmp;
  SegmentAllocator allocator(FileSystem::Default(), tmp.path(), {64 * kMiB, true, false, 1 * kMiB});
  auto segment = allocator.Take(0);
  ASSERT_TRUE(segment.ok());
  allocator.Start();
  allocator.ExpectBurst(*segment, 0, 8 * kMiB);
  ASSERT_TRUE(FaultedAtLeast(allocator, 9 * kMiB));
  allocator.Synced(*segment, 2 * kMiB);  // the writer had reached 2 MiB
  ASSERT_TRUE(FaultedAtLeast(allocator, 16 * kMiB)) << allocator.bytes_faulted();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(allocator.bytes_faulted(), static_cast<uint64_t>(16 * kMiB)) << "[2, 9) MiB again";
  allocator.WriterAt(*segment, 9 * kMiB);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const uint64_t before = allocator.bytes_faulted();
  allocator.Synced(*segment, 9 * kMiB);  // the burst is written and synced
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(allocator.bytes_faulted(), before);
  allocator.Stop();
}

// The POSIX file system, counting opens per path and running a hook on each.
class CountingFileSystem final : public FileSystem {
 public:
  std::function<void(const std::string&)> on_open;
  int opens(const std::string& path) {
    std::lock_guard lock(mu_);
    return opens_[path];
  }
  Result<std::unique_ptr<RandomRWFile>> OpenRandomRW(const std::string& path, OpenMode mode) override {
    {
      std::lock_guard lock(mu_);
      ++opens_[path];
    }
    if (on_open) on_open(path);
    return base_.OpenRandomRW(path, mode);
  }
  Result<std::unique_ptr<ReadOnlyMapping>> MapReadOnly(const std::string& p) override { return base_.MapReadOnly(p); }
  Result<std::vector<std::string>> ListDirectory(const std::string& d) override { return base_.ListDirectory(d); }
  Result<FileInfo> Stat(const std::string& p) override { return base_.Stat(p); }
  Result<DiskSpace> SpaceOf(const std::string& p) override { return base_.SpaceOf(p); }
  bool Exists(const std::string& p) override { return base_.Exists(p); }
  Result<std::unique_ptr<SequentialFile>> NewSequentialFile(const std::string& p) override {
    return base_.NewSequentialFile(p);
  }
  Status CreateDirectories(const std::string& d) override { return base_.CreateDirectories(d); }
  Status RemoveAll(const std::string& p) override { return base_.RemoveAll(p); }
  Status Remove(const std::string& p) override { return base_.Remove(p); }
  Status Rename(const std::string& f, const std::string& t) override { return base_.Rename(f, t); }
  Status SyncDirectory(const std::string& d) override { return base_.SyncDirectory(d); }
  Result<std::unique_ptr<FileLock>> LockFile(const std::string& p) override { return base_.LockFile(p); }

 private:
  FileSystem& base_ = FileSystem::Default();
  std::mutex mu_;
  std::map<std::string, int> opens_;
};

// A writer that takes the next file before the thread woke to prepare it
// makes it itself; the thread must not then make the same file again.
TEST(SegmentAllocator, AFileTheWriterMadeItselfIsNotMadeAgainByTheThread) {
  test::TempDir tmp;
  CountingFileSystem fs;
  const std::string second = tmp.path() + "/00000000000000065536";
  SegmentAllocator allocator(fs, tmp.path(), {65536, false, false, 0});
  ASSERT_TRUE(allocator.Take(0).ok());  // no thread yet: made here; 65536 is wanted next
  fs.on_open = [&](const std::string& path) {
    if (path != second || fs.opens(second) != 1) return;
    allocator.Start();  // the thread wakes while the writer makes 65536
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  };
  ASSERT_TRUE(allocator.Take(65536).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  allocator.Stop();
  EXPECT_EQ(fs.opens(second), 1) << "65536 made twice";
}

TEST(QueueOffsetTable, CountsPerTopicAndQueueAndListsSorted) {
  QueueOffsetTable t;
  EXPECT_EQ(t.Get("A", 0), 0);
  t.At("B", 1) += 3;
  t.At("A", 2) = 7;
  t.Raise("A", 2, 5);
  t.Raise("A", 0, 2);
  EXPECT_EQ(t.Get("A", 2), 7) << "Raise never lowers";
  EXPECT_EQ(t.Get("A", 0), 2);
  EXPECT_EQ(t.Get("B", 1), 3);
  EXPECT_EQ(t.Get("B", 0), 0);
  const auto entries = t.Entries();
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].topic, "A");
  EXPECT_EQ(entries[0].queue_id, 0);
  EXPECT_EQ(entries[2].topic, "B");
  EXPECT_EQ(entries[2].next_offset, 3);
}

TEST(QueueOffsetTable, KeepsEveryQueueAndItsReferencesAsItGrows) {
  QueueOffsetTable t;
  int64_t& first = t.At("Topic0", 0);
  first = 41;
  // Topics that share a prefix, queue ids that repeat: thousands of
  // entries, many regrowths, some probes that pass other keys.
  for (int topic = 0; topic < 40; ++topic)
    for (int32_t q = 0; q < 100; ++q) t.Raise("Topic" + std::to_string(topic), q, topic * 1000 + q + 1);
  ASSERT_EQ(t.size(), 4000u);
  EXPECT_EQ(&first, &t.At("Topic0", 0)) << "the first queue moved as the table grew";
  EXPECT_EQ(first, 41) << "Raise to 1 lowered it";
  for (int topic = 0; topic < 40; ++topic) {
    for (int32_t q = topic == 0 ? 1 : 0; q < 100; ++q) {
      ASSERT_EQ(t.Get("Topic" + std::to_string(topic), q), topic * 1000 + q + 1);
    }
  }
  EXPECT_EQ(t.Get("Topic40", 0), 0);
  EXPECT_EQ(t.Get("Topic1", 100), 0);
  EXPECT_EQ(t.size(), 4000u) << "Get created a queue";

  QueueOffsetTable moved = std::move(t);
  EXPECT_EQ(moved.Get("Topic39", 99), 39100);
  moved.Clear();
  EXPECT_EQ(moved.size(), 0u);
  EXPECT_EQ(moved.Get("Topic39", 99), 0);
  moved.At("Topic39", 99) = 5;
  EXPECT_EQ(moved.Get("Topic39", 99), 5);
}

}  // namespace
}  // namespace mqstore
