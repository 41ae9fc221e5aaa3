// ConsumeQueue: units written at their slots, files rolled and named as
// RocketMQ names them, recovery, truncation, min offset, flush, and readers
// running beside the writer. Small files (8 units) so that they roll fast.
// One file over ~600 lines on purpose: its 29 tests share the fixture and
// the unit helpers above them, and each is a short scenario of one queue.
#include "storage/queue/consume_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "format/segment_name.h"
#include "storage/io/fault_injection_file_system.h"
#include "storage/store_log.h"
#include "tests/storage/store_test_util.h"
#include "tests/support/golden.h"

namespace mqstore {
namespace {

using Kind = TagBitmapIndex::Lookup::Kind;

constexpr int64_t kUnitsPerFile = 8;
constexpr int64_t kFileSize = kUnitsPerFile * kCqUnitSize;  // 160 bytes

// Unit n of the tests' queues: record n of 100 bytes at n*100, tag n % 3.
ConsumeQueueUnit UnitFor(int64_t n) { return {n * 100, 100, n % 3}; }

std::vector<uint8_t> Encoded(const ConsumeQueueUnit& u) {
  std::vector<uint8_t> b(kCqUnitSize);
  EncodeCqUnit(u, b.data());
  return b;
}

std::vector<uint8_t> Slot(const std::vector<uint8_t>& file, int64_t slot) {
  return {file.begin() + slot * kCqUnitSize, file.begin() + (slot + 1) * kCqUnitSize};
}

bool ZeroFrom(const std::vector<uint8_t>& file, size_t pos) {
  for (size_t i = pos; i < file.size(); ++i)
    if (file[i] != 0) return false;
  return true;
}

class ConsumeQueueTest : public ::testing::Test {
 protected:
  void SetUp() override { SetLogSink({}); }
  void TearDown() override { SetLogSink(nullptr); }

  ConsumeQueueOptions Options(int64_t file_size = kFileSize) const {
    ConsumeQueueOptions o;
    o.dir = dir_;
    o.topic = "TopicA";
    o.queue_id = 0;
    o.file_size = file_size;
    return o;
  }
  std::unique_ptr<ConsumeQueue> Open(FileSystem& fs = FileSystem::Default(), int64_t file_size = kFileSize) {
    auto q = std::make_unique<ConsumeQueue>(fs, Options(file_size));
    Status st = q->Load();
    EXPECT_TRUE(st.ok()) << st.ToString();
    st = q->Recover();
    EXPECT_TRUE(st.ok()) << st.ToString();
    return q;
  }
  static void PutRange(ConsumeQueue& q, int64_t from, int64_t to) {
    for (int64_t n = from; n < to; ++n) {
      const ConsumeQueueUnit u = UnitFor(n);
      Status st = q.PutUnit(u.commit_log_offset, u.size, u.tags_code, n, 1700000000000 + n);
      ASSERT_TRUE(st.ok()) << st.ToString();
    }
  }
  std::string File(int64_t cq_byte) const { return dir_ + "/" + SegmentFileName(cq_byte); }

