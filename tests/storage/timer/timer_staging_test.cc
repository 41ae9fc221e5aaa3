// Firing a slot in bulk (timer_message_store.h, "Firing in bulk"): a slot
// staged ahead still takes the timers and delete markers enqueued into it
// afterwards, TIMER_DEQUEUE_MS is the firing time, append order holds with
// a one-by-one (roll) unit in the middle, on both write backends; a stop
// while a staged slot is being re-put makes it fire whole again.
#include <gtest/gtest.h>

#include <functional>

#include "format/property_map.h"
#include "storage/io/fake_clock.h"
#include "storage/store_log.h"
#include "tests/storage/engine_test_util.h"
#include "tests/storage/timer/timer_test_util.h"

namespace mqstore {
namespace {

constexpr int64_t kP = 1000;
constexpr int64_t kT0 = 1800000000000;  // a whole second

// Each test runs a timer store of its own over the store's log and queues
// (the store's own stays idle), so staging happens only when the test
// says; its re-puts go to the store's log unless the test answers them.
class TimerStagingTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    SetLogSink({});
    config_ = test::SmallStoreConfig(tmp_.path() + "/store", /*write_backend=*/GetParam());
    config_.mappedFileSizeTimerLog = 4096;
    config_.timerStopEnqueue = true;
    config_.timerStopDequeue = true;
  }
  std::unique_ptr<MessageStore> Open() {
    auto store = MessageStore::Open(config_, Env(FileSystem::Default(), clock_));
    EXPECT_TRUE(store.ok()) << store.error().ToString();
    return store.ok() ? std::move(*store) : nullptr;
  }
  std::unique_ptr<TimerMessageStore> OpenTimer(MessageStore& store, std::function<PutResult(const Message&)> reput = {},
                                               decltype(TimerStoreParts::append_records) append = {}) {
    if (!reput) reput = [&store](const Message& m) { return store.PutBatch({&m, 1}); };
    if (!append)
      append = [&store](EncodedRecords& batch, size_t from, size_t n) {
        return store.commit_log().AppendRecords(batch, from, n);
      };
    TimerStoreOptions options = TimerStoreOptions::From(config_);
    options.root = timer_root_.path();
    options.stop_enqueue = options.stop_dequeue = false;
    auto timer = TimerMessageStore::Open(TimerStoreParts{FileSystem::Default(), clock_, store.commit_log(),
                                                         store.consume_queues(), std::move(reput), std::move(append)},
                                         options);
    EXPECT_TRUE(timer.ok()) << timer.error().ToString();
    return timer.ok() ? std::move(*timer) : nullptr;
  }
  static PutResult PutTimer(MessageStore& store, const std::string& key, int64_t deliver_ms,
                            std::vector<std::pair<std::string, std::string>> extra = {}) {
    test::OwnedMessage m("TopicA", 1, 100, key);
    PropertyMap props = PropertyMap::Parse(m.properties);
    props.Set("TIMER_DELIVER_MS", std::to_string(deliver_ms));
    for (const auto& [k, v] : extra) props.Set(k, v);
    m.properties = *props.Serialize();
    return store.Put(m.message());
  }
  // Dispatched, enqueued, due slots fired, dispatched. The write backend's
  // bytes reach dispatch once committed: Flush commits (its interval runs
  // on the fake clock).
  static void Settle(MessageStore& store, TimerMessageStore& timer) {
    for (int round = 0; round < 50; ++round) {
      ASSERT_TRUE(store.Flush().ok());
      test::WaitDispatched(store);
      ASSERT_TRUE(timer.RunDue().ok());
      ASSERT_TRUE(store.Flush().ok());
      test::WaitDispatched(store);
      if (timer.curr_queue_offset() >= store.GetMaxOffsetInQueue(std::string(kTimerTopic), 0)) return;
    }
    FAIL() << "the timer store did not settle";
  }
  static std::vector<std::string> Keys(const std::vector<test::DeliveredTimer>& records) {
    std::vector<std::string> keys;
    for (const auto& d : records) keys.push_back(d.uniq_key);
    return keys;
  }

