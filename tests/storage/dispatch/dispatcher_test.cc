// Dispatcher: every record reaches its consume queue and the index once, in
// order, with RocketMQ's rules for transactions and delay levels; embedders'
// sinks, the arrival listener, the eventfd and long polling see it; a record
// that does not decode stops dispatch with its offset.
#include "storage/dispatch/dispatcher.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "format/java_string_hash.h"
#include "format/message_record.h"
#include "storage/io/fake_clock.h"
#include "storage/message_store.h"
#include "storage/store_log.h"
#include "tests/storage/engine_test_util.h"
#include "tests/storage/store_test_util.h"
#include "tests/support/golden.h"

namespace mqstore {
namespace {

using namespace std::chrono_literals;

class DispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetLogSink({});
    root_ = tmp_.path() + "/store";
    config_ = test::SmallStoreConfig(root_);
  }
  std::unique_ptr<MessageStore> Open(const StoreHooks& hooks = {}) { return Open(Env::Default(), hooks); }
  std::unique_ptr<MessageStore> Open(const Env& env, const StoreHooks& hooks = {}) {
    auto store = MessageStore::Open(config_, env, hooks);
    EXPECT_TRUE(store.ok()) << store.error().ToString();
    return store.ok() ? std::move(*store) : nullptr;
  }
  static PutResult PutWith(MessageStore& store, const std::string& topic, int32_t queue, const std::string& props,
                           int32_t sys_flag = 0) {
    test::OwnedMessage m(topic, queue, 100, "unused", sys_flag);
    m.properties = props;
    return store.Put(m.message());
  }
  static std::string Props(std::vector<Property> p) { return *SerializeProperties(p); }
  static void WaitCaughtUp(MessageStore& store) { test::WaitDispatched(store); }
  test::TempDir tmp_;
  std::string root_;
  StoreConfig config_;
};

TEST_F(DispatcherTest, EveryRecordReachesItsQueueInOrderAndEveryKeyFindsIt) {
  auto store = Open();
  ASSERT_TRUE(store);
  std::map<std::pair<std::string, int32_t>, std::vector<int64_t>> expected;
  for (int i = 0; i < 600; ++i) {  // rolls CQ files (128 units) and index files (255 entries)
    const std::string topic = i % 2 ? "TopicA" : "TopicB";
    test::OwnedMessage m(topic, i % 3, 50 + i % 300, "key" + std::to_string(i));
    const PutResult r = store->Put(m.message());
    ASSERT_TRUE(r.ok());
    expected[{topic, i % 3}].push_back(r.wrote_offset);
  }
  WaitCaughtUp(*store);
  for (const auto& [queue, offsets] : expected) {
    ASSERT_EQ(store->GetMaxOffsetInQueue(queue.first, queue.second), static_cast<int64_t>(offsets.size()));
    EXPECT_EQ(store->GetMinOffsetInQueue(queue.first, queue.second), 0);
    for (size_t n = 0; n < offsets.size(); ++n)
      ASSERT_EQ(store->GetCommitLogOffsetInQueue(queue.first, queue.second, static_cast<int64_t>(n)), offsets[n]);
  }
  test::ExpectQueuesAndIndexMatchLog(*store);
  EXPECT_GT(store->Stats().index.files, 1u) << "600 messages x 2 keys roll the 255-entry index files";
  EXPECT_EQ(store->Stats().dispatch.records, 600u);
  ASSERT_TRUE(store->Shutdown().ok());
  test::VerifyClean(root_, config_.mappedFileSizeCommitLog);
}