  test::TempDir tmp_;
  const std::string dir_ = tmp_.path() + "/consumequeue/TopicA/0";
};

TEST_F(ConsumeQueueTest, UnitsLandAtTheirSlotsInFilesNamedByCqByteOffset) {
  auto q = Open();
  EXPECT_EQ(q->file_count(), 0u);
  EXPECT_EQ(q->MaxPhysicOffset(), -1);
  PutRange(*q, 0, 20);
  EXPECT_EQ(q->file_count(), 3u);
  EXPECT_EQ(q->MinOffset(), 0);
  EXPECT_EQ(q->MaxOffset(), 20);
  EXPECT_EQ(q->MaxPhysicOffset(), 2000);
  EXPECT_EQ(q->last_store_timestamp(), 1700000000019);
  auto listed = ListSegments(FileSystem::Default(), dir_);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 3u);
  EXPECT_EQ((*listed)[0].name, "00000000000000000000");
  EXPECT_EQ((*listed)[1].name, "00000000000000000160");
  EXPECT_EQ((*listed)[2].name, "00000000000000000320");
  for (int64_t n = 0; n < 20; ++n) {
    const auto file = test::ReadFileBytes(File(n * kCqUnitSize / kFileSize * kFileSize));
    ASSERT_EQ(file.size(), static_cast<size_t>(kFileSize));
    EXPECT_EQ(Slot(file, n % kUnitsPerFile), Encoded(UnitFor(n))) << "unit " << n;
    const auto got = q->GetUnit(n);
    ASSERT_TRUE(got.has_value()) << n;
    EXPECT_EQ(*got, UnitFor(n));
  }
  EXPECT_TRUE(ZeroFrom(test::ReadFileBytes(File(320)), 4 * kCqUnitSize));
}

TEST_F(ConsumeQueueTest, ReputOfAUnitAlreadyThereWritesNothing) {
  auto q = Open();
  PutRange(*q, 0, 10);
  const auto before = test::ReadFileBytes(File(160));
  // The same unit again (a re-dispatch): below MaxPhysicOffset.
  ASSERT_TRUE(q->PutUnit(500, 100, 2, 5, 0).ok());
  // A different record claiming a slot already written.
  ASSERT_TRUE(q->PutUnit(50000, 100, 2, 9, 0).ok());
  EXPECT_EQ(test::ReadFileBytes(File(160)), before);
  EXPECT_EQ(q->MaxOffset(), 10);
  EXPECT_EQ(q->MaxPhysicOffset(), 1000);
  EXPECT_EQ(q->file_count(), 2u);
  // A full last file and a unit already there: no new file either.
  PutRange(*q, 10, 16);
  ASSERT_TRUE(q->PutUnit(90000, 100, 0, 15, 0).ok());
  EXPECT_EQ(q->file_count(), 2u);
}

TEST_F(ConsumeQueueTest, AQueueCreatedMidStreamPadsBlankUnitsAndStartsThere) {
  {
    auto q = Open();
    ASSERT_TRUE(q->PutUnit(700, 100, 1, 5, 0).ok());
    EXPECT_EQ(q->MinOffset(), 5);
    EXPECT_EQ(q->MaxOffset(), 6);
    EXPECT_FALSE(q->GetUnit(4).has_value());
    EXPECT_FALSE(q->ReadUnits(0).has_value());
    ASSERT_TRUE(q->GetUnit(5).has_value());
    EXPECT_EQ(q->GetUnit(5)->commit_log_offset, 700);
    const auto file = test::ReadFileBytes(File(0));
    for (int64_t slot = 0; slot < 5; ++slot)
      EXPECT_EQ(Slot(file, slot), Encoded({0, kCqBlankPadSize, 0})) << slot;
    EXPECT_EQ(Slot(file, 5), Encoded({700, 100, 1}));
    EXPECT_EQ(q->NextWithTag(1, 5, 6).kind, Kind::kFound);
    EXPECT_EQ(q->NextWithTag(1, 0, 6).kind, Kind::kUnknown) << "the pads were never indexed";
  }
  // Reopened: the pads stay out of the readable range, and count for nothing.
  auto q = Open();
  EXPECT_EQ(q->MinOffset(), 5);
  EXPECT_EQ(q->MaxOffset(), 6);
  EXPECT_EQ(q->MaxPhysicOffset(), 800);
  EXPECT_FALSE(q->GetUnit(3).has_value());
  EXPECT_EQ(q->NextWithTag(1, 5, 6).queue_offset, 5);
}

TEST_F(ConsumeQueueTest, AQueueCreatedInALaterFileStartsThatFile) {
  auto q = Open();
  ASSERT_TRUE(q->PutUnit(1300, 100, 0, 13, 0).ok());
  EXPECT_EQ(q->file_count(), 1u);
  EXPECT_TRUE(FileSystem::Default().Exists(File(160)));
  EXPECT_FALSE(FileSystem::Default().Exists(File(0)));
  EXPECT_EQ(q->MinOffset(), 13);
  EXPECT_EQ(q->MaxOffset(), 14);
  EXPECT_EQ(Slot(test::ReadFileBytes(File(160)), 4), Encoded({0, kCqBlankPadSize, 0}));
  EXPECT_EQ(q->RollNextFile(13), 16);
}

TEST_F(ConsumeQueueTest, AGapIsPaddedWithBlankUnitsSoTheUnitKeepsItsQueueOffset) {
  // Records lost in a damaged range recovery skipped leave queue offsets
  // without a record: the next unit must still sit at its own offset.
  auto q = Open();
  PutRange(*q, 0, 2);
  ASSERT_TRUE(q->PutUnit(500, 100, 7, 5, 0).ok());
  EXPECT_EQ(q->MaxOffset(), 6);
  for (int64_t n = 2; n < 5; ++n) {
    ASSERT_TRUE(q->GetUnit(n).has_value());
    EXPECT_TRUE(q->GetUnit(n)->IsBlankPad()) << n;
  }
  ASSERT_TRUE(q->GetUnit(5).has_value());
  EXPECT_EQ(q->GetUnit(5)->commit_log_offset, 500);
  EXPECT_EQ(q->NextWithTag(7, 0, 6).queue_offset, 5);
  // Across a file boundary (8 units a file here) too.
  ASSERT_TRUE(q->PutUnit(600, 100, 7, 12, 0).ok());
  EXPECT_EQ(q->GetUnit(12)->commit_log_offset, 600);
  EXPECT_TRUE(q->GetUnit(8)->IsBlankPad());
  EXPECT_EQ(q->file_count(), 2u);
}

TEST_F(ConsumeQueueTest, ARedispatchedRecordWhoseTagsChangedRewritesItsUnit) {
  // A crash tore a record inside its properties after its unit was written:
  // re-dispatched at open, the record's unit takes the tags it now has.
  auto q = Open();
  PutRange(*q, 0, 5);
  const ConsumeQueueUnit old = UnitFor(2);
  ASSERT_TRUE(q->PutUnit(old.commit_log_offset, old.size, 0, 2, 0).ok());
  EXPECT_EQ(q->GetUnit(2)->tags_code, 0);
  EXPECT_EQ(q->GetUnit(2)->commit_log_offset, old.commit_log_offset);
  EXPECT_EQ(q->NextWithTag(0, 1, 3).queue_offset, 2);
  EXPECT_EQ(q->MaxOffset(), 5) << "nothing appended";
  // A unit naming another record is never touched.
  ASSERT_TRUE(q->PutUnit(old.commit_log_offset + 1, old.size, 0, 3, 0).ok());
  EXPECT_EQ(q->GetUnit(3), UnitFor(3));
}

TEST_F(ConsumeQueueTest, AGapLongerThanAFileIsLoggedAndTheUnitTakesTheNextSlotAsRocketMqDoes) {
  std::vector<std::string> errors;
  SetLogSink([&](LogLevel level, std::string_view line) {
    if (level == LogLevel::kError) errors.emplace_back(line);
  });
  auto q = Open();
  PutRange(*q, 0, 2);
  ASSERT_TRUE(q->PutUnit(500, 100, 7, 5000, 0).ok());  // a QUEUEOFFSET gone wrong, not lost records
  EXPECT_EQ(q->MaxOffset(), 3);
  ASSERT_TRUE(q->GetUnit(2).has_value());
  EXPECT_EQ(q->GetUnit(2)->commit_log_offset, 500);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("order maybe wrong"), std::string::npos) << errors[0];
  SetLogSink({});
}

