// Delivery of delay levels on a fake clock: when a delayed message comes
// out, where it goes, what its record keeps, and how progress survives a
// restart, a crash and a failed re-put.
#include "storage/timer/schedule_message_service.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "format/delay_levels.h"
#include "format/property_map.h"
#include "storage/io/fake_clock.h"
#include "storage/io/fault_injection_file_system.h"
#include "storage/store_log.h"
#include "tests/storage/engine_test_util.h"
#include "tests/support/golden.h"
#include "tests/support/golden_tar.h"
#include "tests/support/reporting_child.h"

namespace mqstore {
namespace {

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class ScheduleMessageServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetLogSink({});
    // mmap: records are readable once appended (the write backend's commit
    // waits on the fake clock).
    config_ = test::SmallStoreConfig(tmp_.path() + "/store", /*write_backend=*/false);
    config_.scheduleMessageServiceEnable = false;  // rounds run by DeliverDue, unless a test starts the thread
  }
  std::unique_ptr<MessageStore> Open(FileSystem& fs = FileSystem::Default()) {
    auto store = MessageStore::Open(config_, Env(fs, clock_));
    EXPECT_TRUE(store.ok()) << store.error().ToString();
    return store.ok() ? std::move(*store) : nullptr;
  }
  std::string TablePath() const { return config_.storePathRootDir + "/config/delayOffset.json"; }
  // A message to `topic`/`queue` with DELAY=level.
  static test::OwnedMessage Delayed(const std::string& key, int level, const std::string& topic = "TopicA",
                                    int32_t queue = 1) {
    test::OwnedMessage m(topic, queue, 100, key);
    PropertyMap props = PropertyMap::Parse(m.properties);
    props.Set("DELAY", std::to_string(level));
    m.properties = *props.Serialize();
    return m;
  }
  // Puts and waits for the unit, so that a round sees it.
  static PutResult PutDispatched(MessageStore& store, const test::OwnedMessage& m) {
    const PutResult r = store.Put(m.message());
    EXPECT_TRUE(r.ok()) << r.reason;
    test::WaitDispatched(store);
    return r;
  }
  static size_t Deliver(MessageStore& store) {
    const size_t n = store.schedule_messages().DeliverDue();
    test::WaitDispatched(store);
    return n;
  }
  // UNIQ_KEYs in a real queue, in queue order.
  static std::vector<std::string> KeysIn(MessageStore& store, const std::string& topic, int32_t queue) {
    std::vector<std::string> keys;
    for (int64_t i = 0; i < store.GetMaxOffsetInQueue(topic, queue); ++i) {
      auto view = store.LookMessageByOffset(store.GetCommitLogOffsetInQueue(topic, queue, i));
      EXPECT_TRUE(view.ok());
      if (view.ok()) keys.emplace_back(view->message.properties().Get("UNIQ_KEY").value_or("?"));
    }
    return keys;
  }

  test::TempDir tmp_;
  StoreConfig config_;
  FakeClock clock_;
};