  test::TempDir tmp_, timer_root_;
  StoreConfig config_;
  FakeClock clock_{kT0 + 300};
};

TEST_P(TimerStagingTest, AStagedSlotTakesLateTimersAndALateMarkerAndStampsTheFiringTime) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  const int64_t slot = kT0 + 5000;
  for (const char* key : {"K1", "K2", "K3"}) ASSERT_TRUE(PutTimer(*store, key, slot + 500).ok());
  auto staged_timer = OpenTimer(*store);
  ASSERT_NE(staged_timer, nullptr);
  TimerMessageStore& timer = *staged_timer;
  Settle(*store, timer);
  clock_.SetWallMillis(slot + 200);  // inside the slot: staged ahead of its end
  bool staged = false;
  while (timer.StageOnce()) staged = true;
  EXPECT_TRUE(staged);
  // Enqueued after the staging: a timer, and a marker cancelling staged K2.
  ASSERT_TRUE(PutTimer(*store, "K4", slot + 600).ok());
  ASSERT_TRUE(PutTimer(*store, "K2", slot + 900, {{"TIMER_DEL_UNIQKEY", "TopicA+K2"}}).ok());
  Settle(*store, timer);
  EXPECT_TRUE(test::ReadQueueFrom(*store, "TopicA", 1, 0).empty()) << "fired before the slot ended";

  clock_.SetWallMillis(slot + kP);
  Settle(*store, timer);
  const auto records = test::ReadQueueFrom(*store, "TopicA", 1, 0);
  EXPECT_EQ(Keys(records), (std::vector<std::string>{"K1", "K3", "K4"})) << "append order, K2 cancelled";
  for (const auto& d : records) {
    EXPECT_EQ(d.props.at("TIMER_DEQUEUE_MS"), std::to_string(slot + kP)) << d.uniq_key << ": the firing time";
    EXPECT_EQ(d.props.at("TIMER_OUT_MS"), std::to_string(slot)) << d.uniq_key;
    EXPECT_EQ(d.props.at("REAL_TOPIC"), "TopicA");
  }
  const TimerStats stats = timer.Stats();
  EXPECT_EQ(stats.fired, 3u);
  EXPECT_EQ(stats.cancelled, 1u);
  EXPECT_EQ(stats.pending, 0);
  EXPECT_EQ(stats.lateness_ms.max, static_cast<uint64_t>(kP));
}

// A roll unit is re-put one by one; the records around it go in bulk, and
// the log holds them all in the slot's append order.
TEST_P(TimerStagingTest, ARollUnitAmongStagedTimersKeepsItsPlaceInAppendOrder) {
  config_.timerRollWindowSlot = 10;
  auto store = Open();
  ASSERT_NE(store, nullptr);
  // Written at kT0, a timer due 11.5 s later is beyond the 10 s window and
  // parked half a window on, at kT0 + 5 s.
  const int64_t slot = kT0 + 5000;
  ASSERT_TRUE(PutTimer(*store, "A1", slot + 100).ok());
  ASSERT_TRUE(PutTimer(*store, "A2", slot + 200).ok());
  ASSERT_TRUE(PutTimer(*store, "R", kT0 + 11500).ok());
  ASSERT_TRUE(PutTimer(*store, "A3", slot + 300).ok());
  ASSERT_TRUE(PutTimer(*store, "A4", slot + 400).ok());
  auto timer = OpenTimer(*store);
  ASSERT_NE(timer, nullptr);
  Settle(*store, *timer);
  clock_.SetWallMillis(slot + 500);
  EXPECT_TRUE(timer->StageOnce());
  while (timer->StageOnce()) {
  }
  clock_.SetWallMillis(slot + kP);
  Settle(*store, *timer);
  ASSERT_EQ(Keys(test::ReadQueueFrom(*store, "TopicA", 1, 0)), (std::vector<std::string>{"A1", "A2", "A3", "A4"}));
  EXPECT_EQ(timer->Stats().rolled, 1u);
  const std::string timer_topic(kTimerTopic);
  const int64_t rolled = store->GetCommitLogOffsetInQueue(timer_topic, 0, store->GetMaxOffsetInQueue(timer_topic, 0) - 1);
  auto record = store->LookMessageByOffset(rolled);
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->message.properties().Get("UNIQ_KEY"), "R");
  EXPECT_GT(rolled, store->GetCommitLogOffsetInQueue("TopicA", 1, 1)) << "after A2";
  EXPECT_LT(rolled, store->GetCommitLogOffsetInQueue("TopicA", 1, 2)) << "before A3";
}