TEST_F(DispatcherTest, PreparedAndRollbackGetNoUnitAndRollbackIsNotIndexed) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(PutWith(*store, "T", 0, Props({{"UNIQ_KEY", "plain"}})).ok());
  ASSERT_TRUE(PutWith(*store, "T", 0, Props({{"UNIQ_KEY", "prepared"}}), sysflag::kTransactionPreparedType).ok());
  ASSERT_TRUE(PutWith(*store, "T", 0, Props({{"UNIQ_KEY", "rollback"}}), sysflag::kTransactionRollbackType).ok());
  const PutResult commit = PutWith(*store, "T", 0, Props({{"UNIQ_KEY", "commit"}}), sysflag::kTransactionCommitType);
  ASSERT_TRUE(commit.ok());
  WaitCaughtUp(*store);
  EXPECT_EQ(store->GetMaxOffsetInQueue("T", 0), 2) << "NOT and COMMIT only";
  EXPECT_EQ(store->GetCommitLogOffsetInQueue("T", 0, 1), commit.wrote_offset);
  EXPECT_EQ(store->QueryMessage("T", "prepared", 32, 0, INT64_MAX).messages.size(), 1u);
  EXPECT_EQ(store->QueryMessage("T", "commit", 32, 0, INT64_MAX).messages.size(), 1u);
  EXPECT_TRUE(store->QueryMessage("T", "rollback", 32, 0, INT64_MAX).messages.empty());
}

TEST_F(DispatcherTest, ScheduleTopicUnitsCarryTheDeliveryTime) {
  auto store = Open();
  ASSERT_TRUE(store);
  const PutResult r = PutWith(*store, std::string(kScheduleTopic), 2, Props({{"DELAY", "3"}, {"TAGS", "x"}}));
  ASSERT_TRUE(r.ok());
  const PutResult plain = PutWith(*store, "T", 0, Props({{"TAGS", "TagA"}}));
  WaitCaughtUp(*store);
  GetMessageResult got = store->GetMessage("g", kScheduleTopic, 2, 0, 1);
  ASSERT_EQ(got.status, GetMessageStatus::kFound);
  EXPECT_EQ(got.messages[0].tags_code, r.store_timestamp + 10000) << "level 3 = 10 s after the store time";
  got = store->GetMessage("g", "T", 0, 0, 1);
  ASSERT_EQ(got.status, GetMessageStatus::kFound);
  EXPECT_EQ(got.messages[0].tags_code, JavaStringHashCode("TagA"));
  EXPECT_EQ(got.messages[0].phy_offset, plain.wrote_offset);
}

TEST_F(DispatcherTest, EmbedderSinksRunAfterTheBuildersAndArrivalsNameTheNewMaxOffset) {
  std::mutex mu;
  std::vector<std::string> seen;
  std::vector<MessageArrival> arrivals;
  std::vector<std::string> arrival_topics;
  ConsumeQueueStore* queues = nullptr;
  FunctionSink sink([&](const DispatchRequest& r) {
    std::lock_guard lock(mu);
    // The builders ran first (on the whole batch): the unit is readable.
    const ConsumeQueue* q = queues->Find(r.topic, r.queue_id);
    EXPECT_TRUE(q != nullptr && q->MaxOffset() >= r.queue_offset + 1);
    EXPECT_TRUE(q != nullptr && q->GetUnit(r.queue_offset).has_value());
    seen.push_back(std::string(r.uniq_key) + "@" + std::to_string(r.commit_log_offset));
    return Status::Ok();
  });
  StoreHooks hooks;
  hooks.sinks.push_back(&sink);
  hooks.on_arrival = [&](const MessageArrival& a) {
    std::lock_guard lock(mu);
    arrivals.push_back(a);
    arrival_topics.emplace_back(a.topic);
  };
  config_.dispatchOnOwnThread = false;  // so `queues` is set before the first dispatch
  auto store = Open(hooks);
  ASSERT_TRUE(store);
  queues = &store->consume_queues();
  std::vector<std::string> want;
  for (int i = 0; i < 5; ++i) {
    const PutResult r = PutWith(*store, "T", 1, Props({{"UNIQ_KEY", "u" + std::to_string(i)}}));
    want.push_back("u" + std::to_string(i) + "@" + std::to_string(r.wrote_offset));
  }
  ASSERT_TRUE(store->Flush().ok());  // commits the write backend's ring: readable
  auto n = store->DispatchOnce(1 << 20);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 5u);
  std::lock_guard lock(mu);
  EXPECT_EQ(seen, want);
  ASSERT_EQ(arrivals.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(arrival_topics[static_cast<size_t>(i)], "T");
    EXPECT_EQ(arrivals[static_cast<size_t>(i)].queue_id, 1);
    EXPECT_EQ(arrivals[static_cast<size_t>(i)].max_offset, i + 1);
  }
}

