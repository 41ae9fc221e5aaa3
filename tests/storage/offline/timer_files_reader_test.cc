// TimerFilesReader and ComputePendingTimers over RocketMQ 5.3.3's timer
// stores (golden timer-clean and timer-roll), damaged copies of them, and a
// store without timer files.

#include "storage/offline/timer_files_reader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "storage/offline/timer_pending.h"
#include "tests/support/dir_snapshot.h"
#include "tests/support/golden.h"
#include "tests/support/golden_tar.h"

namespace mqstore {
namespace {

using test::Json;

const char kClean[] = "rocketmq-5.3.3-timer/timer-clean";
const char kRoll[] = "rocketmq-5.3.3-timer/timer-roll";

TimerFilesReader Open(const std::string& root, StoreReadOptions options = {}) {
  auto r = TimerFilesReader::Open(FileSystem::Default(), StorePaths{root}, options);
  EXPECT_TRUE(r.ok()) << r.error().message();
  return std::move(*r);
}

std::vector<TimerLogEvent> Events(TimerFilesReader& reader) {
  std::vector<TimerLogEvent> events;
  Status st = reader.ForEachLogEntry([&](const TimerLogEvent& ev) { events.push_back(ev); });
  EXPECT_TRUE(st.ok()) << st.message();
  return events;
}

// Overwrites one byte of a file (a copy: golden files are read-only).
void PokeByte(const std::string& path, int64_t offset, char value) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  ASSERT_TRUE(f.good()) << path;
  f.seekp(offset);
  f.put(value);
}

void ZeroRange(const std::string& path, int64_t offset, int64_t len) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  ASSERT_TRUE(f.good()) << path;
  f.seekp(offset);
  f.write(std::string(static_cast<size_t>(len), '\0').data(), len);
}

class TimerReaderGolden : public ::testing::TestWithParam<const char*> {};

TEST_P(TimerReaderGolden, WalksEveryUnitAndFillerAtTheOffsetsRocketMQWrote) {
  MQ_GOLDEN_TAR_OR_SKIP(store, GetParam());
  TimerFilesReader reader = Open(store.root());
  EXPECT_TRUE(reader.HasTimerFiles());
  std::vector<Json> expected = test::ReadJsonLines(store_set + "/expected-timerlog.jsonl");
  // The file lists the fillers after the units.
  std::stable_sort(expected.begin(), expected.end(),
                   [](const Json& a, const Json& b) { return a["timerLogOffset"].i < b["timerLogOffset"].i; });
  const std::vector<TimerLogEvent> events = Events(reader);
  ASSERT_EQ(events.size(), expected.size() + 1);  // + the end of data
  for (size_t i = 0; i < expected.size(); ++i) {
    const Json& e = expected[i];
    SCOPED_TRACE(i);
    EXPECT_EQ(events[i].offset, e["timerLogOffset"].i);
    EXPECT_EQ(events[i].file_offset, e["fileOffset"].i);
    EXPECT_EQ(events[i].file->name, e["file"].s);
    const bool blank = e.Has("blank") && e["blank"].b;
    EXPECT_EQ(events[i].kind, blank ? TimerLogEventKind::kBlank : TimerLogEventKind::kUnit);
    if (blank) EXPECT_EQ(events[i].blank_size, e["size"].i);
    else EXPECT_EQ(events[i].unit.offset_py, e["commitLogOffset"].i);
  }
  EXPECT_EQ(events.back().kind, TimerLogEventKind::kEndOfData);
}

TEST_P(TimerReaderGolden, ReadsTheNonEmptyWheelSlotsAndTheCheckpoint) {
  MQ_GOLDEN_TAR_OR_SKIP(store, GetParam());
  TimerFilesReader reader = Open(store.root());
  std::vector<std::pair<int64_t, TimerWheelSlot>> slots;
  ASSERT_TRUE(reader.ForEachWheelSlot([&](int64_t i, const TimerWheelSlot& s) { slots.emplace_back(i, s); }).ok());
  const std::vector<Json> expected = test::ReadJsonLines(store_set + "/expected-timerwheel.jsonl");
  ASSERT_EQ(slots.size(), expected.size());
  for (size_t i = 0; i < slots.size(); ++i) {
    EXPECT_EQ(slots[i].first, expected[i]["index"].i);
    EXPECT_EQ(slots[i].second.last_pos, expected[i]["lastPos"].i);
    auto unit = reader.ReadUnit(slots[i].second.last_pos);  // the chain's head is a unit of this slot
    ASSERT_TRUE(unit.ok()) << unit.error().message();
    EXPECT_EQ(unit->slot_time_ms(), expected[i]["timeMs"].i);
  }
  auto c = reader.ReadCheckpoint();
  ASSERT_TRUE(c.ok() && c->has_value());
  const auto text = test::ReadFileBytes(store_set + "/expected-timercheck.json");
  EXPECT_EQ((*c)->last_read_time_ms, test::ParseJson(std::string(text.begin(), text.end()))["lastReadTimeMs"].i);
}