// A timer store of its own over the store's log and queues, whose bulk and
// one-by-one re-puts the test answers: the first chunk is taken, then the
// log refuses while the store is stopping. The slot is left unfired (the
// read time stays) and, reopened, fires whole again: the taken ones twice,
// as a slot cut short does on the one-by-one path.
TEST_P(TimerStagingTest, AStopWhileAStagedSlotIsReputFiresItWholeAgain) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  const int64_t slot = kT0 + 5000;
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(PutTimer(*store, "K" + std::to_string(i), slot + 100 + 10 * i).ok());
  ASSERT_TRUE(store->Flush().ok());
  test::WaitDispatched(*store);

  std::vector<std::string> stored;
  size_t accept = 3;
  bool refuse = true;
  auto reput = [&](const Message& m) {
    PutResult r;
    r.status = refuse ? PutStatus::kServiceNotAvailable : PutStatus::kPutOk;
    if (!refuse) stored.emplace_back(*PropertiesView(m.properties).Get("UNIQ_KEY"));
    return r;
  };
  auto append = [&](EncodedRecords& batch, size_t from, size_t n) {
    CommitLog::AppendRecordsResult r;
    r.appended = std::min(n, accept);
    accept -= r.appended;
    r.put.status = r.appended < n ? PutStatus::kServiceNotAvailable : PutStatus::kPutOk;
    for (size_t k = from; k < from + r.appended; ++k) {
      const auto& rec = batch.records[k];
      auto decoded = DecodeRecord(std::span<const uint8_t>(batch.bytes).subspan(rec.at, rec.size));
      EXPECT_TRUE(decoded.ok());
      if (!decoded.ok()) continue;
      const PropertiesView props = decoded->message.properties();
      stored.emplace_back(*props.Get("UNIQ_KEY"));
      EXPECT_EQ(props.Get("TIMER_DEQUEUE_MS"), std::to_string(clock_.WallMillis()));
    }
    return r;
  };
  auto timer = OpenTimer(*store, reput, append);
  ASSERT_NE(timer, nullptr);
  ASSERT_TRUE(timer->EnqueueOnce().ok());
  ASSERT_EQ(timer->PendingCount(), 10);
  EXPECT_TRUE(timer->StageOnce());
  ASSERT_TRUE(timer->Shutdown().ok());  // stopping from here on
  clock_.SetWallMillis(slot + kP);
  ASSERT_TRUE(timer->EnqueueOnce().ok());
  int r = 0;
  while ((r = timer->DequeueOnce()) == 0) {
  }
  EXPECT_EQ(r, -1) << "the slot gave up";
  EXPECT_EQ(timer->curr_read_time_ms(), slot) << "and was not passed";
  EXPECT_EQ(stored, (std::vector<std::string>{"K0", "K1", "K2"}));

  timer.reset();
  accept = 1000;
  refuse = false;
  stored.clear();
  timer = OpenTimer(*store, reput, append);
  ASSERT_NE(timer, nullptr);
  ASSERT_TRUE(timer->RunDue().ok());
  EXPECT_GT(timer->curr_read_time_ms(), slot);
  std::vector<std::string> all;
  for (int i = 0; i < 10; ++i) all.push_back("K" + std::to_string(i));
  EXPECT_EQ(stored, all) << "the whole slot again, in order";
}

INSTANTIATE_TEST_SUITE_P(Backends, TimerStagingTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "WriteBackend" : "Mmap"; });

}  // namespace
}  // namespace mqstore