TEST_F(ScheduleMessageServiceTest, ADelayThreeMessageReachesItsRealQueueTenSecondsAfterItWasStored) {
  auto store = Open();
  ASSERT_TRUE(store);
  const test::OwnedMessage m = Delayed("K1", 3);
  const PutResult stored = PutDispatched(*store, m);
  EXPECT_EQ(Deliver(*store), 0u);
  clock_.Advance(9999);
  EXPECT_EQ(Deliver(*store), 0u) << "one millisecond early";
  EXPECT_EQ(store->GetMaxOffsetInQueue("TopicA", 1), 0);
  clock_.Advance(1);
  EXPECT_EQ(Deliver(*store), 1u);
  ASSERT_EQ(store->GetMaxOffsetInQueue("TopicA", 1), 1);

  auto view = store->LookMessageByOffset(store->GetCommitLogOffsetInQueue("TopicA", 1, 0));
  ASSERT_TRUE(view.ok());
  const MessageRecordView& d = view->message;
  EXPECT_EQ(d.topic, "TopicA");
  EXPECT_EQ(d.queue_id, 1);
  EXPECT_EQ(d.store_timestamp, stored.store_timestamp + 10000);
  EXPECT_GT(d.physical_offset, stored.wrote_offset);
  const Message original = m.message();
  EXPECT_TRUE(std::equal(d.body.begin(), d.body.end(), original.body.begin(), original.body.end()));
  EXPECT_EQ(d.born_timestamp, original.born_timestamp);
  EXPECT_EQ(d.born_host, original.born_host);
  EXPECT_EQ(d.store_host, original.store_host);
  // The props-string quirk: what Java removes from its map stays in the bytes.
  const PropertiesView p = d.properties();
  EXPECT_EQ(p.Get("DELAY"), std::optional<std::string_view>("3"));
  EXPECT_EQ(p.Get("REAL_TOPIC"), std::optional<std::string_view>("TopicA"));
  EXPECT_EQ(p.Get("REAL_QID"), std::optional<std::string_view>("1"));
  EXPECT_EQ(p.Get("UNIQ_KEY"), std::optional<std::string_view>("K1"));
  EXPECT_EQ(store->GetCommitLogOffsetInQueue("TopicA", 1, 0), d.physical_offset);

  // Delivered once, and not delayed again by the DELAY in its bytes.
  clock_.Advance(60000);
  EXPECT_EQ(Deliver(*store), 0u);
  EXPECT_EQ(store->GetMaxOffsetInQueue("SCHEDULE_TOPIC_XXXX", 2), 1);
  EXPECT_EQ(store->GetMaxOffsetInQueue("TopicA", 1), 1);
  const DelayLevelStats s = store->Stats().delay;
  EXPECT_EQ(s.delivered, 1u);
  ASSERT_EQ(s.levels.size(), 18u);
  EXPECT_EQ(s.levels[2].offset, 1);
  EXPECT_EQ(s.levels[2].pending, 0);
  EXPECT_EQ(s.levels[2].lateness_last_ms, 0);
}

TEST_F(ScheduleMessageServiceTest, LevelsAreIndependentAndEachWaitsForItsHead) {
  auto store = Open();
  ASSERT_TRUE(store);
  const int64_t t0 = clock_.WallMillis();
  PutDispatched(*store, Delayed("L3-first", 3));  // due t0 + 10 s
  PutDispatched(*store, Delayed("L2", 2, "TopicB", 0));  // due t0 + 5 s
  clock_.SetWallMillis(t0 - 8000);  // the clock goes back: the next level-3 unit is due at t0 + 2 s
  PutDispatched(*store, Delayed("L3-second", 3));
  clock_.SetWallMillis(t0 + 5000);
  EXPECT_EQ(Deliver(*store), 1u) << "level 2 is due; level 3's second is due too but waits behind its head";
  EXPECT_EQ(KeysIn(*store, "TopicB", 0), std::vector<std::string>{"L2"});
  EXPECT_TRUE(KeysIn(*store, "TopicA", 1).empty());
  EXPECT_EQ(store->Stats().delay.levels[2].pending, 2);
  clock_.SetWallMillis(t0 + 10000);
  EXPECT_EQ(Deliver(*store), 2u);
  EXPECT_EQ(KeysIn(*store, "TopicA", 1), (std::vector<std::string>{"L3-first", "L3-second"}));
  EXPECT_EQ(store->Stats().delay.levels[2].lateness_max_ms, 8000) << "the second came out 8 s late";
}

TEST_F(ScheduleMessageServiceTest, AUnitDueFurtherAheadThanItsLevelAllowsIsDeliveredNow) {
  auto store = Open();
  ASSERT_TRUE(store);
  const int64_t t0 = clock_.WallMillis();
  PutDispatched(*store, Delayed("K", 1));  // due t0 + 1 s
  clock_.SetWallMillis(t0 - 3600000);     // an hour back: due "in an hour and a second"
  EXPECT_EQ(Deliver(*store), 1u) << "correctDeliverTimestamp: a deliver time beyond now + 1 s is now";
}

TEST_F(ScheduleMessageServiceTest, AHalfTransactionMessageIsNeverDelivered) {
  auto store = Open();
  ASSERT_TRUE(store);
  PutDispatched(*store, Delayed("H", 1, "RMQ_SYS_TRANS_HALF_TOPIC", 0));
  PutDispatched(*store, Delayed("K", 1));
  clock_.Advance(1000);
  EXPECT_EQ(Deliver(*store), 1u);
  EXPECT_EQ(store->GetMaxOffsetInQueue("RMQ_SYS_TRANS_HALF_TOPIC", 0), 0);
  EXPECT_EQ(KeysIn(*store, "TopicA", 1), std::vector<std::string>{"K"});
  EXPECT_EQ(store->Stats().delay.skipped, 1u);
  EXPECT_EQ(store->Stats().delay.levels[0].offset, 2);
}

