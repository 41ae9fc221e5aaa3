// MessageStore: open / recover / lock / abort marker, many producers, and
// appending after a real RocketMQ store.
#include "storage/message_store.h"

#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "format/checkpoint_format.h"
#include "format/segment_name.h"
#include "storage/log/commit_log_cursor.h"
#include "storage/store_log.h"
#include "tests/storage/engine_test_util.h"
#include "tests/storage/store_test_util.h"
#include "tests/support/golden.h"

namespace mqstore {
namespace {

class MessageStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetLogSink({});
    root_ = tmp_.path() + "/store";
    config_ = test::SmallStoreConfig(root_);
  }
  std::unique_ptr<MessageStore> Open() {
    auto store = MessageStore::Open(config_);
    EXPECT_TRUE(store.ok()) << store.error().ToString();
    return store.ok() ? std::move(*store) : nullptr;
  }
  std::vector<PutResult> PutMany(MessageStore& store, int n, const std::string& topic = "TopicA") {
    std::vector<PutResult> out;
    for (int i = 0; i < n; ++i) {
      test::OwnedMessage m(topic, i % 3, 200 + (i * 13) % 700, topic + std::to_string(i));
      out.push_back(store.Put(m.message()));
      EXPECT_TRUE(out.back().ok()) << out.back().reason;
    }
    return out;
  }
  test::TempDir tmp_;
  std::string root_;
  StoreConfig config_;
};

TEST_F(MessageStoreTest, CleanShutdownRemovesAbortAndReopenContinuesOffsets) {
  auto store = Open();
  ASSERT_TRUE(store);
  EXPECT_TRUE(FileSystem::Default().Exists(root_ + "/abort")) << "abort marks a running store";
  EXPECT_TRUE(FileSystem::Default().Exists(root_ + "/lock"));
  const auto first = PutMany(*store, 200);
  ASSERT_TRUE(store->Shutdown().ok());
  EXPECT_FALSE(FileSystem::Default().Exists(root_ + "/abort"));
  auto cp = ReadCheckpointFile(FileSystem::Default(), StorePaths{root_});
  ASSERT_TRUE(cp.ok());
  EXPECT_EQ(cp->physic_msg_timestamp, first.back().store_timestamp) << "checkpoint: the last flushed record's time";

  store = Open();
  ASSERT_TRUE(store);
  EXPECT_FALSE(store->recovery().abnormal);
  EXPECT_EQ(store->GetMaxPhyOffset(), first.back().wrote_offset + first.back().wrote_bytes);
  EXPECT_EQ(store->NextQueueOffset("TopicA", 0), 67);
  EXPECT_EQ(store->NextQueueOffset("TopicA", 2), 66);
  test::OwnedMessage m("TopicA", 0, 10, "after");
  const PutResult r = store->Put(m.message());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.queue_offset, 67);
  EXPECT_EQ(r.wrote_offset, first.back().wrote_offset + first.back().wrote_bytes);
  ASSERT_TRUE(store->Shutdown().ok());
  test::VerifyClean(root_, config_.mappedFileSizeCommitLog);
}

TEST_F(MessageStoreTest, ASecondOpenOfTheSameRootIsRefused) {
  auto store = Open();
  ASSERT_TRUE(store);
  auto second = MessageStore::Open(config_);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code(), StatusCode::kBusy);
  EXPECT_NE(second.error().message().find("lock"), std::string::npos) << second.error().message();
  ASSERT_TRUE(store->Shutdown().ok());
  auto third = MessageStore::Open(config_);
  EXPECT_TRUE(third.ok()) << "the lock is released on shutdown";
}

TEST_F(MessageStoreTest, AbortFileMakesTheNextOpenRecoverAbnormallyAndCutAGarbageTail) {
  auto store = Open();
  ASSERT_TRUE(store);
  const auto puts = PutMany(*store, 150);
  ASSERT_TRUE(store->Shutdown().ok());
  const int64_t end = puts.back().wrote_offset + puts.back().wrote_bytes;
  // A crash left half a record and garbage after the end, and the abort file.
  const int64_t seg = config_.mappedFileSizeCommitLog;
  const std::string file = root_ + "/commitlog/" + std::string(20 - std::to_string(end / seg * seg).size(), '0') +
                           std::to_string(end / seg * seg);
  test::PatchI32(file, end % seg, 500);              // TOTALSIZE of a record that never finished
  test::PatchI32(file, end % seg + 4, static_cast<int32_t>(kMagicV1));
  test::PatchI64(file, end % seg + 300, 0x1234567890);  // more dirt further on
  { auto f = FileSystem::Default().OpenRandomRW(root_ + "/abort", OpenMode::kCreateIfMissing); ASSERT_TRUE(f.ok()); }

  store = Open();
  ASSERT_TRUE(store);
  const RecoveryReport& rep = store->recovery();
  EXPECT_TRUE(rep.abnormal);
  EXPECT_EQ(rep.end_offset, end);
  EXPECT_GE(rep.bytes_truncated, 308u);
  EXPECT_GT(rep.records_checked, 0u);
  EXPECT_EQ(store->GetMaxPhyOffset(), end);
  EXPECT_EQ(store->NextQueueOffset("TopicA", 0), 50);
  const PutResult r = store->Put(test::OwnedMessage("TopicA", 0, 10, "x").message());
  EXPECT_EQ(r.wrote_offset, end);
  EXPECT_EQ(r.queue_offset, 50);
  ASSERT_TRUE(store->Shutdown().ok());
  test::VerifyClean(root_, seg);
}