TEST_F(DispatcherTest, EmbedderDrivenDispatchShowsNothingUntilItRuns) {
  config_.dispatchOnOwnThread = false;
  auto store = Open();
  ASSERT_TRUE(store);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(PutWith(*store, "T", 0, Props({{"UNIQ_KEY", std::to_string(i)}})).ok());
  ASSERT_TRUE(store->Flush().ok());
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(store->GetMaxOffsetInQueue("T", 0), 0) << "no thread dispatches on its own";
  EXPECT_GT(store->DispatchBehindBytes(), 0);
  auto first = store->DispatchOnce(1);  // at least one record per call
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, 1u);
  auto rest = store->DispatchOnce(1 << 20);
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(*rest, 9u);
  EXPECT_EQ(store->GetMaxOffsetInQueue("T", 0), 10);
  EXPECT_EQ(store->DispatchBehindBytes(), 0);
}

TEST_F(DispatcherTest, EventFdTurnsReadableWhenRecordsAreDispatched) {
  auto store = Open();
  ASSERT_TRUE(store);
  const int fd = store->DispatchEventFd();
  ASSERT_GE(fd, 0);
  uint64_t drained = 0;
  while (read(fd, &drained, sizeof drained) > 0) {
  }
  pollfd p{fd, POLLIN, 0};
  EXPECT_EQ(poll(&p, 1, 0), 0) << "nothing dispatched yet";
  ASSERT_TRUE(PutWith(*store, "T", 0, Props({{"UNIQ_KEY", "a"}})).ok());
  EXPECT_EQ(poll(&p, 1, 5000), 1) << "the dispatch round wrote the eventfd";
  uint64_t count = 0;
  EXPECT_EQ(read(fd, &count, sizeof count), static_cast<ssize_t>(sizeof count));
  EXPECT_GE(count, 1u);
}

// Long polling's timeout is the Env's clock: a FakeClock that does not move
// past it keeps the waiter waiting however much real time passes, and an
// arrival ends the wait whatever the clock says.
TEST_F(DispatcherTest, WaitForMessagesReturnsOnArrivalAndTimesOutOtherwise) {
  FakeClock clock;
  auto store = Open(Env::WithClock(clock));
  ASSERT_TRUE(store);
  // WaitForMessages(T, 0, offset, timeout) on a thread, the clock moved to
  // just short of the timeout, then past it; returns its answer.
  const auto wait_on_clock = [&](int64_t offset, std::chrono::milliseconds timeout) {
    std::atomic<int> answer{-1};
    std::atomic<int64_t> answered_at{0};
    const int64_t start = clock.MonotonicNanos();
    std::thread waiter([&] {
      answer.store(store->WaitForMessages("T", 0, offset, timeout) ? 1 : 0);
      answered_at.store(clock.MonotonicNanos());
    });
    clock.Advance(timeout.count() - 1);
    std::this_thread::sleep_for(timeout + 10ms);  // real time: a wait on the system clock would end in it
    EXPECT_EQ(answer.load(), -1) << "answered before the clock reached the timeout";
    // Past the deadline, wherever the waiter took its start: 1 ms at a time.
    while (answer.load() == -1) {
      clock.Advance(1);
      std::this_thread::sleep_for(1ms);
    }
    waiter.join();
    EXPECT_GE(answered_at.load() - start, std::chrono::nanoseconds(timeout).count());
    return answer.load() == 1;
  };
  EXPECT_FALSE(wait_on_clock(0, 50ms));
  std::thread producer([&] {
    std::this_thread::sleep_for(10ms);  // so that the put usually comes while the wait below is under way
    EXPECT_TRUE(PutWith(*store, "T", 0, Props({{"UNIQ_KEY", "a"}})).ok());
    // The write backend commits the record, making it readable, on its
    // interval: 200 ms of the clock, far short of the wait's 10 s.
    clock.Advance(config_.commitIntervalCommitLog);
  });
  EXPECT_TRUE(store->WaitForMessages("T", 0, 0, 10s)) << "only the arrival can end it";
  producer.join();
  EXPECT_EQ(store->GetMaxOffsetInQueue("T", 0), 1);
  EXPECT_FALSE(wait_on_clock(1, 20ms)) << "offset 1 is the end: nothing past it yet";
}

