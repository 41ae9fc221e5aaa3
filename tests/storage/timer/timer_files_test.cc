// The timer store's files on their own: the timer log's filler rule and
// truncation, the wheel's stale slots, the checkpoint and the metrics JSON.
#include <gtest/gtest.h>

#include "format/segment_name.h"
#include "storage/store_log.h"
#include "storage/timer/timer_checkpoint.h"
#include "storage/timer/timer_log.h"
#include "storage/timer/timer_metrics.h"
#include "storage/timer/timer_wheel.h"
#include "tests/support/golden.h"

namespace mqstore {
namespace {

TimerLogUnit UnitFor(int64_t offset_py) {
  TimerLogUnit u;
  u.write_time_ms = 1000;
  u.delay_ms = 2000;
  u.offset_py = offset_py;
  u.size_py = 100;
  return u;
}

TEST(TimerLogTest, AUnitThatWouldLeaveNoRoomForAFillerStartsTheNextFile) {
  test::TempDir tmp;
  TimerLog log(FileSystem::Default(), tmp.path() + "/timerlog", 200);
  ASSERT_TRUE(log.Load().ok());
  EXPECT_TRUE(log.empty()) << "nothing is created before the first unit";
  for (int i = 0; i < 3; ++i) {
    auto pos = log.Append(UnitFor(i));
    ASSERT_TRUE(pos.ok());
    EXPECT_EQ(*pos, i * 52);
  }
  auto fourth = log.Append(UnitFor(3));  // 156 + 52 + 16 > 200
  ASSERT_TRUE(fourth.ok());
  EXPECT_EQ(*fourth, 200);
  auto blank = log.Read(156);
  ASSERT_TRUE(blank.ok()) << blank.error().ToString();
  ASSERT_TRUE(std::holds_alternative<TimerLogBlank>(*blank));
  EXPECT_EQ(std::get<TimerLogBlank>(*blank).size, 44);
  auto unit = log.ReadUnit(200);
  ASSERT_TRUE(unit.ok());
  EXPECT_EQ(unit->offset_py, 3);
  EXPECT_FALSE(log.ReadUnit(156).ok()) << "a filler is not a unit";
  EXPECT_FALSE(log.ReadUnit(252).ok()) << "past the end";
  EXPECT_EQ(log.MaxOffset(), 252);
  EXPECT_TRUE(FileSystem::Default().Exists(tmp.path() + "/timerlog/" + SegmentFileName(200)));
  ASSERT_TRUE(log.Flush().ok());
  EXPECT_EQ(log.FlushedWhere(), 252);
}

TEST(TimerLogTest, TruncateToZeroesTheTailAndDropsLaterFiles) {
  SetLogSink({});
  test::TempDir tmp;
  {
    TimerLog log(FileSystem::Default(), tmp.path() + "/timerlog", 200);
    ASSERT_TRUE(log.Load().ok());
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(log.Append(UnitFor(i)).ok());
    ASSERT_TRUE(log.Flush().ok());
  }
  TimerLog log(FileSystem::Default(), tmp.path() + "/timerlog", 200);
  ASSERT_TRUE(log.Load().ok());
  ASSERT_TRUE(log.TruncateTo(104).ok());
  EXPECT_EQ(log.MaxOffset(), 104);
  EXPECT_EQ(log.Files().size(), 1u);
  EXPECT_FALSE(FileSystem::Default().Exists(tmp.path() + "/timerlog/" + SegmentFileName(200)));
  const auto bytes = test::ReadFileBytes(tmp.path() + "/timerlog/" + SegmentFileName(0));
  for (size_t i = 104; i < bytes.size(); ++i) ASSERT_EQ(bytes[i], 0) << i;
  auto next = log.Append(UnitFor(9));
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, 104);
}

TEST(TimerLogTest, AFileOfAnotherSizeIsRefusedNamingTheKnob) {
  test::TempDir tmp;
  {
    TimerLog log(FileSystem::Default(), tmp.path() + "/timerlog", 200);
    ASSERT_TRUE(log.Load().ok());
    ASSERT_TRUE(log.Append(UnitFor(0)).ok());
  }
  TimerLog log(FileSystem::Default(), tmp.path() + "/timerlog", 400);
  const Status st = log.Load();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.ToString().find("mappedFileSizeTimerLog"), std::string::npos) << st.ToString();
}