// expected-timer-pending.jsonl lists the timers still in the wheel,
// including those a recall marker in the same slot will cancel
// ("cancellationPending"); the markers themselves are not listed.
TEST_P(TimerReaderGolden, PendingTimersAreExactlyThoseRocketMQHolds) {
  MQ_GOLDEN_TAR_OR_SKIP(store, GetParam());
  const auto before = test::SnapshotTree(store.root());
  auto pending = ComputePendingTimers(FileSystem::Default(), StorePaths{store.root()}, StoreReadOptions{});
  ASSERT_TRUE(pending.ok()) << pending.error().message();
  EXPECT_TRUE(pending->problems.empty()) << pending->problems.front();
  using Key = std::tuple<std::string, std::string, int64_t, int64_t, int64_t, bool, bool>;
  std::set<Key> got, want;
  for (const PendingTimer& t : pending->timers)
    got.insert({t.real_topic, t.uniq_key, t.real_queue_id, t.deliver_ms, t.slot_time_ms, t.unit.roll(), t.recalled});
  for (const Json& e : test::ReadJsonLines(store_set + "/expected-timer-pending.jsonl"))
    want.insert({e["realTopic"].s, e["uniqKey"].s, e["realQueueId"].i, e["deliverMs"].i, e["currentSlotTimeMs"].i,
                 e["currentUnitIsRoll"].b, e["cancellationPending"].b});
  EXPECT_EQ(pending->timers.size(), 107u);
  EXPECT_EQ(got, want);
  EXPECT_EQ(pending->recalled, 7u);
  EXPECT_EQ(pending->markers, 7u);
  EXPECT_EQ(pending->num_sum, 100);  // RocketMQ's getAllCongestNum
  EXPECT_EQ(pending->missing_records, 0u);
  test::ExpectSameTree(before, test::SnapshotTree(store.root()));
}

INSTANTIATE_TEST_SUITE_P(Sets, TimerReaderGolden, ::testing::Values(kClean, kRoll),
                         [](const auto& info) { return std::string(info.param) == kRoll ? "Roll" : "Clean"; });

TEST(TimerReader, RollStoreHasEightFilesOfTheConfiguredSize) {
  MQ_GOLDEN_TAR_OR_SKIP(store, kRoll);
  TimerFilesReader reader = Open(store.root());
  EXPECT_EQ(reader.log_file_size(), 4096);  // inferred from the files
  ASSERT_EQ(reader.log_files().size(), 8u);
  EXPECT_EQ(reader.log_files()[7].start_offset, 28672);
  StoreReadOptions wrong;
  wrong.timer_log_file_size = 8192;  // mappedFileSizeTimerLog the files were not written with
  TimerFilesReader misread = Open(store.root(), wrong);
  const auto events = Events(misread);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events[0].kind, TimerLogEventKind::kError);
  EXPECT_NE(events[0].error.message().find("expected mappedFileSizeTimerLog 8192"), std::string::npos);
}

TEST(TimerReader, BadMagicIsAnErrorNamingFileOffsetAndFieldAndEndsThatFile) {
  MQ_GOLDEN_TAR_OR_SKIP(store, kRoll);
  const std::string file = store.root() + "/timerlog/00000000000000004096";
  PokeByte(file, 3 * 52 + 15, 0x40);  // unit 3's magic: 0x4X is not a valid bit set
  TimerFilesReader reader = Open(store.root());
  const auto events = Events(reader);
  std::vector<TimerLogEvent> errors;
  int units_in_file = 0;
  for (const auto& ev : events) {
    if (ev.kind == TimerLogEventKind::kError) errors.push_back(ev);
    if (ev.kind == TimerLogEventKind::kUnit && ev.file->start_offset == 4096) ++units_in_file;
  }
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].offset, 4096 + 156);
  EXPECT_EQ(errors[0].file_offset, 156);
  const std::string msg = errors[0].error.message();
  EXPECT_NE(msg.find("00000000000000004096"), std::string::npos) << msg;
  EXPECT_NE(msg.find("156"), std::string::npos) << msg;
  EXPECT_NE(msg.find("magic"), std::string::npos) << msg;
  EXPECT_EQ(units_in_file, 3);                       // the rest of that file is skipped
  EXPECT_EQ(events.back().kind, TimerLogEventKind::kEndOfData);  // the next files are still read
  EXPECT_FALSE(reader.ReadUnit(4096 + 156).ok());
}