TEST_F(ConsumeQueueTest, AGapPastUnitsThatAllPointBelowTheLogsStartRestartsTheQueueThere) {
  int64_t log_min = 0;  // the commit log's min offset, handed in with each unit as dispatch does
  auto q = std::make_unique<ConsumeQueue>(FileSystem::Default(), Options());
  ASSERT_TRUE(q->Load().ok());
  ASSERT_TRUE(q->Recover().ok());
  PutRange(*q, 0, 10);  // units 0..9: records [0, 1000)
  log_min = 900;        // the record of unit 9 is still in the log
  ASSERT_TRUE(q->PutUnit(5000, 100, 1, 30, 0, log_min).ok());
  EXPECT_EQ(q->GetUnit(10)->commit_log_offset, 5000) << "a live unit stays: appended as RocketMQ does";
  log_min = 6000;  // now every unit points below the log's start
  ASSERT_TRUE(q->PutUnit(9000, 100, 2, 43, 0, log_min).ok());
  EXPECT_EQ(q->MinOffset(), 43);
  EXPECT_EQ(q->MaxOffset(), 44);
  ASSERT_TRUE(q->GetUnit(43).has_value());
  EXPECT_EQ(q->GetUnit(43)->commit_log_offset, 9000) << "the unit is at its own queue offset";
  EXPECT_FALSE(FileSystem::Default().Exists(File(0))) << "the old files went";
  EXPECT_EQ(q->file_count(), 1u);
  EXPECT_EQ(q->NextWithTag(2, 43, 44).queue_offset, 43);
}

