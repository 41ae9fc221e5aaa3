// The timer store on a live MessageStore and a FakeClock: firing at the
// slot's end and never before, cancellation, roll, the flush cadence,
// recovery after clean and unclean stops, a slave, flow control, cleanup,
// lazy files, and a store down longer than the wheel's span.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "format/property_map.h"
#include "storage/io/fake_clock.h"
#include "storage/io/fault_injection_file_system.h"
#include "storage/store_log.h"
#include "storage/timer/timer_checkpoint.h"
#include "tests/storage/engine_test_util.h"
#include "tests/storage/timer/timer_test_util.h"
#include "tests/support/golden.h"

namespace mqstore {
namespace {

constexpr int64_t kP = 1000;
constexpr int64_t kT0 = 1800000000000;  // a whole second

class TimerStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetLogSink({});
    // The mmap backend: the write backend commits on an interval of the
    // (fake) clock, and dispatch reads only what is committed.
    config_ = test::SmallStoreConfig(tmp_.path() + "/store", /*write_backend=*/false);
    config_.mappedFileSizeTimerLog = 4096;  // 78 units a file
  }
  std::unique_ptr<MessageStore> Open() {
    auto store = MessageStore::Open(config_, Env(FileSystem::Default(), clock_));
    EXPECT_TRUE(store.ok()) << store.error().ToString();
    return store.ok() ? std::move(*store) : nullptr;
  }
  // A message to TopicA queue 1 with these properties added.
  static test::OwnedMessage Timer(const std::string& key, std::vector<std::pair<std::string, std::string>> extra) {
    test::OwnedMessage m("TopicA", 1, 100, key);
    PropertyMap props = PropertyMap::Parse(m.properties);
    for (const auto& [k, v] : extra) props.Set(k, v);
    m.properties = *props.Serialize();
    return m;
  }
  static PutResult PutTimer(MessageStore& store, const std::string& key, int64_t deliver_ms,
                            std::vector<std::pair<std::string, std::string>> extra = {}) {
    extra.emplace_back("TIMER_DELIVER_MS", std::to_string(deliver_ms));
    const auto m = Timer(key, std::move(extra));
    return store.Put(m.message());
  }
  bool Exists(const std::string& rel) const { return FileSystem::Default().Exists(config_.storePathRootDir + "/" + rel); }

  test::TempDir tmp_;
  StoreConfig config_;
  FakeClock clock_{kT0 + 300};
};

TEST_F(TimerStoreTest, ATimerFiresOnceItsSlotEndsAndNeverBefore) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(PutTimer(*store, "K1", kT0 + 5500).ok());  // floored to kT0 + 5000
  test::Deliveries delivered(*store, {{"TopicA", 4}});
  test::Settle(*store);
  EXPECT_EQ(store->Stats().timer.pending, 1);
  EXPECT_TRUE(Exists("timerwheel"));
  clock_.SetWallMillis(kT0 + 5000 + kP - 1);
  test::Settle(*store);
  delivered.Collect();
  EXPECT_EQ(delivered.Count("K1"), 0) << "fired before its slot ended";
  clock_.SetWallMillis(kT0 + 5000 + kP);
  test::Settle(*store);
  delivered.Collect();
  EXPECT_EQ(delivered.Count("K1"), 1);
  EXPECT_EQ(delivered.Where("K1"), (std::pair<std::string, int32_t>{"TopicA", 1}));
  clock_.SetWallMillis(kT0 + 60000);
  test::Settle(*store);
  delivered.Collect();
  EXPECT_EQ(delivered.Count("K1"), 1) << "fired twice";
  const TimerStats stats = store->Stats().timer;
  EXPECT_EQ(stats.fired, 1u);
  EXPECT_EQ(stats.pending, 0);
  EXPECT_EQ(stats.lateness_ms.max, static_cast<uint64_t>(kP));
}

TEST_F(TimerStoreTest, ARecallInTheSameSlotCancelsOnlyWithTheTopicPlusKeyForm) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  const int64_t due = kT0 + 7000;
  ASSERT_TRUE(PutTimer(*store, "K1", due + 400).ok());
  ASSERT_TRUE(PutTimer(*store, "K2", due + 400).ok());
  // 5.3.2+ form cancels K1; the <= 5.3.1 form (plain key) no longer cancels K2.
  ASSERT_TRUE(PutTimer(*store, "K1", due + 1, {{"TIMER_DEL_UNIQKEY", "TopicA+K1"}}).ok());
  ASSERT_TRUE(PutTimer(*store, "K2", due + 1, {{"TIMER_DEL_UNIQKEY", "K2"}}).ok());
  test::Deliveries delivered(*store, {{"TopicA", 4}});
  test::Settle(*store);
  EXPECT_EQ(store->Stats().timer.pending, 0) << "two timers, two markers";
  clock_.SetWallMillis(due + 10 * kP);
  test::Settle(*store);
  delivered.Collect();
  EXPECT_EQ(delivered.Count("K1"), 0);
  EXPECT_EQ(delivered.Count("K2"), 1);
  EXPECT_EQ(delivered.total(), 1u) << "a marker is never delivered";
  EXPECT_EQ(store->Stats().timer.cancelled, 1u);
}

