// Soak (label "slow", its own binary): three simulated days of a store with
// 64 KiB segments, producers, the dispatcher, readers and the cleanup
// thread all running. Time is a FakeClock moved in 10-minute steps: each
// step the producers put a quota, the segments written are stamped with the
// simulated time, and the clock moves on. The disk is a simulated 60-segment
// partition. Checked: disk use stays bounded, nothing is deleted before it
// expired (no forced deletion happens at this rate), readers never see a
// wrong record, and at the end queues and index agree with the log.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>

#include "format/properties.h"
#include "storage/io/fake_clock.h"
#include "storage/message_store.h"
#include "storage/store_log.h"
#include "tests/storage/engine_test_util.h"
#include "tests/support/golden.h"

namespace mqstore {
namespace {

constexpr int64_t kHour = 3600 * 1000;
constexpr int64_t kStep = 10 * 60 * 1000;
constexpr int64_t kSegment = 64 * 1024;
constexpr int64_t kCapacitySegments = 60;
constexpr int kQueues = 4;
constexpr int kPerStep = 30;
constexpr int kSteps = 3 * 24 * 6;

class CleanupSoak : public ::testing::Test {
 protected:
  void SetUp() override {
    SetLogSink({});
    config_ = test::SmallStoreConfig(tmp_.path() + "/store", /*write_backend=*/true, kSegment);
    config_.fileReservedTime = 2;
    config_.deleteWhen = "04";
    config_.cleanResourceInterval = 2;
    config_.deleteCommitLogFilesInterval = 0;
    config_.deleteConsumeQueueFilesInterval = 0;
    config_.destroyMapedFileIntervalForcibly = 30 * 60 * 1000;  // three steps
  }
  void TearDown() override { SetLogSink({}); }

  DiskUseProbe DiskUse() {
    return [this](const std::string&) {
      return static_cast<double>(segments_.load()) / static_cast<double>(kCapacitySegments);
    };
  }

  // Runs `quota_` puts spread over two producers.
  void Produce(MessageStore& store, int id) {
    while (!stop_.load()) {
      const int64_t n = next_.fetch_add(1);
      if (n >= limit_.load()) {
        next_.fetch_sub(1);
        std::this_thread::sleep_for(std::chrono::microseconds(200));
        continue;
      }
      test::OwnedMessage m("Soak", static_cast<int32_t>(n % kQueues), 700 + id * 100, "s" + std::to_string(n));
      const PutResult r = store.Put(m.message());
      if (!r.ok()) {
        refused_.fetch_add(1);
        next_.fetch_sub(1);  // not stored: the quota is put again
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      } else {
        stored_.fetch_add(1);
      }
    }
  }

  // Pulls each queue forward; every record must be the unit's.
  void Read(MessageStore& store) {
    std::map<int, int64_t> at;
    while (!stop_.load()) {
      for (int q = 0; q < kQueues; ++q) {
        const GetMessageResult got = store.GetMessage("g", "Soak", q, at[q], 16);
        for (const FoundMessage& f : got.messages) {
          RecordDecodeOptions o;
          auto rec = DecodeRecord(f.bytes, o);
          if (!rec.ok() || rec->message.queue_offset != f.queue_offset || rec->message.queue_id != q) bad_reads_++;
          reads_++;
        }
        at[q] = got.next_begin_offset;
      }
    }
  }

