// SegmentList: the ordered files of a segmented log (commit log, consume
// queue, index files): lookup by offset, append, removal at both ends, and
// the guarantee that readers may look files up while that happens.
#include "storage/log/segment_list.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "storage/log/segment.h"

namespace mqstore {
namespace {

// An offset-addressed file without a file behind it: the list never looks
// at more than these three.
struct FakeSegment {
  int64_t start = 0;
  int64_t size = 100;
  int64_t start_offset() const { return start; }
  int64_t end_offset() const { return start + size; }
  bool Contains(int64_t offset) const { return offset >= start && offset < end_offset(); }
};

// A file addressed by name (an index file): the list without the geometry.
struct NamedFile {
  std::string name;
};

static_assert(OffsetAddressed<Segment>);
static_assert(OffsetAddressed<FakeSegment>);
static_assert(!OffsetAddressed<NamedFile>);

std::shared_ptr<FakeSegment> At(int64_t start) { return std::make_shared<FakeSegment>(FakeSegment{start, 100}); }

std::vector<int64_t> Starts(const std::vector<std::shared_ptr<FakeSegment>>& files) {
  std::vector<int64_t> out;
  for (const auto& f : files) out.push_back(f->start);
  return out;
}

TEST(SegmentList, AnEmptyListHasNoFilesAndStartsAtZero) {
  SegmentList<FakeSegment> list(100);
  EXPECT_TRUE(list.empty());
  EXPECT_EQ(list.First(), nullptr);
  EXPECT_EQ(list.Last(), nullptr);
  EXPECT_EQ(list.MinOffset(), 0);
  EXPECT_EQ(list.NextStart(), 0);
  EXPECT_EQ(list.Find(0), nullptr);
  EXPECT_EQ(list.IndexOf(0), -1);
  EXPECT_EQ(list.RemoveLast(), nullptr);
  EXPECT_TRUE(list.RemoveFrontWhile([](const FakeSegment&) { return true; }).empty());
}

TEST(SegmentList, ContiguousFilesAreFoundByOffset) {
  SegmentList<FakeSegment> list(100);
  for (int64_t start = 200; start < 600; start += 100) list.Append(At(start));
  EXPECT_EQ(list.size(), 4u);
  EXPECT_EQ(list.segment_size(), 100);
  EXPECT_EQ(list.MinOffset(), 200);
  EXPECT_EQ(list.NextStart(), 600);
  EXPECT_EQ(list.First()->start, 200);
  EXPECT_EQ(list.Last()->start, 500);
  EXPECT_EQ(list.Find(199), nullptr) << "before the first file";
  EXPECT_EQ(list.Find(200)->start, 200);
  EXPECT_EQ(list.Find(399)->start, 300);
  EXPECT_EQ(list.Find(599)->start, 500);
  EXPECT_EQ(list.Find(600), nullptr) << "past the last file";
  EXPECT_EQ(list.IndexOf(450), 2);
  EXPECT_EQ(list.StartOf(450), 400);
  EXPECT_EQ(list.StartOf(1234), 1200);
  EXPECT_EQ(SegmentStartOf(40, 20), 40);
  EXPECT_EQ(SegmentIndexOf(450, 200, 100), 2u);
}

TEST(SegmentList, FilesWithAGapAreFoundBySearch) {
  // A consume queue's files as found on disk may miss one.
  SegmentList<FakeSegment> list(100);
  list.Replace({At(0), At(100), At(400), At(500)});
  EXPECT_EQ(list.Find(150)->start, 100);
  EXPECT_EQ(list.Find(250), nullptr) << "in the gap";
  EXPECT_EQ(list.IndexOf(250), -1);
  EXPECT_EQ(list.Find(450)->start, 400);
  EXPECT_EQ(list.IndexOf(450), 2);
  EXPECT_EQ(list.Find(599)->start, 500);
  EXPECT_EQ(list.Find(600), nullptr);
}

TEST(SegmentList, RemovingFromTheFrontNeverTakesTheNewestFile) {
  SegmentList<FakeSegment> list(100);
  list.Replace({At(0), At(100), At(200)});
  auto removed = list.RemoveFrontWhile([](const FakeSegment&) { return true; });
  EXPECT_EQ(Starts(removed), (std::vector<int64_t>{0, 100})) << "oldest first";
  EXPECT_EQ(Starts(list.Snapshot()), (std::vector<int64_t>{200}));
  EXPECT_EQ(list.MinOffset(), 200);
  EXPECT_TRUE(list.RemoveFrontWhile([](const FakeSegment&) { return true; }).empty());
}

TEST(SegmentList, RemovingFromTheFrontStopsAtThePredicateAndTheLimit) {
  SegmentList<FakeSegment> list(100);
  list.Replace({At(0), At(100), At(200), At(300)});
  EXPECT_EQ(Starts(list.RemoveFrontWhile([](const FakeSegment& f) { return f.start < 100; })),
            (std::vector<int64_t>{0}));
  EXPECT_EQ(Starts(list.RemoveFrontWhile([](const FakeSegment&) { return true; }, /*max=*/1)),
            (std::vector<int64_t>{100}));
  EXPECT_EQ(Starts(list.Snapshot()), (std::vector<int64_t>{200, 300}));
}

TEST(SegmentList, RemovingFromTheBackMayEmptyTheList) {
  SegmentList<FakeSegment> list(100);
  list.Replace({At(0), At(100), At(200), At(300)});
  auto cut = list.RemoveBackWhile([](const FakeSegment& f) { return f.start >= 200; });
  EXPECT_EQ(Starts(cut), (std::vector<int64_t>{300, 200})) << "newest first";
  EXPECT_EQ(list.NextStart(), 200);
  EXPECT_EQ(list.RemoveLast()->start, 100);
  EXPECT_EQ(Starts(list.Clear()), (std::vector<int64_t>{0}));
  EXPECT_TRUE(list.empty());
}

TEST(SegmentList, ASnapshotPinsItsFilesWhateverTheListDoes) {
  SegmentList<FakeSegment> list(100);
  list.Replace({At(0), At(100)});
  const auto snapshot = list.Snapshot();
  std::weak_ptr<FakeSegment> oldest = snapshot.front();
  list.RemoveFrontWhile([](const FakeSegment&) { return true; });
  list.Clear();
  EXPECT_FALSE(oldest.expired());
  EXPECT_EQ(Starts(snapshot), (std::vector<int64_t>{0, 100}));
}

TEST(SegmentList, ReadLooksAtTheListUnderItsLock) {
  SegmentList<FakeSegment> list(100);
  list.Replace({At(0), At(100), At(200)});
  const int64_t ends = list.Read([](std::span<const std::shared_ptr<FakeSegment>> files) {
    int64_t sum = 0;
    for (const auto& f : files) sum += f->end_offset();
    return sum;
  });
  EXPECT_EQ(ends, 100 + 200 + 300);
}

TEST(SegmentList, FilesWithoutOffsetsGetTheListOperations) {
  SegmentList<NamedFile> list;
  list.Append(std::make_shared<NamedFile>(NamedFile{"a"}));
  list.Append(std::make_shared<NamedFile>(NamedFile{"b"}));
  list.Append(std::make_shared<NamedFile>(NamedFile{"c"}));
  EXPECT_EQ(list.First()->name, "a");
  EXPECT_EQ(list.Last()->name, "c");
  auto gone = list.RemoveFrontWhile([](const NamedFile& f) { return f.name < "b"; });
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0]->name, "a");
  EXPECT_EQ(list.RemoveLast()->name, "c");
  EXPECT_EQ(list.size(), 1u);
}