TEST_F(MessageStoreTest, RecordsWithUnsafeTopicsAlreadyInTheLogGetNoQueueAndDispatchGoesOn) {
  auto store = Open();
  ASSERT_TRUE(store);
  const auto puts = PutMany(*store, 20);  // TopicA/0 holds queue offsets 0..6
  ASSERT_TRUE(store->Shutdown().ok());
  // Records an older build or another broker wrote: unsafe topics, then
  // good records of TopicA/0 after them.
  const int64_t seg = config_.mappedFileSizeCommitLog;
  int64_t at = puts.back().wrote_offset + puts.back().wrote_bytes;
  const std::string file = root_ + "/commitlog/" + SegmentFileName(at / seg * seg);
  const std::vector<std::string> unsafe = {"../../escape", ".", "a/b", std::string(300, 'x'), "ctl\x01"};
  std::vector<std::string> topics = unsafe;
  topics.push_back("TopicA");
  topics.push_back("TopicA");
  int64_t next_a = 7;
  std::vector<int64_t> good;
  for (const std::string& topic : topics) {
    const std::vector<uint8_t> body(40, 7);
    const std::string props = *SerializeProperties({{"UNIQ_KEY", "raw" + std::to_string(at)}});
    MessageRecordFields f;
    f.topic = topic;
    f.queue_offset = topic == "TopicA" ? next_a++ : 0;
    f.physical_offset = at;
    f.store_timestamp = puts.back().store_timestamp;
    f.body = body;
    f.properties = props;
    f.version = VersionForTopic(topic);
    std::vector<uint8_t> bytes;
    ASSERT_TRUE(EncodeRecordTo(f, bytes).ok());
    test::PatchFile(file, at % seg, bytes.data(), bytes.size());
    if (topic == "TopicA") good.push_back(at);
    at += static_cast<int64_t>(bytes.size());
  }

  store = Open();
  ASSERT_TRUE(store) << "a store holding such records opens";
  EXPECT_EQ(store->GetMaxPhyOffset(), at);
  EXPECT_EQ(store->Stats().bad_topic_records, unsafe.size());
  const GetMessageResult got = store->GetMessage("g", "TopicA", 0, 7, 32);
  ASSERT_EQ(got.messages.size(), 2u) << "the records after the skipped ones are dispatched";
  EXPECT_EQ(got.messages[0].phy_offset, good[0]);
  EXPECT_EQ(got.messages[1].phy_offset, good[1]);
  ASSERT_TRUE(store->Shutdown().ok());
  EXPECT_FALSE(FileSystem::Default().Exists(tmp_.path() + "/escape")) << "nothing outside the store root";
  auto queues = FileSystem::Default().ListDirectory(root_ + "/consumequeue");
  ASSERT_TRUE(queues.ok());
  EXPECT_EQ(*queues, std::vector<std::string>{"TopicA"});
  EXPECT_FALSE(FileSystem::Default().Exists(root_ + "/abort")) << "the shutdown was clean";

  // verify names each such record, and nothing else.
  StoreReadOptions options;
  options.commit_log_file_size = seg;
  options.consume_queue_file_size = test::kSmallCqFileSize;
  options.index_geometry = IndexGeometry{test::kSmallIndexSlots, test::kSmallIndexSlots * 4};
  std::vector<VerifyProblem> problems;
  VerifyCallbacks cb;
  cb.on_problem = [&](const VerifyProblem& p) { problems.push_back(p); };
  auto report = VerifyStore(FileSystem::Default(), StorePaths{root_}, options, cb);
  ASSERT_TRUE(report.ok());
  ASSERT_EQ(problems.size(), unsafe.size());
  for (const VerifyProblem& p : problems)
    EXPECT_NE(p.what.find("cannot name a consume-queue directory"), std::string::npos) << p.what;
}