TEST_F(ConsumeQueueTest, RecoverAfterReopenFindsTheSameEndAndSkipsRedispatchedUnits) {
  {
    auto q = Open();
    PutRange(*q, 0, 21);
  }
  auto q = Open();
  EXPECT_EQ(q->file_count(), 3u);
  EXPECT_EQ(q->MinOffset(), 0);
  EXPECT_EQ(q->MaxOffset(), 21);
  EXPECT_EQ(q->MaxPhysicOffset(), 2100);
  EXPECT_EQ(q->GetUnit(20), UnitFor(20));
  const auto before = test::ReadFileBytes(File(320));
  PutRange(*q, 15, 21);  // the dispatcher re-reads the log's tail
  EXPECT_EQ(test::ReadFileBytes(File(320)), before);
  EXPECT_EQ(q->MaxOffset(), 21);
  PutRange(*q, 21, 25);
  EXPECT_EQ(q->MaxOffset(), 25);
  EXPECT_EQ(Slot(test::ReadFileBytes(File(320)), 4), Encoded(UnitFor(20)));
  EXPECT_EQ(Slot(test::ReadFileBytes(File(320)), 5), Encoded(UnitFor(21)));
  // The tag index was rebuilt from the files.
  EXPECT_EQ(q->NextWithTag(2, 0, q->MaxOffset()).queue_offset, 2);
  EXPECT_EQ(q->NextWithTag(2, 21, q->MaxOffset()).queue_offset, 23);
}

TEST_F(ConsumeQueueTest, RecoverZeroesWhatFollowsTheFirstInvalidUnitAndDeletesLaterFiles) {
  {
    auto q = Open();
    PutRange(*q, 0, 20);
  }
  // Unit 11 (file 160, slot 3) lost: units 12..15 and file 320 are stale.
  const std::vector<uint8_t> zeros(kCqUnitSize);
  test::PatchFile(File(160), 3 * kCqUnitSize, zeros.data(), zeros.size());
  auto q = Open();
  EXPECT_EQ(q->MaxOffset(), 11);
  EXPECT_EQ(q->MaxPhysicOffset(), 1100);
  EXPECT_EQ(q->file_count(), 2u);
  EXPECT_FALSE(FileSystem::Default().Exists(File(320)));
  const auto file = test::ReadFileBytes(File(160));
  EXPECT_EQ(Slot(file, 2), Encoded(UnitFor(10)));
  EXPECT_TRUE(ZeroFrom(file, 3 * kCqUnitSize));
  EXPECT_FALSE(q->GetUnit(11).has_value());
  // The next unit goes where the lost one was, with nothing stale after it.
  PutRange(*q, 11, 12);
  EXPECT_EQ(Slot(test::ReadFileBytes(File(160)), 3), Encoded(UnitFor(11)));
  EXPECT_TRUE(ZeroFrom(test::ReadFileBytes(File(160)), 4 * kCqUnitSize));
}

// RocketMQ starts checking at the third-last file and trusts the ones before
// it; when that file holds no unit, the end lies in an earlier file (found by
// the queue recovery fuzzer: a short first file followed by empty ones).
TEST_F(ConsumeQueueTest, RecoverLooksBeforeAStartFileThatHoldsNoUnit) {
  {
    auto q = Open();
    PutRange(*q, 0, 3);
  }
  const std::string empty(static_cast<size_t>(kFileSize), '\0');
  for (int64_t f = 1; f <= 3; ++f) std::ofstream(File(f * kFileSize), std::ios::binary) << empty;
  auto q = Open();
  EXPECT_EQ(q->MaxOffset(), 3);
  EXPECT_EQ(q->MaxPhysicOffset(), UnitFor(2).commit_log_offset + UnitFor(2).size);
  EXPECT_EQ(q->file_count(), 1u);
  for (int64_t n = 0; n < 3; ++n) EXPECT_TRUE(q->GetUnit(n).has_value() && q->GetUnit(n)->IsValid());
}

TEST_F(ConsumeQueueTest, RecoverLeavesACleanQueueUntouched) {
  {
    auto q = Open();
    PutRange(*q, 0, 11);
  }
  FaultInjectionFileSystem fs(FileSystem::Default());
  auto q = Open(fs);
  EXPECT_EQ(q->MaxOffset(), 11);
  EXPECT_EQ(fs.mutating_calls(), 0u) << "nothing to zero, nothing to delete";
}