TEST_F(TimerStoreTest, ATimerBeyondTheRollWindowRollsThroughTheTimerTopicAndFiresOnTime) {
  config_.timerRollWindowSlot = 10;
  auto store = Open();
  ASSERT_NE(store, nullptr);
  const int64_t due = kT0 + 35000;
  ASSERT_TRUE(PutTimer(*store, "K1", due + 1).ok());
  test::Deliveries delivered(*store, {{"TopicA", 4}});
  test::Settle(*store);
  // Written at kT0: 35 s - 10 s window >= 10/3 s, so parked at kT0 + 10 s.
  auto unit = store->timer_store()->timer_log()->ReadUnit(0);
  ASSERT_TRUE(unit.ok());
  EXPECT_EQ(unit->magic, kTimerMagicRoll | kTimerMagicDefault);
  EXPECT_EQ(unit->slot_time_ms(), kT0 + 10000);
  for (int64_t t = kT0; t < due + kP; t += kP) {
    clock_.SetWallMillis(t);
    test::Settle(*store);
    delivered.Collect();
    EXPECT_EQ(delivered.Count("K1"), 0) << "early at " << t;
  }
  clock_.SetWallMillis(due + kP);
  test::Settle(*store);
  delivered.Collect();
  ASSERT_EQ(delivered.Count("K1"), 1);
  EXPECT_GE(store->Stats().timer.rolled, 2u);
  const auto records = test::ReadQueueFrom(*store, "TopicA", 1, 0);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].props.at("TIMER_ROLL_TIMES"), std::to_string(store->Stats().timer.rolled));
  EXPECT_EQ(records[0].props.at("TIMER_OUT_MS"), std::to_string(due));
}

TEST_F(TimerStoreTest, AStoreWithoutTimersHasNoTimerFiles) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  test::OwnedMessage m("TopicA", 0, 100, "plain");
  ASSERT_TRUE(store->Put(m.message()).ok());
  test::Settle(*store);
  ASSERT_TRUE(store->Shutdown().ok());
  for (const char* f : {"timerwheel", "timerlog", "config/timercheck", "config/timermetrics"})
    EXPECT_FALSE(Exists(f)) << f;
}