TEST_F(MessageStoreTest, EightProducersLeaveAGaplessLogThatVerifies) {
  config_.mappedFileSizeCommitLog = 256 * 1024;
  auto store = Open();
  ASSERT_TRUE(store);
  constexpr int kThreads = 8, kPerThread = 500;
  std::vector<std::thread> threads;
  std::vector<std::vector<PutResult>> results(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        test::OwnedMessage m("Topic" + std::to_string(t % 3), i % 4, 50 + (t * 131 + i * 17) % 2000,
                             std::to_string(t) + "-" + std::to_string(i));
        results[t].push_back(store->Put(m.message()));
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_TRUE(store->Flush().ok());
  // Physical order: offsets contiguous; per queue, queue offsets 0,1,2,...
  std::map<std::pair<std::string, int32_t>, int64_t> next;
  CommitLogCursor cursor = store->NewCursor(0);
  int64_t expected_offset = 0, count = 0;
  for (auto e = cursor.Next(); e.kind == CommitLogCursor::Kind::kMessage; e = cursor.Next()) {
    if (e.offset != expected_offset) {
      EXPECT_EQ(e.offset % config_.mappedFileSizeCommitLog, 0) << "only a file change may skip bytes";
    }
    EXPECT_TRUE(e.message.BodyCrcMatches());
    int64_t& q = next[{std::string(e.message.topic), e.message.queue_id}];
    EXPECT_EQ(e.message.queue_offset, q++);
    expected_offset = e.offset + e.size;
    ++count;
  }
  EXPECT_EQ(count, kThreads * kPerThread);
  for (const auto& per_thread : results)
    for (const PutResult& r : per_thread) EXPECT_TRUE(r.ok()) << r.reason;
  ASSERT_TRUE(store->Shutdown().ok());
  const VerifyReport report = test::VerifyClean(root_, config_.mappedFileSizeCommitLog);
  EXPECT_EQ(report.records, static_cast<uint64_t>(kThreads * kPerThread));
}

TEST_F(MessageStoreTest, ReopensTheGoldenRocketMqStoreAndAppendsAfterIt) {
  MQ_GOLDEN_OR_SKIP(golden);
  test::StoreCopy copy(golden + test::kSmallStore);
  config_.storePathRootDir = copy.root();
  config_.maxMessageSize = 4 * 1024 * 1024;
  config_.writeWithoutMmap = true;
  config_.mappedFileSizeConsumeQueue = 6000;  // what the golden broker used
  config_.maxHashSlotNum = 100;
  config_.maxIndexNum = 400;
  auto store = MessageStore::Open(config_);
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  EXPECT_EQ((*store)->GetMaxPhyOffset(), test::kSmallDataEnd);
  EXPECT_EQ((*store)->redispatched_at_open(), 0u) << "RocketMQ's queues and index were complete";
  const int64_t before = (*store)->NextQueueOffset("TopicTest", 0);
  EXPECT_EQ((*store)->GetMaxOffsetInQueue("TopicTest", 0), before) << "loaded from the golden consume queue";
  const PutResult r = (*store)->Put(test::OwnedMessage("TopicTest", 0, 100, "appended").message());
  ASSERT_TRUE(r.ok()) << r.reason;
  EXPECT_EQ(r.wrote_offset, test::kSmallDataEnd);
  EXPECT_EQ(r.queue_offset, before);
  test::WaitDispatched(**store);
  EXPECT_EQ((*store)->GetCommitLogOffsetInQueue("TopicTest", 0, before), r.wrote_offset);
  EXPECT_EQ((*store)->QueryMessage("TopicTest", "appended", 32, 0, INT64_MAX).messages.size(), 1u);
  ASSERT_TRUE((*store)->Shutdown().ok());
  StoreReadOptions options;
  options.commit_log_file_size = test::kSmallSegmentSize;
  options.consume_queue_file_size = 6000;
  options.index_geometry = IndexGeometry{100, 400};
  auto report = VerifyStore(FileSystem::Default(), StorePaths{copy.root()}, options, {});
  ASSERT_TRUE(report.ok());
  // RocketMQ's files extended by the engine: one more record, unit and
  // two index entries (UNIQ_KEY and KEYS), and nothing wrong anywhere.
  EXPECT_EQ(report->records, 944u);
  EXPECT_EQ(report->cq_units, 942u);
  EXPECT_EQ(report->problems, 0u);
}

}  // namespace
}  // namespace mqstore