// consumequeue/, its topic and its queue directories made for the first
// unit are each synced into their parents: synced units in a directory whose
// name a power loss drops would be lost with it.
TEST_F(ConsumeQueueTest, DirectoriesMadeForTheFirstUnitSurviveAPowerLoss) {
  FaultInjectionFileSystem fs(FileSystem::Default());
  {
    auto q = Open(fs);
    PutRange(*q, 0, 3);
    ASSERT_TRUE(q->Flush(0).ok());
  }
  ASSERT_TRUE(fs.Crash().ok());
  auto q = Open();
  EXPECT_EQ(q->MaxOffset(), 3);
  EXPECT_EQ(q->GetUnit(2), UnitFor(2));
}

// A power loss can leave the first bytes of a unit on disk and zeros after
// them: unit 4 keeps its offset and size and loses its tagsCode. Recover
// cannot tell; the re-dispatch that brings the record again rewrites it
// (and a tag lookup finds it again). A different unit is not a tear: kept.
TEST_F(ConsumeQueueTest, ARedispatchRewritesAUnitTornByAPowerLoss) {
  {
    auto q = Open();
    PutRange(*q, 0, 5);
  }
  const uint8_t zeros[8] = {};
  test::PatchFile(File(0), 4 * kCqUnitSize + 12, zeros, sizeof zeros);  // unit 4's tagsCode
  const std::vector<uint8_t> other = Encoded({999, 50, 7});
  test::PatchFile(File(0), 2 * kCqUnitSize, other.data(), other.size());
  auto q = Open();
  ASSERT_EQ(q->MaxOffset(), 5);
  ASSERT_EQ(q->GetUnit(4), (ConsumeQueueUnit{400, 100, 0})) << "valid as it stands";
  PutRange(*q, 0, 5);  // the re-dispatch after recovery
  EXPECT_EQ(q->GetUnit(4), UnitFor(4));
  EXPECT_EQ(Slot(test::ReadFileBytes(File(0)), 4), Encoded(UnitFor(4))) << "on disk too";
  const auto found = q->tag_index().NextWithTag(UnitFor(4).tags_code, 4, 5);
  EXPECT_EQ(found.kind, Kind::kFound);
  EXPECT_EQ(q->GetUnit(2), (ConsumeQueueUnit{999, 50, 7}));
  EXPECT_EQ(q->MaxOffset(), 5);
}

// Queue offset 0 is not checked against the queue's end (a queue may start
// again at 0), so a torn unit 0 whose short size still decodes made the
// re-dispatch append the real unit 0 after it, shifting the queue.
TEST_F(ConsumeQueueTest, ARedispatchRewritesATornFirstUnitInsteadOfAppendingAfterIt) {
  const ConsumeQueueUnit first{0, 300, 5}, second{300, 100, 6};  // 300 = 0x012C
  {
    auto q = Open();
    ASSERT_TRUE(q->PutUnit(first.commit_log_offset, first.size, first.tags_code, 0, 1700000000000).ok());
  }
  const uint8_t zeros[9] = {};
  test::PatchFile(File(0), 11, zeros, sizeof zeros);  // size's last byte and tagsCode: {0, 256, 0}
  auto q = Open();
  ASSERT_EQ(q->MaxOffset(), 1);
  ASSERT_EQ(q->GetUnit(0), (ConsumeQueueUnit{0, 256, 0})) << "valid as it stands";
  ASSERT_TRUE(q->PutUnit(first.commit_log_offset, first.size, first.tags_code, 0, 1700000000000).ok());
  ASSERT_TRUE(q->PutUnit(second.commit_log_offset, second.size, second.tags_code, 1, 1700000000001).ok());
  EXPECT_EQ(q->MaxOffset(), 2);
  EXPECT_EQ(q->GetUnit(0), first);
  EXPECT_EQ(q->GetUnit(1), second);
}

TEST_F(ConsumeQueueTest, RecoverOfOnlyBlankPadsReportsNoPhysicOffset) {
  ASSERT_TRUE(FileSystem::Default().CreateDirectories(dir_).ok());
  std::vector<uint8_t> file(kFileSize);
  for (int64_t slot = 0; slot < 3; ++slot) EncodeCqUnit({0, kCqBlankPadSize, 0}, file.data() + slot * kCqUnitSize);
  { std::ofstream(File(0), std::ios::binary).write(reinterpret_cast<const char*>(file.data()), kFileSize); }
  auto q = Open();
  EXPECT_EQ(q->MaxPhysicOffset(), -1) << "RocketMQ would say 0x7FFFFFFF";
  EXPECT_EQ(q->MaxOffset(), 3);
  EXPECT_EQ(q->MinOffset(), 3);
  EXPECT_FALSE(q->GetUnit(2).has_value());
  // The next record goes after the pads.
  ASSERT_TRUE(q->PutUnit(300, 100, 0, 3, 0).ok());
  EXPECT_EQ(q->GetUnit(3), (ConsumeQueueUnit{300, 100, 0}));
  EXPECT_EQ(q->MaxPhysicOffset(), 400);
}