TEST_F(ScheduleMessageServiceTest, AFailedRePutRetriesTheSameUnit) {
  auto store = Open();
  ASSERT_TRUE(store);
  PutDispatched(*store, Delayed("A", 1));
  PutDispatched(*store, Delayed("B", 1));
  clock_.Advance(1000);
  // A service of its own over the store's log and queues, whose re-put
  // answers FLUSH_DISK_TIMEOUT after storing the second time it is called.
  int calls = 0;
  ScheduleMessageService::Options o;
  o.delay_level_millis = *ParseDelayLevels(config_.messageDelayLevel);
  o.table_path = tmp_.path() + "/own/delayOffset.json";
  ScheduleMessageService service(
      store->commit_log(), store->consume_queues(), FileSystem::Default(), clock_, o,
      [&](const Message& m) {
        ++calls;
        if (calls == 1) {
          PutResult busy;
          busy.status = PutStatus::kOsPageCacheBusy;
          return busy;
        }
        PutResult r = store->PutBatch({&m, 1});
        if (calls == 3) r.status = PutStatus::kFlushDiskTimeout;  // stored, but not PUT_OK
        return r;
      },
      {});
  ASSERT_TRUE(service.Load().ok());
  EXPECT_EQ(service.DeliverDue(), 0u) << "refused: the level stays at A";
  EXPECT_EQ(service.table().Get(1), 0);
  EXPECT_EQ(service.DeliverDue(), 1u) << "A, then B stored but answered FLUSH_DISK_TIMEOUT";
  EXPECT_EQ(service.table().Get(1), 1);
  EXPECT_EQ(service.DeliverDue(), 1u) << "B again";
  EXPECT_EQ(service.table().Get(1), 2);
  test::WaitDispatched(*store);
  EXPECT_EQ(KeysIn(*store, "TopicA", 1), (std::vector<std::string>{"A", "B", "B"}))
      << "at-least-once: a re-put that stored its record but did not answer PUT_OK is a duplicate";
  EXPECT_EQ(service.Stats().put_failures, 2u);
}

// Cleanup deleted the oldest segments before their delayed messages came
// due: those messages are gone (RocketMQ skips them too), the level moves
// past them, and every one still in the log is delivered.
TEST_F(ScheduleMessageServiceTest, UnitsWhoseRecordsCleanupDeletedAreSkipped) {
  config_.maxStoreSizeBytes = 2 * config_.mappedFileSizeCommitLog;
  std::vector<std::pair<std::string, int64_t>> puts;  // key, commit-log offset
  {
    auto store = Open();
    ASSERT_TRUE(store);
    for (int i = 0; store->commit_log().Segments().size() < 5; ++i) {
      const std::string key = "K" + std::to_string(i);
      puts.emplace_back(key, store->Put(Delayed(key, 1).message()).wrote_offset);
    }
    test::WaitDispatched(*store);
    ASSERT_TRUE(store->Flush().ok());
    ASSERT_TRUE(store->cleanup().RunOnce().ok());
    ASSERT_TRUE(store->Shutdown().ok());
  }
  config_.maxStoreSizeBytes = 0;  // the deliveries must not push more out
  auto store = Open();
  ASSERT_TRUE(store);
  const int64_t min = store->GetMinPhyOffset();
  ASSERT_GE(min, 2 * config_.mappedFileSizeCommitLog) << "cleanup took the oldest segments";
  std::vector<std::string> survivors;
  for (const auto& [key, offset] : puts)
    if (offset >= min) survivors.push_back(key);
  ASSERT_FALSE(survivors.empty());
  clock_.Advance(1000);
  EXPECT_EQ(Deliver(*store), survivors.size());
  EXPECT_EQ(KeysIn(*store, "TopicA", 1), survivors);
  EXPECT_EQ(store->Stats().delay.levels[0].pending, 0);
}

TEST_F(ScheduleMessageServiceTest, ARestartResumesFromDelayOffsetJson) {
  {
    auto store = Open();
    ASSERT_TRUE(store);
    for (int i = 0; i < 3; ++i) PutDispatched(*store, Delayed("K" + std::to_string(i), 1));
    PutDispatched(*store, Delayed("L4", 4));
    clock_.Advance(1000);
    EXPECT_EQ(Deliver(*store), 3u);
    ASSERT_TRUE(store->Shutdown().ok());
  }
  const std::string json = ReadText(TablePath());
  EXPECT_NE(json.find("\"offsetTable\":{1:3\n\t}"), std::string::npos) << json;
  auto store = Open();
  ASSERT_TRUE(store);
  EXPECT_EQ(store->schedule_messages().table().loaded_from(), TablePath());
  EXPECT_EQ(Deliver(*store), 0u) << "nothing twice";
  clock_.Advance(29000);
  EXPECT_EQ(Deliver(*store), 1u) << "level 4 still pending, delivered when due";
  EXPECT_EQ(KeysIn(*store, "TopicA", 1), (std::vector<std::string>{"K0", "K1", "K2", "L4"}));
}