TEST_F(DispatcherTest, AnUndecodableRecordStopsDispatchAtItsOffset) {
  config_.dispatchOnOwnThread = false;
  auto store = Open();
  ASSERT_TRUE(store);
  std::vector<PutResult> puts;
  for (int i = 0; i < 6; ++i) puts.push_back(PutWith(*store, "T", 0, Props({{"UNIQ_KEY", std::to_string(i)}})));
  ASSERT_TRUE(store->Flush().ok());
  // Break record 3's magic code where the dispatcher will read it.
  test::PatchI32(root_ + "/commitlog/00000000000000000000", puts[3].wrote_offset + 4, 0x12345678);
  auto n = store->DispatchOnce(1 << 20);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 3u) << "records before the bad one";
  auto again = store->DispatchOnce(1 << 20);
  ASSERT_FALSE(again.ok()) << "no silent skipping";
  EXPECT_NE(again.error().ToString().find(std::to_string(puts[3].wrote_offset)), std::string::npos)
      << again.error().ToString();
  EXPECT_EQ(store->Stats().dispatch.reput_offset, puts[3].wrote_offset);
  EXPECT_FALSE(store->Stats().dispatch.error.empty());
  EXPECT_EQ(store->GetMaxOffsetInQueue("T", 0), 3);
}