TEST_F(ConsumeQueueTest, TruncateDirtyDropsUnitsAtOrPastTheEndAndZeroesThem) {
  auto q = Open();
  PutRange(*q, 0, 20);
  ASSERT_TRUE(q->TruncateDirty(1050).ok());  // unit 10 at 1000 stays, unit 11 at 1100 goes
  EXPECT_EQ(q->MaxOffset(), 11);
  EXPECT_EQ(q->MaxPhysicOffset(), 1100);
  EXPECT_EQ(q->file_count(), 2u);
  EXPECT_FALSE(FileSystem::Default().Exists(File(320)));
  EXPECT_TRUE(ZeroFrom(test::ReadFileBytes(File(160)), 3 * kCqUnitSize));
  EXPECT_FALSE(q->GetUnit(11).has_value());
  // The tag index forgot the cut units.
  EXPECT_EQ(q->NextWithTag(2, 9, 11).kind, Kind::kNone);  // unit 11 had tag 2
  // The re-dispatched records go back in.
  PutRange(*q, 11, 13);
  EXPECT_EQ(q->MaxOffset(), 13);
  EXPECT_EQ(Slot(test::ReadFileBytes(File(160)), 4), Encoded(UnitFor(12)));
  // And the cut survives a reopen.
  q.reset();
  q = Open();
  EXPECT_EQ(q->MaxOffset(), 13);
}

TEST_F(ConsumeQueueTest, TruncateDirtyAtAFileBoundaryDeletesTheWholeNextFile) {
  auto q = Open();
  PutRange(*q, 0, 20);
  ASSERT_TRUE(q->TruncateDirty(1600).ok());
  EXPECT_EQ(q->MaxOffset(), 16);
  EXPECT_EQ(q->MaxPhysicOffset(), 1600);
  EXPECT_EQ(q->file_count(), 2u);
  PutRange(*q, 16, 17);
  EXPECT_EQ(q->file_count(), 3u);
  EXPECT_EQ(Slot(test::ReadFileBytes(File(320)), 0), Encoded(UnitFor(16)));
  EXPECT_TRUE(ZeroFrom(test::ReadFileBytes(File(320)), kCqUnitSize));
}

TEST_F(ConsumeQueueTest, TruncateDirtyToZeroEmptiesTheQueue) {
  auto q = Open();
  PutRange(*q, 0, 12);
  ASSERT_TRUE(q->TruncateDirty(0).ok());
  EXPECT_EQ(q->file_count(), 0u);
  EXPECT_EQ(q->MaxOffset(), 0);
  EXPECT_EQ(q->MinOffset(), 0);
  EXPECT_EQ(q->MaxPhysicOffset(), -1);
  EXPECT_FALSE(q->GetUnit(0).has_value());
  // Nothing left behind: nothing past the end untouched.
  ASSERT_TRUE(q->TruncateDirty(5000).ok());
  EXPECT_EQ(q->MaxOffset(), 0);
}

TEST_F(ConsumeQueueTest, TruncateDirtyPastTheEndChangesNothing) {
  auto q = Open();
  PutRange(*q, 0, 12);
  const auto before = test::ReadFileBytes(File(160));
  ASSERT_TRUE(q->TruncateDirty(1200).ok());
  EXPECT_EQ(q->MaxOffset(), 12);
  EXPECT_EQ(q->MaxPhysicOffset(), 1200);
  EXPECT_EQ(test::ReadFileBytes(File(160)), before);
}

TEST_F(ConsumeQueueTest, CorrectMinOffsetFindsTheFirstUnitAtOrPastTheLogMin) {
  auto q = Open();
  PutRange(*q, 0, 20);
  q->CorrectMinOffset(1050);
  EXPECT_EQ(q->MinOffset(), 11);
  EXPECT_FALSE(q->GetUnit(10).has_value());
  EXPECT_FALSE(q->ReadUnits(10).has_value());
  EXPECT_TRUE(q->GetUnit(11).has_value());
  // The index answers only from the new min on.
  EXPECT_EQ(q->NextWithTag(1, 0, 20).kind, Kind::kUnknown);
  EXPECT_EQ(q->NextWithTag(1, 11, 20).queue_offset, 13);
  // It never moves back.
  q->CorrectMinOffset(0);
  EXPECT_EQ(q->MinOffset(), 11);
  q->CorrectMinOffset(1600);  // exactly unit 16, in the last file
  EXPECT_EQ(q->MinOffset(), 16);
}