// A crash loses what was delivered after the last persist of the table:
// those messages come out again (RocketMQ: up to flushDelayOffsetInterval
// of deliveries), and nothing before it does.
TEST_F(ScheduleMessageServiceTest, ACrashRedeliversOnlyWhatCameAfterTheLastPersistedOffset) {
  FaultInjectionFileSystem fs(FileSystem::Default());
  {
    auto store = Open(fs);
    ASSERT_TRUE(store);
    PutDispatched(*store, Delayed("A", 1));
    PutDispatched(*store, Delayed("B", 1));
    clock_.Advance(1000);
    EXPECT_EQ(Deliver(*store), 2u);
    ASSERT_TRUE(store->schedule_messages().Persist().ok());
    PutDispatched(*store, Delayed("C", 1));
    clock_.Advance(1000);
    EXPECT_EQ(Deliver(*store), 1u);
    ASSERT_TRUE(store->Flush().ok());  // C's delivered record is durable, the table's move past C is not
    test::PowerCut(fs, std::move(store));
  }
  auto store = Open();
  ASSERT_TRUE(store);
  EXPECT_TRUE(store->recovery().abnormal);
  EXPECT_EQ(store->schedule_messages().table().Get(1), 2);
  EXPECT_EQ(Deliver(*store), 1u);
  EXPECT_EQ(KeysIn(*store, "TopicA", 1), (std::vector<std::string>{"A", "B", "C", "C"}))
      << "C twice (delivered after the persist), A and B once";
}

TEST_F(ScheduleMessageServiceTest, APersistFlushesTheDeliveredRecordsFirst) {
  FaultInjectionFileSystem fs(FileSystem::Default());
  {
    auto store = Open(fs);
    ASSERT_TRUE(store);
    PutDispatched(*store, Delayed("A", 1));
    ASSERT_TRUE(store->Flush().ok());
    clock_.Advance(1000);
    EXPECT_EQ(Deliver(*store), 1u);
    ASSERT_TRUE(store->schedule_messages().Persist().ok());  // no store->Flush() here
    test::PowerCut(fs, std::move(store));
  }
  auto store = Open();
  ASSERT_TRUE(store);
  EXPECT_EQ(store->schedule_messages().table().Get(1), 1);
  EXPECT_EQ(KeysIn(*store, "TopicA", 1), std::vector<std::string>{"A"})
      << "the table said A was delivered: its record survived the power loss";
}

TEST_F(ScheduleMessageServiceTest, ASlaveDeliversNothingAndWritesNoTable) {
  {
    auto store = Open();
    ASSERT_TRUE(store);
    PutDispatched(*store, Delayed("A", 1));
    ASSERT_TRUE(store->Shutdown().ok());
  }
  std::remove(TablePath().c_str());
  config_.brokerRole = BrokerRole::kSlave;
  config_.scheduleMessageServiceEnable = true;
  auto store = Open();
  ASSERT_TRUE(store);
  clock_.Advance(60000);
  EXPECT_EQ(store->schedule_messages().DeliverDue(), 0u);
  EXPECT_FALSE(store->Stats().delay.delivering);
  EXPECT_EQ(store->GetMaxOffsetInQueue("TopicA", 1), 0);
  ASSERT_TRUE(store->Shutdown().ok());
  EXPECT_FALSE(FileSystem::Default().Exists(TablePath()));
}

TEST_F(ScheduleMessageServiceTest, BothTableFilesDamagedStopsDeliveryAndKeepsTheFiles) {
  {
    auto store = Open();
    ASSERT_TRUE(store);
    PutDispatched(*store, Delayed("A", 1));
    ASSERT_TRUE(store->Shutdown().ok());
  }
  std::ofstream(TablePath(), std::ios::trunc) << "{\"offsetTable\":{1:";
  std::ofstream(TablePath() + ".bak", std::ios::trunc) << "garbage";
  auto store = Open();
  ASSERT_TRUE(store) << "the store opens; only delivery stops";
  const DelayLevelStats s = store->Stats().delay;
  EXPECT_NE(s.error.find("delivery does not start"), std::string::npos) << s.error;
  clock_.Advance(60000);
  EXPECT_EQ(store->schedule_messages().DeliverDue(), 0u);
  ASSERT_TRUE(store->Shutdown().ok());
  EXPECT_EQ(ReadText(TablePath()), "{\"offsetTable\":{1:") << "left for the operator";
}