// The three threads of a log: the writer appends, cleanup takes files off
// the front, readers look offsets up. A reader finds either nothing (the
// file went) or the file that holds its offset (TSan checks the rest).
TEST(SegmentList, ReadersLookFilesUpWhileTheWriterAppendsAndCleanupRemoves) {
  SegmentList<FakeSegment> list(100);
  list.Append(At(0));
  std::atomic<int64_t> end{100};
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> wrong{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      uint64_t i = 0;
      while (!stop.load(std::memory_order_acquire)) {
        const int64_t offset = static_cast<int64_t>(++i * 37) % end.load(std::memory_order_acquire);
        const auto found = list.Find(offset);
        if (found && !found->Contains(offset)) wrong.fetch_add(1);
        (void)list.MinOffset();
        (void)list.Last();
      }
    });
  }
  std::thread cleanup([&] {
    while (!stop.load(std::memory_order_acquire))
      list.RemoveFrontWhile([](const FakeSegment&) { return true; }, /*max=*/1);
  });
  for (int64_t start = 100; start < 100 * 2000; start += 100) {
    list.Append(At(start));
    end.store(start + 100, std::memory_order_release);
  }
  stop.store(true, std::memory_order_release);
  for (auto& t : readers) t.join();
  cleanup.join();
  EXPECT_EQ(wrong.load(), 0u);
  EXPECT_EQ(list.Last()->start, 100 * 1999) << "cleanup never takes the newest file";
}

}  // namespace
}  // namespace mqstore