TEST_F(TimerStoreTest, FlushWritesTheCheckpointEveryFlushInterval) {
  config_.timerFlushIntervalMs = 1000;
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(PutTimer(*store, "K1", kT0 + 3000).ok());
  test::Settle(*store);
  EXPECT_FALSE(Exists("config/timercheck")) << "flushed before the interval";
  clock_.Advance(1000);  // the thread's wait ends on the fake clock
  for (int i = 0; i < 5000 && !Exists("config/timercheck"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_TRUE(Exists("config/timercheck"));
  TimerCheckpoint cp;
  for (int i = 0; i < 5000; ++i) {
    cp = store->timer_store()->checkpoint();
    if (cp.master_timer_queue_offset == 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(cp.master_timer_queue_offset, 1);
  EXPECT_EQ(cp.last_timer_queue_offset, 1);
  EXPECT_EQ(cp.last_timer_log_flush_pos, kTimerLogUnitSize);
  const auto bytes = test::ReadFileBytes(config_.storePathRootDir + "/config/timercheck");
  EXPECT_EQ(bytes.size(), 4096u);
  EXPECT_TRUE(Exists("config/timermetrics"));
}

TEST_F(TimerStoreTest, ACleanStopAndReopenKeepsEveryPendingTimer) {
  {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(PutTimer(*store, "K" + std::to_string(i), kT0 + 2000 + i * 300).ok());
    test::Settle(*store);
    ASSERT_TRUE(store->Shutdown().ok());
  }
  auto store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->timer_store()->PendingCount(), 100);
  EXPECT_EQ(store->timer_store()->curr_queue_offset(), 100);
  EXPECT_EQ(store->timer_store()->recovery().process_offset, 100 * kTimerLogUnitSize + 40) << "78 units and a filler, then 22";
  test::Deliveries delivered(*store, {{"TopicA", 4}});
  clock_.SetWallMillis(kT0 + 60000);
  test::Settle(*store);
  delivered.Collect();
  for (int i = 0; i < 100; ++i) EXPECT_EQ(delivered.Count("K" + std::to_string(i)), 1) << i;
}

// Abandoned without Shutdown (the abort file stays, nothing was flushed by
// the timer store): recovery rescans the timer log and finds the queue
// offset from its last unit, so nothing is enqueued twice or lost.
TEST_F(TimerStoreTest, AnUncleanStopRecoversFromTheTimerLogWithoutDuplicates) {
  config_.timerFlushIntervalMs = 1000000;  // no checkpoint is ever written
  FaultInjectionFileSystem fs(FileSystem::Default());
  {
    auto opened = MessageStore::Open(config_, Env(fs, clock_));
    ASSERT_TRUE(opened.ok()) << opened.error().ToString();
    auto& store = *opened;
    for (int i = 0; i < 90; ++i) ASSERT_TRUE(PutTimer(*store, "K" + std::to_string(i), kT0 + 2000 + i * 100).ok());
    test::Settle(*store);
    clock_.SetWallMillis(kT0 + 2000 + 45 * 100);  // half of them fire
    test::Settle(*store);
    ASSERT_TRUE(store->Flush().ok());
    EXPECT_FALSE(Exists("config/timercheck"));
    // Dropped as a kill leaves it: nothing more is written (the page
    // cache keeps what was).
    fs.FailAllMutatingCalls(true);
    store.reset();
    fs.FailAllMutatingCalls(false);
  }
  auto store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->recovery().abnormal);
  EXPECT_EQ(store->timer_store()->curr_queue_offset(), 90) << "from the last unit's record";
  test::Deliveries delivered(*store, {{"TopicA", 4}});
  const int64_t fired_before = store->GetMaxOffsetInQueue("TopicA", 1);
  clock_.SetWallMillis(kT0 + 60000);
  test::Settle(*store);
  delivered.Collect();
  // Without a checkpoint the read time starts a wheel's span back: the
  // slots that had fired fire again (RocketMQ does the same), the rest once.
  const auto all = test::ReadQueueFrom(*store, "TopicA", 1, 0);
  std::map<std::string, int> count;
  for (const auto& d : all) count[d.uniq_key]++;
  for (int i = 0; i < 90; ++i) EXPECT_GE(count["K" + std::to_string(i)], 1) << "lost K" << i;
  for (int i = 45; i < 90; ++i) EXPECT_EQ(count["K" + std::to_string(i)], 1) << "K" << i;
  EXPECT_GT(fired_before, 0);
}

TEST_F(TimerStoreTest, ASlaveEnqueuesNothingAndFiresNothing) {
  {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(PutTimer(*store, "K1", kT0 + 3000).ok());
    test::Settle(*store);
    ASSERT_TRUE(store->Shutdown().ok());
  }
  config_.brokerRole = BrokerRole::kSlave;
  auto store = Open();
  ASSERT_NE(store, nullptr);
  clock_.SetWallMillis(kT0 + 60000);
  EXPECT_EQ(store->timer_store()->DequeueOnce(), -1);
  auto took = store->timer_store()->EnqueueOnce();
  ASSERT_TRUE(took.ok());
  EXPECT_FALSE(*took);
  EXPECT_EQ(store->GetMaxOffsetInQueue("TopicA", 1), 0);
  EXPECT_EQ(store->timer_store()->PendingCount(), 1) << "kept for a promotion";
}

TEST_F(TimerStoreTest, AFullSlotRefusesTheNextTimerWithFlowControl) {
  config_.timerCongestNumEachSlot = 2;
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(PutTimer(*store, "K1", kT0 + 5500).ok());
  ASSERT_TRUE(PutTimer(*store, "K2", kT0 + 5500).ok());
  test::Settle(*store);
  EXPECT_EQ(PutTimer(*store, "K3", kT0 + 5500).status, PutStatus::kWheelTimerFlowControl);
  EXPECT_TRUE(PutTimer(*store, "K4", kT0 + 6500).ok()) << "another slot";
}

TEST_F(TimerStoreTest, AWheelFileOfAnotherSizeIsRefusedByName) {
  ASSERT_TRUE(FileSystem::Default().CreateDirectories(config_.storePathRootDir).ok());
  std::ofstream(config_.storePathRootDir + "/timerwheel") << "not a wheel";
  auto store = MessageStore::Open(config_, Env(FileSystem::Default(), clock_));
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().ToString().find("timerwheel"), std::string::npos) << store.error().ToString();
  EXPECT_NE(store.error().ToString().find("38707200"), std::string::npos) << store.error().ToString();
}

// A record already on the timer topic and already due when the enqueue
// step reads it goes straight to its topic, marked as never in the wheel.
TEST_F(TimerStoreTest, AnAlreadyDueRecordBypassesTheWheelAndIsNotDeliveredAgainAfterAReopen) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(PutTimer(*store, "K0", kT0 + 86400 * kP).ok());  // a unit before it
  test::OwnedMessage m = Timer("K1", {{"TIMER_OUT_MS", std::to_string(kT0 - 5000)},
                                      {"REAL_TOPIC", "TopicA"},
                                      {"REAL_QID", "2"}});
  m.topic = std::string(kTimerTopic);
  m.queue_id = 0;
  const Message msg = m.message();
  ASSERT_TRUE(store->PutBatch({&msg, 1}).ok());
  test::Settle(*store);
  const auto got = test::ReadQueueFrom(*store, "TopicA", 2, 0);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].props.at("TIMER_ENQUEUE_MS"), "9223372036854775807");
  EXPECT_EQ(store->timer_store()->timer_log()->MaxOffset(), kTimerLogUnitSize) << "no unit for it";
  ASSERT_TRUE(store->Shutdown().ok());
  store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->timer_store()->curr_queue_offset(), 2) << "the checkpoint's, past the last unit's record";
  test::Settle(*store);
  EXPECT_EQ(test::ReadQueueFrom(*store, "TopicA", 2, 0).size(), 1u) << "delivered again";
}

