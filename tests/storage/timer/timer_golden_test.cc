// The RocketMQ 5.3.3 timer golden stores (../shared/golden/rocketmq-5.3.3-timer)
// are the judge of the timer store: opened here they hold exactly the
// timers RocketMQ held (expected-recovery.json), fire each at its time on a
// fake clock, once, never early, and never the cancelled ones; and the
// units and slots written for RocketMQ's inputs are its bytes.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "format/segment_name.h"
#include "storage/io/fake_clock.h"
#include "storage/message_store.h"
#include "tests/storage/timer/timer_test_util.h"
#include "tests/support/golden.h"

namespace mqstore::test {
namespace {

constexpr int64_t kP = 1000;

struct GoldenSet {
  std::string name;
  bool roll = false;
};

class TimerGoldenTest : public ::testing::TestWithParam<GoldenSet> {
 protected:
  void SetUp() override {
    golden_ = GoldenDir();
    if (golden_.empty()) GTEST_SKIP() << "golden folder ../shared/golden is absent; skipping";
    set_dir_ = golden_ + kTimerGoldenSet + "/" + GetParam().name;
    root_ = UnpackTimerStore(golden_, GetParam().name, tmp_.path());
    run_ = ParseJson(ReadFileText(set_dir_ + "/expected-run.json"));
    recovery_ = ParseJson(ReadFileText(set_dir_ + "/expected-recovery.json"));
  }
  static std::string ReadFileText(const std::string& path) {
    auto bytes = ReadFileBytes(path);
    return std::string(bytes.begin(), bytes.end());
  }
  int64_t EndWallMs() const { return run_["endOfRun"]["timerState"]["wallMs"].i; }

  std::unique_ptr<MessageStore> OpenStore(FakeClock& clock, StoreConfig config) {
    auto store = MessageStore::Open(config, Env(FileSystem::Default(), clock));
    EXPECT_TRUE(store.ok()) << store.error().ToString();
    return store.ok() ? std::move(*store) : nullptr;
  }