TEST(TimerWheelTest, ASlotHoldingAnotherTimeReadsEmptyAndIsOverwrittenByRevision) {
  test::TempDir tmp;
  auto wheel = TimerWheel::Open(FileSystem::Default(), tmp.path() + "/timerwheel", 1000);
  ASSERT_TRUE(wheel.ok()) << wheel.error().ToString();
  const int64_t t = 1800000000000;
  (*wheel)->PutSlot(t, 52, 104, 2, 0);
  EXPECT_EQ((*wheel)->GetSlot(t), (TimerWheelSlot{t / 1000, 52, 104, 2, 0}));
  const int64_t later = t + kTimerWheelSlots * 1000;  // the same position, 14 days on
  EXPECT_EQ((*wheel)->GetSlot(later), (TimerWheelSlot{0, -1, -1, 0, 0}));
  EXPECT_EQ((*wheel)->AllNum(t), 2);
  (*wheel)->ReviseLastPos(later, 208);
  EXPECT_EQ((*wheel)->GetSlot(later), (TimerWheelSlot{later / 1000, 208, 208, 0, 0}));
  (*wheel)->ReviseLastPos(later, 260);
  EXPECT_EQ((*wheel)->GetSlot(later).first_pos, 208);
  EXPECT_EQ((*wheel)->GetSlot(later).last_pos, 260);
  ASSERT_TRUE((*wheel)->Flush().ok());
  EXPECT_EQ(test::ReadFileBytes(tmp.path() + "/timerwheel").size(), static_cast<size_t>(kTimerWheelFileSize));
}

TEST(TimerCheckpointFileTest, AMissingFileReadsAsZerosAndAFlushedOneReadsBack) {
  test::TempDir tmp;
  const std::string path = tmp.path() + "/config/timercheck";
  TimerCheckpointFile file(FileSystem::Default(), path);
  ASSERT_TRUE(file.Load().ok());
  EXPECT_FALSE(file.existed());
  EXPECT_EQ(file.value(), TimerCheckpoint{});
  file.mutable_value() = TimerCheckpoint{1796508529000, 15860, 305, 305, 0, 1796508529797, 42};
  ASSERT_TRUE(file.Flush().ok());
  EXPECT_EQ(test::ReadFileBytes(path).size(), 4096u);
  TimerCheckpointFile again(FileSystem::Default(), path);
  ASSERT_TRUE(again.Load().ok());
  EXPECT_TRUE(again.existed());
  EXPECT_EQ(again.value(), file.value());
}

TEST(TimerMetricsTest, ReadsRocketMqsFileAndKeepsABakOfThePreviousOne) {
  MQ_GOLDEN_OR_SKIP(golden);
  const test::Json expected = test::ParseJson([&] {
    auto b = test::ReadFileBytes(golden + "/rocketmq-5.3.3-timer/timer-clean/expected-timermetrics.json");
    return std::string(b.begin(), b.end());
  }());
  test::TempDir tmp;
  TimerMetrics metrics(FileSystem::Default(), tmp.path() + "/config/timermetrics");
  ASSERT_TRUE(metrics.FromJson(expected["timermetrics"]["raw"].s));
  EXPECT_EQ(metrics.Count("TopicA"), 44);
  EXPECT_EQ(metrics.Count("TopicB"), 20);
  EXPECT_EQ(metrics.Count("TopicC"), 37);
  EXPECT_FALSE(metrics.FromJson("{\"timingCount\":"));
  metrics.Add("Topic\xC3\xA9", 1, 5);
  ASSERT_TRUE(metrics.Persist(10).ok());
  metrics.Add("TopicA", 1, 11);
  ASSERT_TRUE(metrics.Persist(12).ok());
  const auto raw = test::ReadFileBytes(tmp.path() + "/config/timermetrics");
  const std::string text(raw.begin(), raw.end());
  EXPECT_NE(text.find("\"Topic\\u00E9\":{\"count\":1,"), std::string::npos) << text;
  EXPECT_NE(text.find("\"TopicA\":{\"count\":45,"), std::string::npos) << text;
  TimerMetrics reread(FileSystem::Default(), tmp.path() + "/config/timermetrics");
  ASSERT_TRUE(reread.Load().ok());
  EXPECT_EQ(reread.Count("Topic\xC3\xA9"), 1);
  const auto bak = test::ReadFileBytes(tmp.path() + "/config/timermetrics.bak");
  EXPECT_NE(std::string(bak.begin(), bak.end()).find("\"TopicA\":{\"count\":44,"), std::string::npos);
}

}  // namespace
}  // namespace mqstore