// RocketMQ's recover skips the slots older than now - (7 days - 60 slots):
// a store down longer loses those timers silently. Here they are found in
// the timer log and delivered, late, and counted.
TEST_F(TimerStoreTest, AStoreDownLongerThanTheWheelsSpanDeliversItsTimersLate) {
  {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(PutTimer(*store, "K1", kT0 + 5500).ok());
    ASSERT_TRUE(PutTimer(*store, "K2", kT0 + 9500).ok());
    ASSERT_TRUE(PutTimer(*store, "K2", kT0 + 9500, {{"TIMER_DEL_UNIQKEY", "TopicA+K2"}}).ok());
    test::Settle(*store);
    ASSERT_TRUE(store->Shutdown().ok());
  }
  clock_.SetWallMillis(kT0 + 8 * 86400 * kP);
  auto store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->timer_store()->recovery().overdue_timers, 3) << "two timers, one marker";
  test::Settle(*store);
  const auto got = test::ReadQueueFrom(*store, "TopicA", 1, 0);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].uniq_key, "K1");
  EXPECT_EQ(store->Stats().timer.overdue_fired, 3u);
  EXPECT_EQ(store->Stats().timer.cancelled, 1u) << "the marker still cancels in its slot";
}

// After a power loss the wheel's page may reach the disk and the timer log's
// not: slots then name units the log no longer holds. The helpers below
// leave a cleanly stopped store in that state: the log ends at `end` (the
// bytes after it zeroed, as a file whose tail never reached the disk), and
// the checkpoint says the log was flushed to `end` and the timer topic's
// queue enqueued to `queue_offset`; the wheel keeps what it had.
class TimerWheelAheadOfLogTest : public TimerStoreTest {
 protected:
  static int64_t UnitPos(int64_t i) { return i / 78 * 4096 + i % 78 * kTimerLogUnitSize; }
  void LoseTimerLogFrom(int64_t end, int64_t queue_offset) {
    const std::string dir = config_.storePathRootDir + "/timerlog/";
    char name[32];
    std::snprintf(name, sizeof(name), "%020lld", static_cast<long long>(end / 4096 * 4096));
    {
      std::fstream f(dir + name, std::ios::in | std::ios::out | std::ios::binary);
      ASSERT_TRUE(f.is_open()) << dir + name;
      f.seekp(end % 4096);
      const std::string zeros(static_cast<size_t>(4096 - end % 4096), '\0');
      f.write(zeros.data(), static_cast<std::streamsize>(zeros.size()));
    }
    TimerCheckpointFile cp(FileSystem::Default(), config_.storePathRootDir + "/config/timercheck");
    ASSERT_TRUE(cp.Load().ok());
    cp.mutable_value().last_timer_log_flush_pos = end;
    cp.mutable_value().last_timer_queue_offset = queue_offset;
    cp.mutable_value().master_timer_queue_offset = queue_offset;
    ASSERT_TRUE(cp.Flush().ok());
  }
};

