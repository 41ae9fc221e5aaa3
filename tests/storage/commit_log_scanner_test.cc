#include "storage/commit_log_scanner.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <vector>

#include "storage/commit_log_reader.h"
#include "tests/storage/store_test_util.h"
#include "tests/support/golden.h"

namespace mqstore {
namespace {

struct Seen {
  std::vector<int64_t> messages, blanks, ends, errors;
  std::vector<std::string> error_text;
};

Seen ScanAll(const std::string& root, ScanOptions options = {}) {
  auto segments = ListSegments(FileSystem::Default(), StorePaths{root}.CommitLogDir());
  EXPECT_TRUE(segments.ok());
  CommitLogScanner scanner(FileSystem::Default(), *segments, options);
  Seen seen;
  ScanEvent ev;
  while (scanner.Next(ev)) {
    switch (ev.kind) {
      case ScanEventKind::kMessage:
        EXPECT_EQ(ev.message.physical_offset, ev.offset);
        EXPECT_EQ(static_cast<int32_t>(ev.bytes.size()), ev.size);
        seen.messages.push_back(ev.offset);
        break;
      case ScanEventKind::kBlank: seen.blanks.push_back(ev.offset); break;
      case ScanEventKind::kEndOfData: seen.ends.push_back(ev.offset); break;
      case ScanEventKind::kError:
        seen.errors.push_back(ev.offset);
        seen.error_text.push_back(ev.segment->path + ": " + ev.error.message());
        break;
    }
  }
  EXPECT_EQ(scanner.bytes_scanned(), scanner.total_bytes());
  return seen;
}

TEST(CommitLogScanner, WalksEveryGoldenRecordInPhysicalOrder) {
  MQ_GOLDEN_OR_SKIP(golden);
  const std::string root = golden + test::kSmallStore;
  const Seen seen = ScanAll(root);
  std::vector<int64_t> want_messages, want_blanks;
  for (const auto& r : test::ReadJsonLines(golden + "/rocketmq-4.9.8-small/expected-commitlog.jsonl"))
    (r.Has("blank") ? want_blanks : want_messages).push_back(r["commitLogOffset"].i);
  EXPECT_EQ(seen.messages, want_messages);
  EXPECT_EQ(seen.blanks, want_blanks);
  EXPECT_EQ(seen.ends, std::vector<int64_t>{383282}) << "the last file ends in zeros";
  EXPECT_TRUE(seen.errors.empty());
}

TEST(CommitLogScanner, StartsFromAnOffsetInsideOrAtTheStartOfASegment) {
  MQ_GOLDEN_OR_SKIP(golden);
  const std::string root = golden + test::kSmallStore;
  ScanOptions from_inside;
  from_inside.from_offset = 61820;
  Seen a = ScanAll(root, from_inside);
  ASSERT_FALSE(a.messages.empty());
  EXPECT_EQ(a.messages.front(), 61820);
  ScanOptions from_start;
  from_start.from_offset = 131072;
  Seen b = ScanAll(root, from_start);
  ASSERT_FALSE(b.messages.empty());
  EXPECT_EQ(b.messages.front(), 131072);
  EXPECT_EQ(b.blanks.size(), 3u);
}

TEST(CommitLogScanner, ABadRecordEndsItsSegmentAndScanningGoesOnWithTheNext) {
  MQ_GOLDEN_OR_SKIP(golden);
  test::TempDir tmp;
  const std::string root = tmp.path() + "/store";
  test::CopyTree(golden + test::kSmallStore, root);
  test::PatchI32(root + test::kSegment1, 4 + 4169, 0x12345678);  // magic of the second record in segment 1
  const Seen seen = ScanAll(root);
  ASSERT_EQ(seen.errors, std::vector<int64_t>{65536 + 4169});
  EXPECT_NE(seen.error_text[0].find("00000000000000065536"), std::string::npos);
  EXPECT_NE(seen.error_text[0].find("bad magic at offset 4173"), std::string::npos) << seen.error_text[0];
  EXPECT_EQ(seen.blanks.size(), 4u) << "segment 1 lost its blank, the others kept theirs";
  EXPECT_NE(std::find(seen.messages.begin(), seen.messages.end(), 131072), seen.messages.end());
}

TEST(CommitLogScanner, ShortAndMissingSegmentsAreReportedNotFatal) {
  MQ_GOLDEN_OR_SKIP(golden);
  test::TempDir tmp;
  const std::string root = tmp.path() + "/store";
  test::CopyTree(golden + test::kSmallStore, root);
  std::filesystem::resize_file(root + test::kSegment1, 4200);  // cuts the second record (4169 .. 4375)
  auto segments = *ListSegments(FileSystem::Default(), root + "/commitlog");
  std::filesystem::remove(root + test::kSegment2);  // listed, then gone
  CommitLogScanner scanner(FileSystem::Default(), segments);
  std::vector<int64_t> errors;
  ScanEvent ev;
  size_t messages = 0;
  while (scanner.Next(ev)) {
    if (ev.kind == ScanEventKind::kError) errors.push_back(ev.offset);
    if (ev.kind == ScanEventKind::kMessage) ++messages;
  }
  EXPECT_EQ(errors, (std::vector<int64_t>{65536 + 4169, 131072}));
  EXPECT_GT(messages, 700u);
}

TEST(CommitLogReader, ReadsRecordsByOffsetAndRefusesEverythingElse) {
  MQ_GOLDEN_OR_SKIP(golden);
  const std::string root = golden + test::kSmallStore;
  CommitLogReader reader(FileSystem::Default(), *ListSegments(FileSystem::Default(), root + "/commitlog"));
  size_t n = 0;
  for (const auto& r : test::ReadJsonLines(golden + "/rocketmq-4.9.8-small/expected-commitlog.jsonl")) {
    auto m = reader.ReadMessage(r["commitLogOffset"].i);
    if (r.Has("blank")) {
      EXPECT_FALSE(m.ok());
      EXPECT_EQ(m.error().code(), StatusCode::kCorruption);
      continue;
    }
    ASSERT_TRUE(m.ok()) << m.error().ToString();
    EXPECT_EQ(m->topic, r["topic"].s);
    ++n;
  }
  EXPECT_EQ(n, 943u);
  EXPECT_EQ(reader.ReadMessage(1).error().code(), StatusCode::kCorruption) << "not a record start";
  EXPECT_EQ(reader.ReadMessage(-1).error().code(), StatusCode::kNotFound);
  EXPECT_EQ(reader.ReadMessage(10 * 65536).error().code(), StatusCode::kNotFound);
  EXPECT_EQ(reader.MinOffset(), 0);
}

}  // namespace
}  // namespace mqstore