  std::string golden_, set_dir_, root_;
  TempDir tmp_;
  Json run_, recovery_;
};

TEST_P(TimerGoldenTest, OpensHoldingExactlyTheTimersRocketMqHeld) {
  FakeClock clock(EndWallMs());
  auto store = OpenStore(clock, TimerGoldenConfig(root_, GetParam().roll));
  ASSERT_NE(store, nullptr);
  TimerMessageStore* timer = store->timer_store();
  ASSERT_NE(timer, nullptr);
  const Json& state = recovery_["timerState"];
  EXPECT_EQ(timer->recovery().process_offset, state["timerLogMaxOffset"].i);
  EXPECT_EQ(timer->curr_queue_offset(), state["currQueueOffset"].i);
  EXPECT_EQ(timer->curr_read_time_ms(), state["currReadTimeMs"].i);
  EXPECT_EQ(timer->PendingCount(), state["allCongestNum"].i);
  EXPECT_EQ(timer->wheel()->AllNum(timer->curr_read_time_ms()), state["allCongestNum"].i);
  // RocketMQ's own scan started one file before the flushed position.
  const std::string begin_line = "Begin to recover timerLog offset:" + std::to_string(timer->recovery().scan_from);
  bool logged = false;
  for (const Json& line : recovery_["logLines"].array) logged = logged || line.s.find(begin_line) != std::string::npos;
  EXPECT_TRUE(logged) << begin_line;

  // Every pending slot as RocketMQ reported it, and no other.
  std::set<int64_t> expected_slots;
  for (const Json& s : recovery_["upcomingSlots"].array) {
    const TimerWheelSlot slot = timer->wheel()->GetSlot(s["timeMs"].i);
    EXPECT_EQ(slot.first_pos, s["firstPos"].i) << s["timeMs"].i;
    EXPECT_EQ(slot.last_pos, s["lastPos"].i) << s["timeMs"].i;
    EXPECT_EQ(slot.num, s["num"].i) << s["timeMs"].i;
    expected_slots.insert(s["timeMs"].i);
  }
  std::set<int64_t> held;
  const int64_t from = timer->curr_read_time_ms() / kP;
  for (int64_t t = from; t < from + kTimerWheelSlots; ++t)
    if (timer->wheel()->GetSlot(t * kP).time_units != 0) held.insert(t * kP);
  EXPECT_EQ(held, expected_slots);

  // Each slot's chain is the units RocketMQ walked.
  std::set<int64_t> expected_units, walked;
  for (const Json& u : recovery_["pendingUnits"].array) expected_units.insert(u["timerLogOffset"].i);
  for (int64_t t : held)
    for (int64_t pos = timer->wheel()->GetSlot(t).last_pos; pos >= 0;) {
      auto unit = timer->timer_log()->ReadUnit(pos);
      ASSERT_TRUE(unit.ok()) << unit.error().ToString();
      EXPECT_EQ(unit->slot_time_ms(), t);
      walked.insert(pos);
      pos = unit->prev_pos;
    }
  EXPECT_EQ(walked, expected_units);
  EXPECT_EQ(store->Stats().timer.pending, state["allCongestNum"].i);
}

// Replays RocketMQ's enqueues (same records, same write times, in the same
// order) into a fresh timer store: the timer log and the wheel come out
// byte for byte as RocketMQ wrote them.
TEST_P(TimerGoldenTest, UnitsAndSlotsWrittenForRocketMqsInputsAreItsBytes) {
  FakeClock clock(EndWallMs());
  StoreConfig config = TimerGoldenConfig(root_, GetParam().roll);
  config.timerWheelEnable = false;  // the golden timer files stay as they are
  auto store = OpenStore(clock, config);
  ASSERT_NE(store, nullptr);
  TempDir fresh;
  TimerStoreOptions options = TimerStoreOptions::From(TimerGoldenConfig(fresh.path(), GetParam().roll));
  auto timer = TimerMessageStore::Open(TimerStoreParts{FileSystem::Default(), clock, store->commit_log(),
                                                       store->consume_queues(),
                                                       [](const Message&) { return PutResult{}; }, {}},
                                       options);
  ASSERT_TRUE(timer.ok()) << timer.error().ToString();
  size_t units = 0;
  for (const Json& u : ReadJsonLines(set_dir_ + "/expected-timerlog.jsonl")) {
    if (u.Has("blank")) continue;
    auto record = store->LookMessageByOffset(u["commitLogOffset"].i);
    ASSERT_TRUE(record.ok()) << record.error().ToString();
    const PropertiesView props = record->message.properties();
    const auto out_ms = props.Get("TIMER_OUT_MS");
    ASSERT_TRUE(out_ms.has_value());
    (*timer)->set_curr_write_time_ms(u["writeTimeMs"].i);
    auto pos = (*timer)->EnqueueUnit(u["commitLogOffset"].i, static_cast<int32_t>(u["sizePy"].i),
                                     std::stoll(std::string(*out_ms)), props.Get("TIMER_DEL_UNIQKEY").has_value(),
                                     props.Get("REAL_TOPIC").value_or(""));
    ASSERT_TRUE(pos.ok()) << pos.error().ToString();
    ASSERT_EQ(*pos, u["timerLogOffset"].i);
    ++units;
  }
  EXPECT_GT(units, 300u);
  ASSERT_TRUE((*timer)->FlushOnce().ok());
  auto files = ListSegments(FileSystem::Default(), root_ + "/timerlog");
  ASSERT_TRUE(files.ok());
  ASSERT_FALSE(files->empty());
  for (const SegmentFile& f : *files) {
    const auto ours = ReadFileBytes(fresh.path() + "/timerlog/" + SegmentFileName(f.start_offset));
    EXPECT_TRUE(ours == ReadFileBytes(f.path)) << f.path;
  }
  EXPECT_TRUE(ReadFileBytes(fresh.path() + "/timerwheel") == ReadFileBytes(root_ + "/timerwheel"));
}

// Steps the fake clock to just before and then to each pending timer's
// slot end: nothing fires early, everything fires once, cancelled never.
// The roll set is reopened with the default 2-day window: with its 20 s
// window each 3-day timer would roll about 20,000 times before firing.
TEST_P(TimerGoldenTest, FiresEveryPendingTimerOnceNeverEarlyAndNeverACancelledOne) {
  FakeClock clock(EndWallMs());
  StoreConfig config = TimerGoldenConfig(root_, GetParam().roll);
  config.timerRollWindowSlot = StoreConfig{}.timerRollWindowSlot;
  auto store = OpenStore(clock, config);
  ASSERT_NE(store, nullptr);
  Deliveries delivered(*store);
  struct Pending {
    std::string topic;
    int32_t queue_id;
    bool cancelled;
  };
  std::map<int64_t, std::map<std::string, Pending>> by_time;
  size_t to_fire = 0;
  for (const Json& p : ReadJsonLines(set_dir_ + "/expected-timer-pending.jsonl")) {
    const bool cancelled = p["cancellationPending"].b;
    by_time[p["deliverMs"].i][p["uniqKey"].s] =
        Pending{p["realTopic"].s, static_cast<int32_t>(p["realQueueId"].i), cancelled};
    to_fire += cancelled ? 0 : 1;
  }
  EXPECT_EQ(to_fire, 100u);
  for (const auto& [due, timers] : by_time) {
    clock.SetWallMillis(due + kP - 1);
    Settle(*store);
    delivered.Collect();
    for (const auto& [uniq, p] : timers) EXPECT_EQ(delivered.Count(uniq), 0) << uniq << " fired before " << due + kP;
    clock.SetWallMillis(due + kP);
    Settle(*store);
    delivered.Collect();
    for (const auto& [uniq, p] : timers) {
      EXPECT_EQ(delivered.Count(uniq), p.cancelled ? 0 : 1) << uniq << " due " << due;
      if (!p.cancelled && delivered.Count(uniq) == 1) {
        EXPECT_EQ(delivered.Where(uniq).first, p.topic);
        EXPECT_EQ(delivered.Where(uniq).second, p.queue_id);
      }
    }
  }
  // Well past the last one: nothing more, and the cancelled never.
  clock.SetWallMillis(by_time.rbegin()->first + 10 * 86400 * kP);
  Settle(*store);
  delivered.Collect();
  EXPECT_EQ(delivered.total(), to_fire);
  for (const Json& c : ReadJsonLines(set_dir_ + "/expected-timer-cancelled.jsonl"))
    EXPECT_EQ(delivered.Count(c["uniqKey"].s), 0) << c["uniqKey"].s;
  const TimerStats stats = store->Stats().timer;
  EXPECT_EQ(stats.fired, to_fire);
  EXPECT_EQ(stats.cancelled, 7u);
  EXPECT_EQ(stats.pending, 0);
  EXPECT_EQ(stats.lateness_ms.count, to_fire);
  EXPECT_EQ(stats.lateness_ms.max, static_cast<uint64_t>(kP)) << "each fired once its slot ended";
}

INSTANTIATE_TEST_SUITE_P(Sets, TimerGoldenTest,
                         ::testing::Values(GoldenSet{"timer-clean", false}, GoldenSet{"timer-roll", true}),
                         [](const auto& info) { return info.param.roll ? std::string("Roll") : std::string("Clean"); });

// timer-roll with its own 20 s window: the 114 units of the pending slot
// (107 timers and 7 markers, all ROLL) go back into the timer topic with
// TIMER_ROLL_TIMES one up, the same TIMER_OUT_MS, and the unit's write time
// as TIMER_ENQUEUE_MS; none reaches a real topic.
TEST(TimerGoldenRollTest, DueRollUnitsGoBackIntoTheTimerTopic) {
  MQ_GOLDEN_OR_SKIP(golden);
  TempDir tmp;
  const std::string root = UnpackTimerStore(golden, "timer-roll", tmp.path());
  const int64_t slot = 1796508816000;
  FakeClock clock(1796508796827);
  auto opened = MessageStore::Open(TimerGoldenConfig(root, /*roll_set=*/true), Env(FileSystem::Default(), clock));
  ASSERT_TRUE(opened.ok()) << opened.error().ToString();
  MessageStore& store = **opened;
  const std::string timer_topic(kTimerTopic);
  const int64_t before = store.GetMaxOffsetInQueue(timer_topic, 0);
  Deliveries delivered(store);
  std::map<std::string, int> previous_rolls;  // by uniq key, from the last timer-topic record
  for (const DeliveredTimer& d : ReadQueueFrom(store, timer_topic, 0, 0))
    previous_rolls[d.props.at("REAL_TOPIC") + "+" + d.uniq_key + (d.props.count("TIMER_DEL_UNIQKEY") ? "+del" : "")] =
        d.props.count("TIMER_ROLL_TIMES") ? std::stoi(d.props.at("TIMER_ROLL_TIMES")) : 0;
  clock.SetWallMillis(slot + kP - 1);
  ASSERT_TRUE(store.timer_store()->RunDue().ok());
  WaitDispatched(store);
  EXPECT_EQ(store.GetMaxOffsetInQueue(timer_topic, 0), before) << "fired early";
  clock.SetWallMillis(slot + kP);
  ASSERT_TRUE(store.timer_store()->RunDue().ok());
  WaitDispatched(store);
  const auto rolled = ReadQueueFrom(store, timer_topic, 0, before);
  EXPECT_EQ(rolled.size(), 114u);
  for (const DeliveredTimer& d : rolled) {
    const std::string key = d.props.at("REAL_TOPIC") + "+" + d.uniq_key + (d.props.count("TIMER_DEL_UNIQKEY") ? "+del" : "");
    ASSERT_TRUE(previous_rolls.count(key)) << key;
    EXPECT_EQ(d.props.at("TIMER_ROLL_TIMES"), std::to_string(previous_rolls[key] + 1)) << key;
    EXPECT_EQ(d.props.at("TIMER_ENQUEUE_MS"), "1796508796000") << key;
    EXPECT_EQ(d.props.at("TIMER_DEQUEUE_MS"), std::to_string(slot + kP)) << key;
    EXPECT_GT(std::stoll(d.props.at("TIMER_OUT_MS")), slot + kP) << key;
  }
  delivered.Collect();
  EXPECT_EQ(delivered.total(), 0u);
  EXPECT_EQ(store.Stats().timer.rolled, 114u);
}

}  // namespace
}  // namespace mqstore::test