TEST(TimerReader, ZerosBeforeAFileWithDataAreDamageNotTheEnd) {
  MQ_GOLDEN_TAR_OR_SKIP(store, kRoll);
  ZeroRange(store.root() + "/timerlog/00000000000000008192", 52 * 10, 52);
  TimerFilesReader reader = Open(store.root());
  int errors = 0;
  for (const auto& ev : Events(reader)) {
    if (ev.kind != TimerLogEventKind::kError) continue;
    ++errors;
    EXPECT_EQ(ev.offset, 8192 + 520);
    EXPECT_NE(ev.error.message().find("zeros"), std::string::npos);
  }
  EXPECT_EQ(errors, 1);
}

TEST(TimerReader, WheelOfTheWrongSizeIsCorruption) {
  MQ_GOLDEN_TAR_OR_SKIP(store, kClean);
  std::filesystem::resize_file(store.root() + "/timerwheel", 4096);
  TimerFilesReader reader = Open(store.root());
  Status st = reader.ForEachWheelSlot([](int64_t, const TimerWheelSlot&) {});
  EXPECT_EQ(st.code(), StatusCode::kCorruption);
  EXPECT_NE(st.message().find("4096 bytes, expected 38707200"), std::string::npos) << st.message();
}

TEST(TimerReader, StoreWithoutTimerFilesHasNone) {
  test::TempDir dir;
  std::filesystem::create_directories(dir.path() + "/commitlog");
  TimerFilesReader reader = Open(dir.path());
  EXPECT_FALSE(reader.HasTimerFiles());
  EXPECT_TRUE(Events(reader).empty());
  int slots = 0;
  EXPECT_TRUE(reader.ForEachWheelSlot([&](int64_t, const TimerWheelSlot&) { ++slots; }).ok());
  EXPECT_EQ(slots, 0);
  auto c = reader.ReadCheckpoint();
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->has_value());
  auto pending = ComputePendingTimers(FileSystem::Default(), StorePaths{dir.path()}, StoreReadOptions{});
  ASSERT_TRUE(pending.ok());
  EXPECT_TRUE(pending->timers.empty());
}

// A unit the wheel was not flushed with (a crash between the timer log's
// and the wheel's flush) is found as recovery finds it: by the rescan.
TEST(TimerPending, UnitMissingFromTheWheelIsFoundByTheRescan) {
  MQ_GOLDEN_TAR_OR_SKIP(store, kClean);
  // Slot 1796508577000 holds one unit, at 9620 (index 252577); empty it.
  const int64_t index = TimerWheelSlotIndex(1796508577000, 1000);
  ZeroRange(store.root() + "/timerwheel", index * kTimerWheelSlotSize, kTimerWheelSlotSize);
  auto pending = ComputePendingTimers(FileSystem::Default(), StorePaths{store.root()}, StoreReadOptions{});
  ASSERT_TRUE(pending.ok());
  bool found = false;
  for (const PendingTimer& t : pending->timers) found |= t.timer_log_offset == 9620;
  EXPECT_TRUE(found);
  EXPECT_EQ(pending->timers.size(), 107u);
}

TEST(TimerPending, ChainThatLoopsIsReportedNotFollowedForever) {
  MQ_GOLDEN_TAR_OR_SKIP(store, kClean);
  // Unit 9620 is alone in its slot; point its prevPos at itself.
  const std::string file = store.root() + "/timerlog/00000000000000000000";
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  const uint8_t self[8] = {0, 0, 0, 0, 0, 0, 0x25, 0x94};  // 9620
  f.seekp(9620 + 4);
  f.write(reinterpret_cast<const char*>(self), 8);
  f.close();
  auto pending = ComputePendingTimers(FileSystem::Default(), StorePaths{store.root()}, StoreReadOptions{});
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->problems.size(), 1u);
  EXPECT_NE(pending->problems[0].find("loops"), std::string::npos);
}

}  // namespace
}  // namespace mqstore