// RocketMQ's checkPhyPos: slot S's last unit is lost, its ten earlier units
// lie before where recovery's scan begins (one file before the flushed
// position). Without a second scan from S's first unit, the record
// enqueued again would link to the lost position and the ten would never
// fire.
TEST_F(TimerWheelAheadOfLogTest, ASlotWhoseLastUnitIsLostFiresItsEarlierUnits) {
  const int64_t s_ms = kT0 + 100 * kP, t_ms = kT0 + 200 * kP;
  {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(PutTimer(*store, "S" + std::to_string(i), s_ms).ok());
    for (int i = 0; i < 200; ++i) ASSERT_TRUE(PutTimer(*store, "T" + std::to_string(i), t_ms).ok());
    ASSERT_TRUE(PutTimer(*store, "S10", s_ms).ok());  // unit 210, in the third file
    test::Settle(*store);
    ASSERT_TRUE(store->Shutdown().ok());
  }
  LoseTimerLogFrom(UnitPos(210), 210);
  auto store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->timer_store()->recovery().process_offset, UnitPos(210));
  test::Deliveries delivered(*store, {{"TopicA", 4}});
  test::Settle(*store);  // S10's record is enqueued again
  clock_.SetWallMillis(s_ms + kP);
  test::Settle(*store);
  delivered.Collect();
  for (int i = 0; i <= 10; ++i) EXPECT_EQ(delivered.Count("S" + std::to_string(i)), 1) << "S" << i;
  EXPECT_EQ(delivered.Count("T0"), 0) << "fired early";
  clock_.SetWallMillis(t_ms + kP);
  test::Settle(*store);
  delivered.Collect();
  for (int i = 0; i < 200; ++i) EXPECT_EQ(delivered.Count("T" + std::to_string(i)), 1) << "T" << i;
}

// A slot whose only unit is lost (its record the checkpoint says was
// enqueued) still names the lost position; the unit enqueued again there
// belongs to a later slot. The slot is emptied at recovery, so its firing
// never takes that later timer early.
TEST_F(TimerWheelAheadOfLogTest, ASlotThatLostEveryUnitIsEmptiedAndFiresNothingEarly) {
  const int64_t u_ms = kT0 + 50 * kP, t_ms = kT0 + 200 * kP;
  {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    for (int i = 0; i < 200; ++i) ASSERT_TRUE(PutTimer(*store, "T" + std::to_string(i), t_ms).ok());
    ASSERT_TRUE(PutTimer(*store, "U", u_ms).ok());       // unit 200, lost
    ASSERT_TRUE(PutTimer(*store, "T200", t_ms).ok());    // unit 201, lost, enqueued again at 200's place
    test::Settle(*store);
    ASSERT_TRUE(store->Shutdown().ok());
  }
  LoseTimerLogFrom(UnitPos(200), 201);
  auto store = Open();
  ASSERT_NE(store, nullptr);
  test::Deliveries delivered(*store, {{"TopicA", 4}});
  test::Settle(*store);
  clock_.SetWallMillis(u_ms + kP);
  test::Settle(*store);
  delivered.Collect();
  EXPECT_EQ(delivered.Count("T200"), 0) << "fired in U's slot, 150 s early";
  EXPECT_EQ(store->timer_store()->wheel()->GetSlot(u_ms).num, 0);
  clock_.SetWallMillis(t_ms + kP);
  test::Settle(*store);
  delivered.Collect();
  for (int i = 0; i <= 200; ++i) EXPECT_EQ(delivered.Count("T" + std::to_string(i)), 1) << "T" << i;
}

// Cleanup: a timer-log file goes once the commit log no longer holds the
// record its last unit points at; never the newest file.
TEST_F(TimerStoreTest, CleanupDropsTimerLogFilesWhoseRecordsAreGone) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(PutTimer(*store, "K" + std::to_string(i), kT0 + 86400 * kP).ok());
  test::Settle(*store);
  TimerMessageStore& timer = *store->timer_store();
  ASSERT_EQ(timer.timer_log()->Files().size(), 3u);
  auto kept = timer.Cleanup(0);
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(*kept, 0u);
  auto unit = timer.timer_log()->ReadUnit(78 * kTimerLogUnitSize + 40);  // the second file's first unit
  ASSERT_TRUE(unit.ok());
  auto removed = timer.Cleanup(unit->offset_py);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 1u) << "the first file's units all point below";
  removed = timer.Cleanup(INT64_MAX);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 1u) << "never the newest";
  EXPECT_EQ(timer.timer_log()->Files().size(), 1u);
  EXPECT_FALSE(Exists("timerlog/00000000000000000000"));
}

}  // namespace
}  // namespace mqstore