// Sinks take records in batches: a sink failing in the middle of one stops
// dispatch at its record, the sinks after it still get every record before
// that one, and what the builders see twice on resuming changes nothing.
TEST_F(DispatcherTest, ASinkFailingMidBatchStopsThereAndResumingLosesAndDuplicatesNothing) {
  std::vector<std::string> first, second, third;
  bool fail_once = true;
  FunctionSink recorder([&](const DispatchRequest& r) {
    first.emplace_back(r.uniq_key);
    return Status::Ok();
  });
  FunctionSink flaky([&](const DispatchRequest& r) {
    if (r.uniq_key == "u4" && fail_once) {
      fail_once = false;
      return Status::IOError("replica unreachable");
    }
    second.emplace_back(r.uniq_key);
    return Status::Ok();
  });
  FunctionSink last([&](const DispatchRequest& r) {
    third.emplace_back(r.uniq_key);
    return Status::Ok();
  });
  StoreHooks hooks;
  hooks.sinks = {&recorder, &flaky, &last};
  config_.dispatchOnOwnThread = false;
  auto store = Open(hooks);
  ASSERT_TRUE(store);
  std::vector<PutResult> puts;
  for (int i = 0; i < 10; ++i) {
    puts.push_back(PutWith(*store, "T", i % 2, Props({{"UNIQ_KEY", "u" + std::to_string(i)}, {"KEYS", "k"}})));
  }
  ASSERT_TRUE(store->Flush().ok());
  auto n = store->DispatchOnce(1 << 20);  // one batch: all ten records
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 4u) << "the records before the failing one";
  EXPECT_EQ(store->Stats().dispatch.reput_offset, puts[4].wrote_offset);
  EXPECT_NE(store->Stats().dispatch.error.find("replica unreachable"), std::string::npos);
  EXPECT_EQ(third, second) << "the sink after the failing one gets only what that one took";
  EXPECT_EQ(store->GetMaxOffsetInQueue("T", 0), 5) << "the builders took the whole batch";
  auto rest = store->DispatchOnce(1 << 20);
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(*rest, 6u);
  EXPECT_TRUE(store->Stats().dispatch.error.empty());
  EXPECT_EQ(second, (std::vector<std::string>{"u0", "u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "u9"}));
  EXPECT_EQ(third, second);
  EXPECT_EQ(first.size(), 16u) << "u4..u9 handed again to the sink before the failing one";
  EXPECT_EQ(store->GetMaxOffsetInQueue("T", 0), 5);
  EXPECT_EQ(store->GetMaxOffsetInQueue("T", 1), 5);
  test::ExpectQueuesAndIndexMatchLog(*store);  // no unit or index entry twice
}

TEST_F(DispatcherTest, SyncFlushDispatchesOnlyWhatIsDurable) {
  config_.flushDiskType = FlushDiskType::kSyncFlush;
  config_.dispatchOnOwnThread = false;
  auto store = Open();
  ASSERT_TRUE(store);
  Message nowait;
  test::OwnedMessage m("T", 0, 100, "k");
  nowait = m.message();
  nowait.flush_wait = FlushWait::kNoWait;
  const PutResult r = store->Put(nowait);
  ASSERT_TRUE(r.ok());
  const int64_t flushed = store->Stats().flushed_offset;
  ASSERT_TRUE(store->DispatchOnce(1 << 20).ok());
  EXPECT_EQ(store->GetMaxOffsetInQueue("T", 0), flushed > r.wrote_offset ? 1 : 0)
      << "units only for flushed records";
  ASSERT_TRUE(store->Flush().ok());
  ASSERT_TRUE(store->DispatchOnce(1 << 20).ok());
  EXPECT_EQ(store->GetMaxOffsetInQueue("T", 0), 1);
}

// Producers, the dispatcher and pulling consumers all at once (run under
// ThreadSanitizer in CI): every queue is gap-free and in order as seen by
// readers, and every key is found afterwards.
TEST_F(DispatcherTest, ConcurrentProducersDispatchAndReadersSeeGapFreeQueues) {
  auto store = Open();
  ASSERT_TRUE(store);
  constexpr int kProducers = 4, kPerProducer = 400, kQueues = 4;
  std::atomic<bool> done{false};
  std::atomic<int> read_errors{0};
  std::vector<std::thread> threads;
  for (int p = 0; p < kProducers; ++p)
    threads.emplace_back([&, p] {
      for (int i = 0; i < kPerProducer; ++i) {
        test::OwnedMessage m("TopicC", (p + i) % kQueues, 60 + (i * 7) % 400,
                             "p" + std::to_string(p) + "i" + std::to_string(i));
        if (!store->Put(m.message()).ok()) read_errors++;
      }
    });
  for (int q = 0; q < kQueues; ++q)
    threads.emplace_back([&, q] {
      int64_t next = 0;
      GetMessageResult got;
      while (!done.load() || next < store->GetMaxOffsetInQueue("TopicC", q)) {
        GetMessageRequest req{"g", "TopicC", q, next, 32, nullptr, true};
        store->GetMessage(req, got);
        for (const FoundMessage& f : got.messages) {
          auto rec = DecodeRecord(f.bytes);
          if (!rec.ok() || rec->message.queue_offset != f.queue_offset || f.queue_offset != next) read_errors++;
          next = f.queue_offset + 1;
        }
        if (got.messages.empty()) store->WaitForMessages("TopicC", q, next, 5ms);
      }
    });
  for (int p = 0; p < kProducers; ++p) threads[static_cast<size_t>(p)].join();
  WaitCaughtUp(*store);
  done = true;
  for (size_t t = kProducers; t < threads.size(); ++t) threads[t].join();
  EXPECT_EQ(read_errors.load(), 0);
  int64_t total = 0;
  for (int q = 0; q < kQueues; ++q) total += store->GetMaxOffsetInQueue("TopicC", q);
  EXPECT_EQ(total, kProducers * kPerProducer);
  test::ExpectQueuesAndIndexMatchLog(*store);
}

}  // namespace
}  // namespace mqstore