TEST_F(ConsumeQueueTest, CorrectMinOffsetEmptiesTheQueueWhenTheLastUnitIsBelowTheLogMin) {
  auto q = Open();
  PutRange(*q, 0, 12);
  q->CorrectMinOffset(5000);
  EXPECT_EQ(q->MinOffset(), 12);
  EXPECT_EQ(q->MaxOffset(), 12);
  EXPECT_FALSE(q->GetUnit(11).has_value());
  PutRange(*q, 12, 13);
  EXPECT_TRUE(q->GetUnit(12).has_value());
  EXPECT_EQ(q->MinOffset(), 12);
}

TEST_F(ConsumeQueueTest, ReadUnitsStopsAtTheEndOfItsFileAndAtMaxOffset) {
  auto q = Open();
  PutRange(*q, 0, 12);
  auto view = q->ReadUnits(2);
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->first_queue_offset, 2);
  EXPECT_EQ(view->count(), 6u);
  EXPECT_EQ(view->unit(0), UnitFor(2));
  EXPECT_EQ(view->unit(5), UnitFor(7));
  view = q->ReadUnits(9);
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->count(), 3u);
  EXPECT_EQ(view->unit(2), UnitFor(11));
  EXPECT_FALSE(q->ReadUnits(12).has_value());
  EXPECT_FALSE(q->ReadUnits(-1).has_value());
  EXPECT_FALSE(q->GetUnit(12).has_value());
  EXPECT_FALSE(q->GetUnit(-1).has_value());
  EXPECT_EQ(q->GetUnit(11), UnitFor(11));
  // A view pins its file: still readable after the queue deleted it.
  ASSERT_TRUE(q->Destroy().ok());
  EXPECT_EQ(view->unit(1), UnitFor(10));
  EXPECT_FALSE(q->ReadUnits(9).has_value());
}

TEST_F(ConsumeQueueTest, RollNextFileIsTheStartOfTheNextFileInQueueOffsets) {
  auto q = Open();
  EXPECT_EQ(q->RollNextFile(0), 8);
  EXPECT_EQ(q->RollNextFile(7), 8);
  EXPECT_EQ(q->RollNextFile(8), 16);
  EXPECT_EQ(q->RollNextFile(13), 16);
  ConsumeQueue defaults(FileSystem::Default(), ConsumeQueueOptions{dir_, "T", 0});
  EXPECT_EQ(defaults.RollNextFile(5), 300000);
}

TEST_F(ConsumeQueueTest, FlushSyncsOnlyWhenEnoughPagesAreWritten) {
  FaultInjectionFileSystem fs(FileSystem::Default());
  constexpr int64_t kBigFile = 1024 * kCqUnitSize;  // 5 pages
  auto q = Open(fs, kBigFile);
  PutRange(*q, 0, 100);  // 2000 bytes: within page 0
  uint64_t calls = fs.mutating_calls();
  auto done = q->Flush(2);
  ASSERT_TRUE(done.ok());
  EXPECT_FALSE(*done);
  EXPECT_EQ(fs.mutating_calls(), calls) << "one page touched, two needed";
  PutRange(*q, 100, 410);  // 8200 bytes: into page 2
  done = q->Flush(2);
  ASSERT_TRUE(done.ok());
  EXPECT_TRUE(*done);
  EXPECT_EQ(fs.mutating_calls(), calls + 1);
  calls = fs.mutating_calls();
  done = q->Flush(0);
  ASSERT_TRUE(done.ok());
  EXPECT_TRUE(*done);
  EXPECT_EQ(fs.mutating_calls(), calls) << "nothing new";
  PutRange(*q, 410, 411);
  EXPECT_FALSE(*q->Flush(2));
  EXPECT_EQ(fs.mutating_calls(), calls);
  EXPECT_TRUE(*q->Flush(0));
  EXPECT_EQ(fs.mutating_calls(), calls + 1);
  // A full file is flushed whatever the page count.
  PutRange(*q, 411, 1024);
  calls = fs.mutating_calls();
  EXPECT_TRUE(*q->Flush(1000));
  EXPECT_EQ(fs.mutating_calls(), calls + 1);
  // A failed sync is an error, not "flushed".
  PutRange(*q, 1024, 1025);
  fs.FailNthMutatingCall(1, EIO);
  EXPECT_FALSE(q->Flush(0).ok());
  EXPECT_TRUE(*q->Flush(0));
}