TEST_F(ScheduleMessageServiceTest, TheThreadDeliversAndPersistsOnTheStoresClock) {
  config_.scheduleMessageServiceEnable = true;
  config_.flushDelayOffsetInterval = 1000;
  auto store = Open();
  ASSERT_TRUE(store);
  EXPECT_TRUE(store->Stats().delay.delivering);
  PutDispatched(*store, Delayed("A", 2));
  clock_.Advance(4900);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(store->Stats().delay.delivered, 0u);
  for (int i = 0; i < 5000 && store->Stats().delay.delivered == 0; ++i) {
    clock_.Advance(100);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_EQ(store->Stats().delay.delivered, 1u);
  for (int i = 0; i < 5000 && ReadText(TablePath()).find("{2:1\n") == std::string::npos; ++i) {
    clock_.Advance(100);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_NE(ReadText(TablePath()).find("{2:1\n"), std::string::npos) << "persisted every flushDelayOffsetInterval";
  ASSERT_TRUE(store->Shutdown().ok());
}

// The 5.3.3 timer store holds five SCHEDULE_TOPIC_XXXX records (DELAY 1-4,
// queues 0-3) that no service delivered (the service belongs to the
// broker). Opened at the run's end, every one is overdue: each comes out
// once, to its REAL_TOPIC/REAL_QID, and the table is written in fastjson's
// form.
TEST_F(ScheduleMessageServiceTest, TheGoldenStoresDelayedMessagesAreDeliveredOnceEach) {
  MQ_GOLDEN_OR_SKIP(golden);
  const std::string set = golden + "/rocketmq-5.3.3-timer/timer-clean";
  std::string why;
  ASSERT_FALSE(test::UnpackStoreTarball(set, tmp_.path(), &why).empty()) << why;
  const test::Json run = test::ParseJson(ReadText(set + "/expected-run.json"));
  const int64_t end_ms = run["endOfRun"]["timerState"]["wallMs"].i;
  struct Delayed {
    std::string key, topic;
    int32_t queue;
    int level;
    int64_t deliver_ms;
  };
  std::vector<Delayed> delayed;
  const std::vector<int64_t>& levels = DefaultDelayLevels();
  for (const test::Json& r : test::ReadJsonLines(set + "/expected-commitlog.jsonl")) {
    if (r.Has("blank") || r["topic"].s != "SCHEDULE_TOPIC_XXXX") continue;
    const test::Json& p = r["properties"];
    const int level = std::stoi(p["DELAY"].s);
    ASSERT_EQ(r["queueId"].i, level - 1);
    delayed.push_back({p["UNIQ_KEY"].s, p["REAL_TOPIC"].s, std::stoi(p["REAL_QID"].s), level,
                       r["storeTimestamp"].i + levels[static_cast<size_t>(level - 1)]});
  }
  ASSERT_EQ(delayed.size(), 5u);

  FakeClock clock(end_ms);
  StoreConfig c;
  c.storePathRootDir = tmp_.path() + "/store";
  c.mappedFileSizeCommitLog = 1048576;
  c.mappedFileSizeConsumeQueue = 6000;
  c.maxHashSlotNum = 1000;
  c.maxIndexNum = 4000;
  c.scheduleMessageServiceEnable = false;
  auto opened = MessageStore::Open(c, Env(FileSystem::Default(), clock));
  ASSERT_TRUE(opened.ok()) << opened.error().ToString();
  MessageStore& store = **opened;
  auto count = [&](const Delayed& d) {
    const std::vector<std::string> keys = KeysIn(store, d.topic, d.queue);
    return std::count(keys.begin(), keys.end(), d.key);
  };
  for (const Delayed& d : delayed) EXPECT_EQ(count(d), 0) << d.key;

  EXPECT_EQ(Deliver(store), 5u);
  EXPECT_EQ(Deliver(store), 0u);
  const DelayLevelStats stats = store.Stats().delay;
  for (const Delayed& d : delayed) {
    EXPECT_EQ(count(d), 1) << d.key << " to " << d.topic << "/" << d.queue;
    EXPECT_LT(d.deliver_ms, end_ms);
    EXPECT_GE(stats.levels[static_cast<size_t>(d.level - 1)].lateness_max_ms, end_ms - d.deliver_ms - 1)
        << "the unit's tagsCode is its deliver time";
  }
  ASSERT_TRUE(store.Shutdown().ok());
  EXPECT_EQ(ReadText(c.storePathRootDir + "/config/delayOffset.json"),
            "{\n\t\"dataVersion\":{\n\t\t\"counter\":0,\n\t\t\"stateVersion\":0,\n\t\t\"timestamp\":" +
                std::to_string(end_ms) + "\n\t},\n\t\"offsetTable\":{1:1,2:1,3:2,4:1\n\t}\n}");
}

// A broker killed with SIGKILL while its delivery thread runs: nothing is
// lost, and the only duplicates are the messages delivered after the last
// persist of delayOffset.json, right after the offset the restart loads.
class ScheduleMessageKillTest : public ::testing::Test {};

TEST_F(ScheduleMessageKillTest, KilledWhileDeliveringLosesNothingAndRepeatsOnlyPastThePersistedOffset) {
  SetLogSink({});
  test::TempDir tmp;
  StoreConfig config = test::SmallStoreConfig(tmp.path() + "/store", /*write_backend=*/false);
  config.flushDelayOffsetInterval = 50;
  test::ReportingChild child([&](int report) {
    auto store = MessageStore::Open(config);  // the real clock; the delivery thread runs
    if (!store.ok()) _exit(3);
    for (int i = 0;; ++i) {
      test::OwnedMessage m("TopicA", 1, 100, "d" + std::to_string(i));
      PropertyMap props = PropertyMap::Parse(m.properties);
      props.Set("DELAY", "1");
      m.properties = *props.Serialize();
      if (!(*store)->Put(m.message()).ok()) _exit(4);
      const uint64_t delivered = (*store)->Stats().delay.delivered;
      if (i % 10 == 9 && write(report, &delivered, sizeof delivered) != sizeof delivered) _exit(5);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  ASSERT_TRUE(child.started());
  uint64_t delivered = 0;
  while (delivered < 300 && child.Read(delivered)) {
  }
  ASSERT_TRUE(child.KillAndReap()) << "the broker stopped by itself: " << child.why();
  ASSERT_GE(delivered, 300u);

  config.scheduleMessageServiceEnable = false;
  FakeClock later(Clock::System().WallMillis() + 60000);  // every unit due
  auto store = MessageStore::Open(config, Env(FileSystem::Default(), later));
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  MessageStore& s = **store;
  const int64_t resumed_at = s.schedule_messages().table().Get(1);
  EXPECT_GT(resumed_at, 0) << "the thread persisted its progress every 50 ms";
  s.schedule_messages().DeliverDue();
  test::WaitDispatched(s);

  std::map<std::string, int> copies;
  for (int64_t i = 0; i < s.GetMaxOffsetInQueue("TopicA", 1); ++i) {
    auto view = s.LookMessageByOffset(s.GetCommitLogOffsetInQueue("TopicA", 1, i));
    ASSERT_TRUE(view.ok());
    ++copies[std::string(view->message.properties().Get("UNIQ_KEY").value_or(""))];
  }
  const int64_t units = s.GetMaxOffsetInQueue("SCHEDULE_TOPIC_XXXX", 0);
  bool past_duplicates = false;
  int64_t duplicates = 0;
  for (int64_t i = 0; i < units; ++i) {
    auto view = s.LookMessageByOffset(s.GetCommitLogOffsetInQueue("SCHEDULE_TOPIC_XXXX", 0, i));
    ASSERT_TRUE(view.ok());
    const std::string key(view->message.properties().Get("UNIQ_KEY").value_or(""));
    const int n = copies[key];
    if (i < resumed_at) {
      EXPECT_EQ(n, 1) << key << ", before the persisted offset " << resumed_at;
    } else {
      ASSERT_GE(n, 1) << key << " was lost";
      ASSERT_LE(n, 2) << key;
      if (n == 1) past_duplicates = true;
      EXPECT_FALSE(n == 2 && past_duplicates) << key << ": duplicates only right after the persisted offset";
      duplicates += n - 1;
    }
  }
  RecordProperty("duplicates", static_cast<int>(duplicates));
  ASSERT_TRUE(s.Shutdown().ok());
}

}  // namespace
}  // namespace mqstore