  test::TempDir tmp_;
  StoreConfig config_;
  // Hour 0 (UTC, the FakeClock's hours) of the simulated days.
  const int64_t start_ = 1'700'000'000'000 / (24 * kHour) * (24 * kHour);
  FakeClock clock_{start_};
  std::atomic<int64_t> segments_{0};
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> next_{0}, limit_{0};
  std::atomic<uint64_t> stored_{0}, refused_{0}, reads_{0}, bad_reads_{0};
};

TEST_F(CleanupSoak, ThreeSimulatedDaysStayInsideTheDiskAndLoseNothingUnexpired) {
  StoreHooks hooks;
  hooks.disk_used = DiskUse();
  auto opened = MessageStore::Open(config_, Env(FileSystem::Default(), clock_), hooks);
  ASSERT_TRUE(opened.ok()) << opened.error().ToString();
  MessageStore& store = **opened;
  std::map<int64_t, int64_t> stamped;  // segment start -> simulated mtime
  std::vector<std::thread> threads;
  for (int p = 0; p < 2; ++p) threads.emplace_back([&, p] { Produce(store, p); });
  for (int r = 0; r < 2; ++r) threads.emplace_back([&] { Read(store); });
  int64_t most_segments = 0;
  int64_t wrote_before = 0;
  for (int step = 0; step < kSteps; ++step) {
    limit_.fetch_add(kPerStep);
    while (static_cast<int64_t>(stored_.load()) < limit_.load() && !store.cleanup().disk_full())
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    ASSERT_TRUE(store.Flush().ok());
    // Segments written this step carry this step's time.
    const auto segments = store.commit_log().Segments();
    for (const auto& seg : segments) {
      if (seg->end_offset() <= wrote_before) continue;
      (void)test::SetFileMtime(seg->path(), clock_.WallMillis());
      stamped[seg->start_offset()] = clock_.WallMillis();
    }
    wrote_before = store.commit_log().WroteOffset();
    segments_ = static_cast<int64_t>(segments.size());
    most_segments = std::max(most_segments, segments_.load());
    // The round interval is the clock's too: moving it makes exactly one
    // round due, which then runs at the new time.
    const uint64_t rounds = store.Stats().cleanup.rounds;
    clock_.Advance(kStep);
    while (store.Stats().cleanup.rounds < rounds + 1) std::this_thread::sleep_for(std::chrono::microseconds(200));
    // Everything deleted so far had expired by now (the clock only moves here).
    const int64_t min = store.GetMinPhyOffset();
    for (const auto& [start, mtime] : stamped)
      if (start < min) {
        ASSERT_LE(mtime + 2 * kHour, clock_.WallMillis()) << "segment " << start << " deleted unexpired";
      }
    segments_ = static_cast<int64_t>(store.commit_log().Segments().size());
  }
  limit_ = next_.load();
  stop_ = true;
  for (auto& t : threads) t.join();
  ASSERT_TRUE(store.Flush().ok());
  test::WaitDispatched(store);

  const CleanupStats stats = store.Stats().cleanup;
  EXPECT_LE(most_segments, kCapacitySegments * 85 / 100) << "disk use stayed under the forcing ratio";
  EXPECT_EQ(stats.segments_deleted[static_cast<size_t>(DeleteReason::kForced)], 0u);
  EXPECT_GT(stats.segments_deleted[static_cast<size_t>(DeleteReason::kExpired)], 0u);
  EXPECT_GT(stats.segments_deleted[static_cast<size_t>(DeleteReason::kSpace)], 0u);
  EXPECT_GT(stats.queue_files_deleted, 0u);
  EXPECT_GT(stats.index_files_deleted, 0u);
  EXPECT_EQ(stats.errors, 0u) << stats.last_error;
  EXPECT_GT(reads_.load(), 0u);
  EXPECT_EQ(bad_reads_.load(), 0u);

  // Queues and index agree with what is left of the log.
  const int64_t log_min = store.GetMinPhyOffset();
  for (int q = 0; q < kQueues; ++q) {
    const int64_t min = store.GetMinOffsetInQueue("Soak", q);
    if (min < store.GetMaxOffsetInQueue("Soak", q)) {
      EXPECT_GE(store.GetCommitLogOffsetInQueue("Soak", q, min), log_min) << "queue " << q;
    }
  }
  CommitLogCursor cursor = store.NewCursor(log_min);
  uint64_t records = 0;
  for (auto e = cursor.Next(); e.kind == CommitLogCursor::Kind::kMessage; e = cursor.Next()) {
    const MessageRecordView& m = e.message;
    ASSERT_EQ(store.GetCommitLogOffsetInQueue(m.topic, m.queue_id, m.queue_offset), e.offset);
    if (++records % 50 == 0) {
      const auto uniq = m.properties().Get(property::kUniqKey);
      ASSERT_TRUE(uniq);
      const QueryMessageResult found = store.QueryMessage(m.topic, *uniq, 4, 0, INT64_MAX);
      ASSERT_EQ(found.messages.size(), 1u) << *uniq;
      EXPECT_EQ(found.messages[0].message.physical_offset, e.offset);
    }
  }
  EXPECT_EQ(cursor.offset(), store.GetMaxPhyOffset());
  EXPECT_GT(records, 0u);
  ASSERT_TRUE(store.Shutdown().ok());
}

}  // namespace
}  // namespace mqstore
