// CommitLog::AppendRecords: records encoded ahead (EncodeTo), of several
// topics and queues, appended in bounded holds: byte for byte what Put
// stores for the same messages, across segment ends, on both backends, and
// beside producers putting at the same time.
#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "format/sys_flag.h"
#include "storage/io/fake_clock.h"
#include "storage/log/commit_log.h"
#include "storage/log/commit_log_cursor.h"
#include "storage/store_log.h"
#include "tests/storage/engine_test_util.h"
#include "tests/support/golden.h"

namespace mqstore {
namespace {

constexpr int64_t kSegment = 64 * 1024;

class AppendRecordsTest : public ::testing::TestWithParam<WriteBackend> {
 protected:
  void SetUp() override { SetLogSink({}); }
  std::unique_ptr<CommitLog> OpenLog(const std::string& name, Clock& clock) {
    CommitLogOptions o;
    o.dir = tmp_.path() + "/" + name;
    o.segment_size = kSegment;
    o.backend = GetParam();
    o.prefault_ahead = 0;
    o.append_buffer_bytes = 64 * 1024;
    o.limits.max_record_size = 16 * 1024;
    o.limits.max_message_size = 16 * 1024;
    auto log = std::make_unique<CommitLog>(Env(FileSystem::Default(), clock), o);
    EXPECT_TRUE(log->Load().ok());
    EXPECT_TRUE(log->Recover(false, 0).ok());
    return log;
  }
  // Everything the log holds, committed, as one byte string per segment.
  static std::vector<std::vector<uint8_t>> Bytes(CommitLog& log) {
    EXPECT_TRUE(log.Commit().ok());
    std::vector<std::vector<uint8_t>> out;
    for (const auto& s : log.Segments()) out.emplace_back(s->data().begin(), s->data().begin() + s->committed());
    return out;
  }
  // Three topics, five queues, bodies of 100 to 3,000 bytes, every fifth
  // a transaction prepared record (no queue offset): ~25 segments' worth.
  static std::vector<test::OwnedMessage> Messages(int n) {
    std::vector<test::OwnedMessage> out;
    for (int i = 0; i < n; ++i) {
      const std::string topic = i % 3 == 0 ? "TopicA" : i % 3 == 1 ? "TopicB" : "TopicWithALongerName";
      const int32_t flag = i % 5 == 4 ? sysflag::kTransactionPreparedType : 0;
      out.emplace_back(topic, i % 5, 100 + (i * 397) % 2900, "k" + std::to_string(i), flag);
    }
    return out;
  }
  test::TempDir tmp_;
};

TEST_P(AppendRecordsTest, StoresTheBytesPutStoresAcrossSegmentEnds) {
  FakeClock clock;
  auto by_put = OpenLog("put", clock);
  auto in_bulk = OpenLog("bulk", clock);
  const auto messages = Messages(1000);
  for (const auto& m : messages) ASSERT_TRUE(by_put->Put(m.message()).ok());

  EncodedRecords batch;
  for (const auto& m : messages) {
    const size_t at = batch.bytes.size();
    ASSERT_TRUE(in_bulk->EncodeTo(m.message(), batch.bytes).ok());
    batch.AddRecord(at, m.topic, m.queue_id);
  }
  size_t holds = 0;
  for (size_t from = 0; from < batch.records.size(); ++holds) {
    const auto r = in_bulk->AppendRecords(batch, from, 300);
    ASSERT_TRUE(r.put.ok()) << r.put.reason;
    ASSERT_GT(r.appended, 0u);
    ASSERT_LE(r.appended, 300u);
    EXPECT_EQ(r.put.msg_count, static_cast<int32_t>(r.appended));
    from += r.appended;
  }
  EXPECT_GE(holds, 4u);
  ASSERT_GE(by_put->SegmentCount(), 10u) << "the test must cross segment ends";
  const auto expected = Bytes(*by_put);
  const auto got = Bytes(*in_bulk);
  ASSERT_EQ(got.size(), expected.size());
  for (size_t s = 0; s < got.size(); ++s) EXPECT_TRUE(got[s] == expected[s]) << "segment " << s << " differs";
  EXPECT_EQ(in_bulk->QueueOffsets().size(), by_put->QueueOffsets().size());
  for (const auto& e : by_put->QueueOffsets())
    EXPECT_EQ(in_bulk->NextQueueOffset(e.topic, e.queue_id), e.next_offset) << e.topic << "/" << e.queue_id;
  EXPECT_EQ(in_bulk->WroteOffset(), by_put->WroteOffset());
}

TEST_P(AppendRecordsTest, AHoldIsBoundedAndTheRestFollowsInTheNext) {
  FakeClock clock;
  auto log = OpenLog("bulk", clock);
  EncodedRecords batch;
  test::OwnedMessage m("TopicA", 0, 10, "k");
  for (size_t i = 0; i < CommitLog::kMaxRecordsPerHold + 10; ++i) {
    const size_t at = batch.bytes.size();
    ASSERT_TRUE(log->EncodeTo(m.message(), batch.bytes).ok());
    batch.AddRecord(at, m.topic, m.queue_id);
  }
  // The mmap backend stops at the record count; this write ring (64 KiB)
  // at a quarter of itself.
  const size_t per_hold = GetParam() == WriteBackend::kMmap ? CommitLog::kMaxRecordsPerHold
                                                            : 16 * 1024 / batch.records.front().size;
  size_t from = 0;
  while (from < batch.records.size()) {
    const auto r = log->AppendRecords(batch, from, batch.records.size());
    ASSERT_TRUE(r.put.ok());
    EXPECT_EQ(r.appended, std::min(per_hold, batch.records.size() - from));
    from += r.appended;
  }
  EXPECT_EQ(log->NextQueueOffset("TopicA", 0), static_cast<int64_t>(batch.records.size()));
}

TEST_P(AppendRecordsTest, EncodeToRefusesWhatPutRefuses) {
  FakeClock clock;
  auto log = OpenLog("bulk", clock);
  std::vector<uint8_t> out(3, 7);
  test::OwnedMessage bad_topic("a/b", 0, 10, "k");
  EXPECT_EQ(log->EncodeTo(bad_topic.message(), out).status, log->Put(bad_topic.message()).status);
  test::OwnedMessage too_big("TopicA", 0, 20 * 1024, "k");
  EXPECT_EQ(log->EncodeTo(too_big.message(), out).status, PutStatus::kMessageIllegal);
  EXPECT_EQ(log->Put(too_big.message()).status, PutStatus::kMessageIllegal);
  EXPECT_EQ(out, std::vector<uint8_t>(3, 7)) << "a refused record leaves nothing behind";
}

// Producers put while one thread appends in bulk to the same queues: every
// queue's offsets come out 0, 1, 2, ... in log order, each record whole.
TEST_P(AppendRecordsTest, BulkAppendsAndPutsInterleaveWithContiguousQueueOffsets) {
  auto log = OpenLog("bulk", Clock::System());
  log->Start();
  constexpr int kPerProducer = 2000;
  constexpr int kBulk = 6000;
  EncodedRecords batch;
  for (int i = 0; i < kBulk; ++i) {
    test::OwnedMessage m(i % 2 ? "TopicA" : "TopicB", i % 3, 50 + i % 200, "b" + std::to_string(i));
    const size_t at = batch.bytes.size();
    ASSERT_TRUE(log->EncodeTo(m.message(), batch.bytes).ok());
    batch.AddRecord(at, m.topic, m.queue_id);
  }
  std::vector<std::thread> producers;
  for (int p = 0; p < 2; ++p)
    producers.emplace_back([&, p] {
      for (int i = 0; i < kPerProducer; ++i) {
        test::OwnedMessage m("TopicA", i % 3, 80, "p" + std::to_string(p) + "-" + std::to_string(i));
        ASSERT_TRUE(log->Put(m.message()).ok());
      }
    });
  for (size_t from = 0; from < batch.records.size();) {
    const auto r = log->AppendRecords(batch, from, 500);
    ASSERT_TRUE(r.put.ok()) << r.put.reason;
    from += r.appended;
  }
  for (auto& t : producers) t.join();
  log->Stop();
  ASSERT_TRUE(log->Commit().ok());

  std::map<std::pair<std::string, int32_t>, int64_t> next;
  CommitLogCursor cursor(*log, 0, RecordDecodeOptions{});
  int records = 0;
  for (auto e = cursor.Next(); e.kind == CommitLogCursor::Kind::kMessage; e = cursor.Next(), ++records) {
    int64_t& expected = next[{std::string(e.message.topic), e.message.queue_id}];
    ASSERT_EQ(e.message.queue_offset, expected) << e.message.topic << "/" << e.message.queue_id;
    ASSERT_EQ(e.message.physical_offset, e.offset);
    ++expected;
  }
  EXPECT_EQ(records, kBulk + 2 * kPerProducer);
  for (const auto& [queue, n] : next) EXPECT_EQ(log->NextQueueOffset(queue.first, queue.second), n);
}

INSTANTIATE_TEST_SUITE_P(Backends, AppendRecordsTest, ::testing::Values(WriteBackend::kMmap, WriteBackend::kWrite),
                         [](const auto& info) { return info.param == WriteBackend::kMmap ? "Mmap" : "Write"; });

}  // namespace
}  // namespace mqstore
