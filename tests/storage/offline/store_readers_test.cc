// Consume-queue and index readers, and the store summary, on the golden store.
#include <gtest/gtest.h>

#include <filesystem>
#include <limits>
#include <map>

#include "storage/offline/consume_queue_reader.h"
#include "storage/offline/index_file_reader.h"
#include "storage/offline/store_summary.h"
#include "tests/storage/store_test_util.h"
#include "tests/support/golden.h"

namespace mqstore {
namespace {

TEST(ConsumeQueueReader, RangesMatchWhatRocketMqReports) {
  MQ_GOLDEN_OR_SKIP(golden);
  const StorePaths paths{golden + test::kSmallStore};
  auto queues = ListConsumeQueues(FileSystem::Default(), paths);
  ASSERT_TRUE(queues.ok());
  ASSERT_EQ(queues->size(), 8u);
  std::map<std::pair<std::string, int32_t>, ConsumeQueueReader::Range> ranges;
  for (const auto& loc : *queues) {
    auto reader = ConsumeQueueReader::Open(FileSystem::Default(), loc);
    ASSERT_TRUE(reader.ok());
    EXPECT_EQ(reader->file_size(), 6000);
    ranges[{loc.topic, loc.queue_id}] = *reader->ComputeRange(0);
  }
  for (const auto& q : test::ReadJsonLines(golden + "/rocketmq-4.9.8-small/expected-queues.jsonl")) {
    const auto& r = ranges[{q["queue"].s, static_cast<int32_t>(q["queueId"].i)}];
    EXPECT_EQ(r.min_offset, q["minOffset"].i) << q["queue"].s;
    EXPECT_EQ(r.max_offset, q["maxOffset"].i) << q["queue"].s;
  }
  EXPECT_EQ((ranges[{"TopicD", 0}].units), 700u) << "a full file continues into the next";
}

TEST(ConsumeQueueReader, MinOffsetSkipsUnitsBelowTheCommitLogMinimum) {
  MQ_GOLDEN_OR_SKIP(golden);
  const StorePaths paths{golden + test::kSmallStore};
  const auto queues = ListConsumeQueues(FileSystem::Default(), paths);
  ASSERT_TRUE(queues.ok());
  for (const auto& loc : *queues) {
    if (loc.topic != "TopicA" || loc.queue_id != 0) continue;
    auto reader = ConsumeQueueReader::Open(FileSystem::Default(), loc);
    ASSERT_TRUE(reader.ok());
    // Units 0 and 1 of TopicA/0 point at offsets 0 and 6512: with the log's
    // minimum at 6000, the queue's minimum becomes unit 1.
    EXPECT_EQ(reader->ComputeRange(6000)->min_offset, 1);
  }
}

TEST(ConsumeQueueReader, AWrongSizedFileIsCorruption) {
  MQ_GOLDEN_OR_SKIP(golden);
  test::TempDir tmp;
  test::CopyTree(golden + test::kSmallStore, tmp.path() + "/store");
  const std::string file = tmp.path() + "/store/consumequeue/TopicB/0/00000000000000000000";
  std::filesystem::resize_file(file, 5000);
  ConsumeQueueLocation loc{"TopicB", 0, tmp.path() + "/store/consumequeue/TopicB/0",
                           *ListSegments(FileSystem::Default(), tmp.path() + "/store/consumequeue/TopicB/0")};
  auto reader = ConsumeQueueReader::Open(FileSystem::Default(), loc, 6000);
  ASSERT_TRUE(reader.ok());
  Status st = reader->ForEachUnit([](int64_t, const ConsumeQueueUnit&) {});
  EXPECT_EQ(st.code(), StatusCode::kCorruption);
  EXPECT_NE(st.message().find(file), std::string::npos);
  EXPECT_FALSE(ConsumeQueueReader::Open(FileSystem::Default(), loc, 6001).ok()) << "not a multiple of 20";
}

TEST(IndexFileReader, QueriesAcrossFilesReproduceRocketMqAnswers) {
  MQ_GOLDEN_OR_SKIP(golden);
  const StorePaths paths{golden + test::kSmallStore};
  std::vector<IndexFileReader> readers;
  const auto files = ListIndexFiles(FileSystem::Default(), paths);
  ASSERT_TRUE(files.ok());
  for (const auto& f : *files) {
    auto r = IndexFileReader::Open(FileSystem::Default(), f);
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    EXPECT_EQ(r->CountUsedSlots(), r->header().hash_slot_count);
    readers.push_back(std::move(*r));
  }
  ASSERT_EQ(readers.size(), 5u);
  for (const auto& q : test::ReadJsonLines(golden + "/rocketmq-4.9.8-small/expected-queries.jsonl")) {
    const std::string full = q["query"].s;
    const size_t hash = full.find('#');
    std::vector<int64_t> want;
    for (const auto& v : q["commitLogOffsets"].array) want.push_back(v.i);
    EXPECT_EQ(QueryIndexOffsets(readers, full.substr(0, hash), full.substr(hash + 1), 64, 0,
                                std::numeric_limits<int64_t>::max()),
              want)
        << full;
  }
  // A time window before every file finds nothing.
  EXPECT_TRUE(QueryIndexOffsets(readers, "TopicA", "customer-3", 64, 0, 1000).empty());
}

TEST(IndexFileReader, AFileMatchingNoGeometryIsAClearError) {
  MQ_GOLDEN_OR_SKIP(golden);
  test::TempDir tmp;
  test::CopyTree(golden + test::kSmallStore, tmp.path() + "/store");
  auto files = *ListIndexFiles(FileSystem::Default(), StorePaths{tmp.path() + "/store"});
  std::filesystem::resize_file(files[0].path, 8441);
  files[0].size = 8441;
  auto r = IndexFileReader::Open(FileSystem::Default(), files[0]);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("maxHashSlotNum"), std::string::npos);
  auto sized = IndexFileReader::Open(FileSystem::Default(), files[0], IndexGeometry{100, 400});
  ASSERT_FALSE(sized.ok());
  EXPECT_EQ(sized.error().code(), StatusCode::kCorruption);
}

TEST(StoreSummary, GoldenStoreSummaryMatchesTheExpectedFiles) {
  MQ_GOLDEN_OR_SKIP(golden);
  auto s = SummarizeStore(FileSystem::Default(), StorePaths{golden + test::kSmallStore}, {});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->segment_size, 65536);
  ASSERT_EQ(s->segments.size(), 6u);
  EXPECT_EQ(s->records, 943u);
  EXPECT_EQ(s->transaction_half_or_rollback, 2u);
  EXPECT_EQ(s->min_phy_offset, 0);
  EXPECT_EQ(s->max_phy_offset, 383282);
  const int64_t blanks[] = {1909, 3748, 3664, 125, 160};
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(s->segments[i].tail, SegmentSummary::Tail::kBlank);
    EXPECT_EQ(s->segments[i].tail_size, blanks[i]);
    EXPECT_EQ(s->segments[i].data_end + blanks[i], s->segments[i].file.start_offset + 65536);
  }
  EXPECT_EQ(s->segments[5].tail, SegmentSummary::Tail::kZeros);
  EXPECT_EQ(s->segments[0].first_record_offset, 0);
  EXPECT_EQ(s->segments[0].records, 64u);
  EXPECT_EQ((s->queues[{"TopicD", 0}].messages), 700u);
  EXPECT_EQ((s->queues[{"TopicD", 0}].max_queue_offset), 699);
  EXPECT_EQ(s->consume_queues.size(), 8u);
  EXPECT_EQ(s->index_files.size(), 5u);
  const auto cp = test::ReadJsonLines(golden + "/rocketmq-4.9.8-small/expected-checkpoint.json")[0];
  EXPECT_TRUE(s->checkpoint_present);
  EXPECT_EQ(s->checkpoint.physic_msg_timestamp, cp["physicMsgTimestamp"].i);
  EXPECT_EQ(s->checkpoint.index_msg_timestamp, cp["indexMsgTimestamp"].i);
  EXPECT_FALSE(s->abort_present);
}

TEST(StoreSummary, NotADirectoryIsAnError) {
  EXPECT_FALSE(SummarizeStore(FileSystem::Default(), StorePaths{"/nonexistent/store"}, {}).ok());
}

}  // namespace
}  // namespace mqstore
