// CommitLogScanner over the golden stores and damaged copies of them.
#include "storage/offline/commit_log_scanner.h"

#include <gtest/gtest.h>

#include <algorithm>

#include <filesystem>
#include <string>
#include <vector>

#include "tests/storage/store_test_util.h"
#include "tests/support/golden.h"

namespace mqstore {
namespace {

struct Event {
  ScanEventKind kind;
  int64_t offset;
  int32_t size;
  int64_t bytes_left;
  std::string file;  // the event's segment path
  std::string error;
  StatusCode code = StatusCode::kOk;
};

struct Scan {
  std::vector<Event> events;
  std::vector<int64_t> messages, blanks, ends, errors;  // offsets by kind
  const Event* FirstError() const {
    for (const Event& e : events)
      if (e.kind == ScanEventKind::kError) return &e;
    return nullptr;
  }
};

Scan ScanAll(FileSystem& fs, std::vector<SegmentFile> segments, ScanOptions options = {}) {
  CommitLogScanner scanner(fs, std::move(segments), options);
  Scan scan;
  ScanEvent ev;
  uint64_t last_progress = 0;
  while (scanner.Next(ev)) {
    EXPECT_NE(ev.segment, nullptr);
    EXPECT_GE(scanner.bytes_scanned(), last_progress) << "progress never goes back";
    last_progress = scanner.bytes_scanned();
    Event e{ev.kind, ev.offset, ev.size, ev.bytes_left, ev.segment->path, ev.error.message(), ev.error.code()};
    EXPECT_GE(ev.offset, ev.segment->start_offset);
    switch (ev.kind) {
      case ScanEventKind::kMessage:
        EXPECT_EQ(ev.message.physical_offset, ev.offset);
        EXPECT_EQ(ev.message.total_size, ev.size);
        EXPECT_EQ(static_cast<int32_t>(ev.bytes.size()), ev.size);
        scan.messages.push_back(ev.offset);
        break;
      case ScanEventKind::kBlank: scan.blanks.push_back(ev.offset); break;
      case ScanEventKind::kEndOfData: scan.ends.push_back(ev.offset); break;
      case ScanEventKind::kError: scan.errors.push_back(ev.offset); break;
    }
    scan.events.push_back(std::move(e));
  }
  EXPECT_EQ(scanner.bytes_scanned(), scanner.total_bytes()) << "every segment is passed";
  EXPECT_FALSE(scanner.Next(ev)) << "a finished scanner stays finished";
  return scan;
}

Scan ScanRoot(const std::string& root, ScanOptions options = {}) {
  return ScanAll(FileSystem::Default(), test::ListCommitLog(root), options);
}

// Expected message / blank offsets, optionally only those in [from, to).
struct Want {
  std::vector<int64_t> messages, blanks;
};
Want Expected(const std::vector<test::ExpectedRecord>& records, int64_t from = 0, int64_t to = INT64_MAX,
              int64_t skip_from = -1, int64_t skip_to = -1) {
  Want w;
  for (const auto& r : records) {
    if (r.offset < from || r.offset >= to || (r.offset >= skip_from && r.offset < skip_to)) continue;
    (r.blank ? w.blanks : w.messages).push_back(r.offset);
  }
  return w;
}

TEST(CommitLogScanner, GoldenStoreYields943MessagesFiveBlanksAndTheZeroTail) {
  MQ_GOLDEN_OR_SKIP(golden);
  const auto records = test::ReadExpectedRecords(golden + test::kSmallSet);
  const Scan scan = ScanRoot(golden + test::kSmallStore);
  const Want want = Expected(records);
  EXPECT_EQ(scan.messages.size(), 943u);
  EXPECT_EQ(scan.messages, want.messages);
  EXPECT_EQ(scan.blanks, want.blanks);
  EXPECT_TRUE(scan.errors.empty()) << scan.FirstError()->error;
  ASSERT_EQ(scan.ends, std::vector<int64_t>{test::kSmallDataEnd}) << "only the last file ends in zeros";
  // Sizes of every event match the expected storeSize; blanks fill their file.
  size_t i = 0;
  for (const Event& e : scan.events) {
    if (e.kind == ScanEventKind::kEndOfData) {
      EXPECT_EQ(e.bytes_left, 6 * test::kSmallSegmentSize - test::kSmallDataEnd);
      EXPECT_EQ(e.file, golden + test::kSmallStore + "/commitlog/00000000000000327680");
      continue;
    }
    ASSERT_LT(i, records.size());
    EXPECT_EQ(e.offset, records[i].offset);
    EXPECT_EQ(e.size, records[i].size) << "at " << e.offset;
    if (e.kind == ScanEventKind::kBlank) {
      EXPECT_EQ(e.bytes_left, e.size) << "the blank at " << e.offset << " fills its file";
      EXPECT_EQ((e.offset + e.size) % test::kSmallSegmentSize, 0);
    }
    ++i;
  }
  EXPECT_EQ(i, records.size());
}

TEST(CommitLogScanner, OldFormatStoreEndsWithItsBlankAndNoZeroTail) {
  MQ_GOLDEN_OR_SKIP(golden);
  const Scan scan = ScanRoot(golden + test::kOldStore);
  const Want want = Expected(test::ReadExpectedRecords(golden + "/rocketmq-4x-8k"));
  EXPECT_EQ(scan.messages.size(), 47u);
  EXPECT_EQ(scan.messages, want.messages);
  EXPECT_EQ(scan.blanks, std::vector<int64_t>{8084});
  EXPECT_TRUE(scan.ends.empty());
  EXPECT_EQ(scan.events.back().size, 108);
}

TEST(CommitLogScanner, FromAnOffsetInsideASegmentStartsExactlyThere) {
  MQ_GOLDEN_OR_SKIP(golden);
  const auto records = test::ReadExpectedRecords(golden + test::kSmallSet);
  ScanOptions options;
  options.from_offset = 61820;  // the PREPARED record, in the middle of segment 0
  const Scan scan = ScanRoot(golden + test::kSmallStore, options);
  const Want want = Expected(records, 61820);
  ASSERT_FALSE(scan.messages.empty());
  EXPECT_EQ(scan.messages.front(), 61820);
  EXPECT_EQ(scan.messages, want.messages);
  EXPECT_EQ(scan.blanks, want.blanks);
  EXPECT_EQ(scan.blanks.size(), 5u);
  EXPECT_EQ(scan.ends, std::vector<int64_t>{test::kSmallDataEnd});
}

TEST(CommitLogScanner, FromASegmentStartSkipsTheEarlierSegmentsWhole) {
  MQ_GOLDEN_OR_SKIP(golden);
  const auto records = test::ReadExpectedRecords(golden + test::kSmallSet);
  ScanOptions options;
  options.from_offset = 131072;
  const Scan scan = ScanRoot(golden + test::kSmallStore, options);
  const Want want = Expected(records, 131072);
  EXPECT_EQ(scan.messages, want.messages);
  EXPECT_EQ(scan.blanks, (std::vector<int64_t>{192944, 262019, 327520}));
  for (const Event& e : scan.events) EXPECT_GE(e.offset, 131072);
}

TEST(CommitLogScanner, FromTheEndOfDataOrPastTheLogYieldsNoMessages) {
  MQ_GOLDEN_OR_SKIP(golden);
  ScanOptions at_end;
  at_end.from_offset = test::kSmallDataEnd;
  const Scan tail = ScanRoot(golden + test::kSmallStore, at_end);
  EXPECT_TRUE(tail.messages.empty());
  EXPECT_EQ(tail.ends, std::vector<int64_t>{test::kSmallDataEnd});
  ScanOptions past;
  past.from_offset = 6 * test::kSmallSegmentSize;
  EXPECT_TRUE(ScanRoot(golden + test::kSmallStore, past).events.empty());
}

TEST(CommitLogScanner, NoSegmentsYieldNothing) {
  CommitLogScanner scanner(FileSystem::Default(), {});
  ScanEvent ev;
  EXPECT_FALSE(scanner.Next(ev));
  EXPECT_EQ(scanner.total_bytes(), 0u);
}

TEST(CommitLogScanner, BadMagicGivesOneErrorNamingFileAndOffsetThenTheNextSegmentIsScanned) {
  MQ_GOLDEN_OR_SKIP(golden);
  const auto records = test::ReadExpectedRecords(golden + test::kSmallSet);
  test::StoreCopy store(golden + test::kSmallStore);
  // The third record of the second segment (global 69911, in-file 4375).
  test::PatchI32(store.At(test::kSegment1), 4375 + 4, 0x0BADCAFE);
  const Scan scan = ScanRoot(store.root());
  ASSERT_EQ(scan.errors, std::vector<int64_t>{69911}) << "one error, at the record's global offset";
  const Event& err = *scan.FirstError();
  EXPECT_EQ(err.file, store.At(test::kSegment1));
  EXPECT_EQ(err.code, StatusCode::kCorruption);
  EXPECT_NE(err.error.find("bad magic"), std::string::npos) << err.error;
  EXPECT_NE(err.error.find("offset 4379"), std::string::npos) << "the MAGICCODE field's in-file offset: " << err.error;
  EXPECT_NE(err.error.find("0x0BADCAFE"), std::string::npos) << err.error;
  EXPECT_EQ(err.bytes_left, 65536 - 4375);
  // The rest of the second segment (including its blank) is skipped; the
  // third and later segments are scanned in full.
  const Want want = Expected(records, 0, INT64_MAX, 69911, 131072);
  EXPECT_EQ(scan.messages, want.messages);
  EXPECT_EQ(scan.blanks, want.blanks);
  EXPECT_EQ(scan.blanks.size(), 4u);
  EXPECT_EQ(scan.messages.size(), 943u - (60 - 2));  // segment 1 kept its first two of 60
}

TEST(CommitLogScanner, WithResyncTheScanGoesOnAtTheNextValidRecordOfTheSegment) {
  MQ_GOLDEN_OR_SKIP(golden);
  const auto records = test::ReadExpectedRecords(golden + test::kSmallSet);
  test::StoreCopy store(golden + test::kSmallStore);
  test::PatchI32(store.At(test::kSegment1), 4375 + 4, 0x0BADCAFE);  // the record at 69911
  ScanOptions options;
  options.resync = true;
  CommitLogScanner scanner(FileSystem::Default(), test::ListCommitLog(store.root()), options);
  ScanEvent ev;
  std::vector<int64_t> messages, errors;
  int64_t resume = -1;
  while (scanner.Next(ev)) {
    if (ev.kind == ScanEventKind::kMessage) messages.push_back(ev.offset);
    if (ev.kind == ScanEventKind::kError) {
      errors.push_back(ev.offset);
      resume = ev.resume_offset;
    }
  }
  ASSERT_EQ(errors, std::vector<int64_t>{69911});
  // Only the damaged record is missing: the scan resumed at the next one.
  std::vector<int64_t> want;
  for (const auto& r : records)
    if (!r.blank && r.offset != 69911) want.push_back(r.offset);
  EXPECT_EQ(messages, want);
  ASSERT_NE(std::find(want.begin(), want.end(), resume), want.end());
  EXPECT_GT(resume, 69911);
  EXPECT_EQ(*std::upper_bound(want.begin(), want.end(), 69911), resume);
}

TEST(CommitLogScanner, RecordCutByAShortSegmentFileIsAnErrorInThatSegmentOnly) {
  MQ_GOLDEN_OR_SKIP(golden);
  const auto records = test::ReadExpectedRecords(golden + test::kSmallSet);
  test::StoreCopy store(golden + test::kSmallStore);
  std::filesystem::resize_file(store.At(test::kSegment1), 4200);  // cuts the record at 4169 .. 4375
  const Scan scan = ScanRoot(store.root());
  ASSERT_EQ(scan.errors, std::vector<int64_t>{65536 + 4169});
  EXPECT_NE(scan.FirstError()->error.find("truncated"), std::string::npos) << scan.FirstError()->error;
  EXPECT_EQ(scan.FirstError()->bytes_left, 4200 - 4169);
  const Want want = Expected(records, 0, INT64_MAX, 65536 + 4169, 131072);
  EXPECT_EQ(scan.messages, want.messages);
  EXPECT_EQ(scan.blanks, want.blanks);
}

TEST(CommitLogScanner, SegmentFileCutAtARecordBoundaryEndsQuietlyAndTheNextIsScanned) {
  MQ_GOLDEN_OR_SKIP(golden);
  const auto records = test::ReadExpectedRecords(golden + test::kSmallSet);
  test::StoreCopy store(golden + test::kSmallStore);
  std::filesystem::resize_file(store.At(test::kSegment1), 4169);  // exactly after the first record
  const Scan scan = ScanRoot(store.root());
  EXPECT_TRUE(scan.errors.empty());
  const Want want = Expected(records, 0, INT64_MAX, 65536 + 4169, 131072);
  EXPECT_EQ(scan.messages, want.messages);
  EXPECT_EQ(scan.blanks, want.blanks);
}

TEST(CommitLogScanner, SegmentRemovedAfterListingIsAnErrorAndTheNextIsScanned) {
  MQ_GOLDEN_OR_SKIP(golden);
  const auto records = test::ReadExpectedRecords(golden + test::kSmallSet);
  test::StoreCopy store(golden + test::kSmallStore);
  auto segments = test::ListCommitLog(store.root());
  std::filesystem::remove(store.At(test::kSegment2));  // listed, then gone
  const Scan scan = ScanAll(FileSystem::Default(), segments);
  ASSERT_EQ(scan.errors, std::vector<int64_t>{131072});
  EXPECT_EQ(scan.FirstError()->code, StatusCode::kNotFound);
  EXPECT_NE(scan.FirstError()->error.find(store.At(test::kSegment2)), std::string::npos);
  const Want want = Expected(records, 0, INT64_MAX, 131072, 196608);
  EXPECT_EQ(scan.messages, want.messages);
  EXPECT_EQ(scan.blanks, want.blanks);
}

TEST(CommitLogScanner, UnreadableSegmentIsAnErrorAndTheNextIsScanned) {
  MQ_GOLDEN_OR_SKIP(golden);
  const auto records = test::ReadExpectedRecords(golden + test::kSmallSet);
  const std::string root = golden + test::kSmallStore;
  test::UnreadableFileSystem fs({root + test::kSegment0});
  const Scan scan = ScanAll(fs, test::ListCommitLog(root));
  ASSERT_EQ(scan.errors, std::vector<int64_t>{0});
  EXPECT_EQ(scan.FirstError()->code, StatusCode::kIOError);
  EXPECT_EQ(scan.FirstError()->file, root + test::kSegment0);
  const Want want = Expected(records, 65536);
  EXPECT_EQ(scan.messages, want.messages);
  EXPECT_EQ(scan.blanks, want.blanks);
}

}  // namespace
}  // namespace mqstore