TEST_F(ConsumeQueueTest, DestroyRemovesEveryFileAndTheQueueStartsAfresh) {
  auto q = Open();
  PutRange(*q, 0, 12);
  ASSERT_TRUE(q->Destroy().ok());
  EXPECT_EQ(q->file_count(), 0u);
  EXPECT_FALSE(FileSystem::Default().Exists(dir_));
  EXPECT_EQ(q->MaxOffset(), 0);
  EXPECT_EQ(q->MinOffset(), 0);
  EXPECT_EQ(q->MaxPhysicOffset(), -1);
  ASSERT_TRUE(q->PutUnit(300, 100, 0, 3, 0).ok());
  EXPECT_EQ(q->MinOffset(), 3);
  EXPECT_EQ(q->MaxOffset(), 4);
  EXPECT_TRUE(FileSystem::Default().Exists(File(0)));
}

TEST_F(ConsumeQueueTest, LoadRejectsAFileOfTheWrongSizeAndIgnoresOtherNames) {
  ASSERT_TRUE(FileSystem::Default().CreateDirectories(dir_).ok());
  { std::ofstream(dir_ + "/notes.txt") << "x"; }
  {
    ConsumeQueue q(FileSystem::Default(), Options());
    ASSERT_TRUE(q.Load().ok());
    EXPECT_EQ(q.file_count(), 0u);
  }
  { std::ofstream(File(0), std::ios::binary) << std::string(100, '\0'); }
  ConsumeQueue q(FileSystem::Default(), Options());
  EXPECT_FALSE(q.Load().ok());
}

TEST_F(ConsumeQueueTest, PutUnitRejectsAnInvalidUnit) {
  auto q = Open();
  EXPECT_FALSE(q->PutUnit(100, 0, 0, 0, 0).ok());
  EXPECT_FALSE(q->PutUnit(-1, 10, 0, 0, 0).ok());
  EXPECT_FALSE(q->PutUnit(100, 10, 0, -1, 0).ok());
  EXPECT_EQ(q->file_count(), 0u);
}

// One writer, readers beside it: every unit a reader can see is whole.
TEST_F(ConsumeQueueTest, ConcurrentReadersSeeOnlyWholeUnits) {
  constexpr int64_t kUnits = 20000;
  auto q = Open(FileSystem::Default(), 512 * kCqUnitSize);
  std::atomic<bool> done{false};
  std::atomic<int64_t> checked{0};
  auto reader = [&](uint32_t seed) {
    std::mt19937 rng(seed);
    while (!done.load(std::memory_order_acquire)) {
      const int64_t max = q->MaxOffset();
      if (max == 0) continue;
      const int64_t n = static_cast<int64_t>(rng() % static_cast<uint64_t>(max));
      const auto unit = q->GetUnit(n);
      ASSERT_TRUE(unit.has_value()) << n;
      ASSERT_EQ(unit->commit_log_offset, n * 100) << n;
      ASSERT_EQ(unit->size, 100) << n;
      ASSERT_EQ(unit->tags_code, n % 7) << n;
      const auto view = q->ReadUnits(n);
      ASSERT_TRUE(view.has_value()) << n;
      for (size_t i = 0; i < view->count(); ++i)
        ASSERT_EQ(view->unit(i).commit_log_offset, (n + static_cast<int64_t>(i)) * 100) << n << "+" << i;
      const auto tagged = q->NextWithTag(n % 7, n, max);
      ASSERT_EQ(tagged.kind, Kind::kFound) << n;
      ASSERT_EQ(tagged.queue_offset, n);
      checked.fetch_add(1, std::memory_order_relaxed);
    }
  };
  std::thread r1(reader, 1);
  std::thread r2(reader, 2);
  for (int64_t n = 0; n < kUnits; ++n) {
    Status st = q->PutUnit(n * 100, 100, n % 7, n, n);
    if (!st.ok()) {
      ADD_FAILURE() << st.ToString();
      break;
    }
    if (n % 1000 == 0) (void)q->Flush(2);
  }
  done.store(true, std::memory_order_release);
  r1.join();
  r2.join();
  EXPECT_EQ(q->MaxOffset(), kUnits);
  EXPECT_GT(checked.load(), 0);
}

}  // namespace
}  // namespace mqstore
