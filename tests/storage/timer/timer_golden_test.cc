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
                                                       [](const Message&) { return PutResult{}; }},
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

INSTANTIATE_TEST_SUITE_P(Sets, TimerGoldenTest,
                         ::testing::Values(GoldenSet{"timer-clean", false}, GoldenSet{"timer-roll", true}),
                         [](const auto& info) { return info.param.roll ? std::string("Roll") : std::string("Clean"); });

}  // namespace
}  // namespace mqstore::test
