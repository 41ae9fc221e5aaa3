// The timer codecs against RocketMQ 5.3.3's own timer files (golden sets
// timer-clean and timer-roll): every timer-log unit and filler, every
// non-zero wheel slot and the timercheck decode field-exact and re-encode
// to the same bytes. Then the codecs' edge cases.

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "format/big_endian.h"
#include "format/timer_checkpoint_format.h"
#include "format/timer_log_unit.h"
#include "format/timer_wheel_slot.h"
#include "tests/support/golden.h"
#include "tests/support/golden_tar.h"

namespace mqstore {
namespace {

using test::Json;

const char* const kSets[] = {"rocketmq-5.3.3-timer/timer-clean", "rocketmq-5.3.3-timer/timer-roll"};

// The first `limit` bytes of a file (the whole file when shorter), read in
// one go: the 100 MiB timer log holds its data in the first 16 KiB.
std::vector<uint8_t> ReadPrefix(const std::string& path, size_t limit) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::vector<uint8_t> bytes(limit);
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(limit));
  bytes.resize(static_cast<size_t>(in.gcount()));
  return bytes;
}

std::span<const uint8_t> At(const std::vector<uint8_t>& file, int64_t offset) {
  return std::span<const uint8_t>(file).subspan(static_cast<size_t>(offset));
}

// Every expected-timerlog.jsonl line: decode at its file offset, compare,
// re-encode and compare the bytes. Returns {units, blanks} checked.
std::pair<int, int> CheckTimerLog(const std::string& root, const std::string& set_dir) {
  std::map<std::string, std::vector<uint8_t>> files;
  int units = 0, blanks = 0;
  for (const Json& e : test::ReadJsonLines(set_dir + "/expected-timerlog.jsonl")) {
    const std::string name = e["file"].s;
    if (!files.count(name)) files[name] = ReadPrefix(root + "/timerlog/" + name, 1 << 20);
    const std::vector<uint8_t>& file = files[name];
    const int64_t at = e["fileOffset"].i;
    SCOPED_TRACE(name + " @" + std::to_string(at));
    auto decoded = DecodeTimerLogEntry(At(file, at));
    EXPECT_TRUE(decoded.ok()) << (decoded.ok() ? "" : decoded.error().ToString());
    if (!decoded.ok()) continue;
    if (e.Has("blank") && e["blank"].b) {
      ++blanks;
      const auto* blank = std::get_if<TimerLogBlank>(&*decoded);
      EXPECT_NE(blank, nullptr);
      if (blank == nullptr) continue;
      EXPECT_EQ(blank->size, e["size"].i);
      EXPECT_EQ(e["magic"].i, kTimerLogBlankMagic);
      uint8_t bytes[kTimerLogBlankSize];
      EncodeTimerLogBlank(blank->size, bytes);
      EXPECT_EQ(0, std::memcmp(bytes, &file[static_cast<size_t>(at)], sizeof bytes));
      continue;
    }
    ++units;
    const auto* u = std::get_if<TimerLogUnit>(&*decoded);
    EXPECT_NE(u, nullptr);
    if (u == nullptr) continue;
    EXPECT_EQ(e["size"].i, kTimerLogUnitSize);
    EXPECT_EQ(u->prev_pos, e["prevPos"].i);
    EXPECT_EQ(u->magic, e["magic"].i);
    EXPECT_EQ(u->write_time_ms, e["writeTimeMs"].i);
    EXPECT_EQ(u->delay_ms, e["delayMs"].i);
    EXPECT_EQ(u->offset_py, e["commitLogOffset"].i);
    EXPECT_EQ(u->size_py, e["sizePy"].i);
    EXPECT_EQ(u->topic_hash, e["topicHash"].i);
    EXPECT_EQ(u->reserved, e["reserved"].i);
    EXPECT_EQ(u->slot_time_ms(), e["delayedTimeMs"].i);
    EXPECT_EQ(u->roll(), e["roll"].b);
    EXPECT_EQ(u->deletes(), e["delete"].b);
    EXPECT_EQ(TimerWheelSlotIndex(u->slot_time_ms(), 1000), e["slotIndex"].i);
    uint8_t bytes[kTimerLogUnitSize];
    EncodeTimerLogUnit(*u, bytes);
    EXPECT_EQ(0, std::memcmp(bytes, &file[static_cast<size_t>(at)], sizeof bytes));
  }
  return {units, blanks};
}

class GoldenTimerFiles : public ::testing::TestWithParam<const char*> {};

TEST_P(GoldenTimerFiles, EveryTimerLogUnitAndFillerDecodesAndReencodesExactly) {
  MQ_GOLDEN_TAR_OR_SKIP(store, GetParam());
  const auto [units, blanks] = CheckTimerLog(store.root(), store_set);
  const Json summary = test::ParseJson(
      [&] { auto b = test::ReadFileBytes(store_set + "/expected-summary.json"); return std::string(b.begin(), b.end()); }());
  EXPECT_EQ(units, summary["timerLogUnits"].i);
  EXPECT_EQ(blanks, summary["timerLogBlanks"].i);
  EXPECT_GT(units, 300);
}

TEST_P(GoldenTimerFiles, EveryNonZeroWheelSlotDecodesAndReencodesExactly) {
  MQ_GOLDEN_TAR_OR_SKIP(store, GetParam());
  const std::vector<uint8_t> wheel = ReadPrefix(store.root() + "/timerwheel", 64 << 20);
  ASSERT_EQ(static_cast<int64_t>(wheel.size()), kTimerWheelFileSize);
  const std::vector<Json> expected = test::ReadJsonLines(store_set + "/expected-timerwheel.jsonl");
  size_t next = 0;
  static const uint8_t kZeros[kTimerWheelSlotSize] = {};
  for (int64_t i = 0; i < kTimerWheelSlots; ++i) {
    const int64_t at = i * kTimerWheelSlotSize;
    if (std::memcmp(&wheel[static_cast<size_t>(at)], kZeros, kTimerWheelSlotSize) == 0) continue;
    SCOPED_TRACE("slot " + std::to_string(i));
    ASSERT_LT(next, expected.size()) << "a non-zero slot the expected file does not list";
    const Json& e = expected[next++];
    EXPECT_EQ(i, e["index"].i);
    EXPECT_EQ(at, e["fileOffset"].i);
    auto slot = DecodeTimerWheelSlot(At(wheel, at));
    ASSERT_TRUE(slot.ok());
    EXPECT_EQ(slot->time_units, e["timeValue"].i);
    EXPECT_EQ(slot->first_pos, e["firstPos"].i);
    EXPECT_EQ(slot->last_pos, e["lastPos"].i);
    EXPECT_EQ(slot->num, e["num"].i);
    EXPECT_EQ(slot->magic, e["magic"].i);
    EXPECT_EQ(TimerWheelSlotIndex(e["timeMs"].i, 1000), i);
    EXPECT_TRUE(TimerWheelSlotHolds(*slot, e["timeMs"].i, 1000));
    uint8_t bytes[kTimerWheelSlotSize];
    EncodeTimerWheelSlot(*slot, bytes);
    EXPECT_EQ(0, std::memcmp(bytes, &wheel[static_cast<size_t>(at)], sizeof bytes));
  }
  EXPECT_EQ(next, expected.size());
  EXPECT_GT(next, 30u);
}

TEST_P(GoldenTimerFiles, TimercheckDecodesAndReencodesExactly) {
  MQ_GOLDEN_TAR_OR_SKIP(store, GetParam());
  const std::vector<uint8_t> file = test::ReadFileBytes(store.root() + "/config/timercheck");
  ASSERT_EQ(file.size(), static_cast<size_t>(kTimerCheckpointFileSize));
  const auto text = test::ReadFileBytes(store_set + "/expected-timercheck.json");
  const Json e = test::ParseJson(std::string(text.begin(), text.end()));
  auto c = DecodeTimerCheckpoint(file);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->last_read_time_ms, e["lastReadTimeMs"].i);
  EXPECT_EQ(c->last_timer_log_flush_pos, e["lastTimerLogFlushPos"].i);
  EXPECT_EQ(c->last_timer_queue_offset, e["lastTimerQueueOffset"].i);
  EXPECT_EQ(c->master_timer_queue_offset, e["masterTimerQueueOffset"].i);
  EXPECT_EQ(c->state_version, e["dataVersionStateVersion"].i);
  EXPECT_EQ(c->data_version_timestamp, e["dataVersionTimestamp"].i);
  EXPECT_EQ(c->data_version_counter, e["dataVersionCounter"].i);
  std::vector<uint8_t> page(kTimerCheckpointFileSize, 0);
  EncodeTimerCheckpoint(*c, page.data());
  EXPECT_EQ(page, file);
}

INSTANTIATE_TEST_SUITE_P(Sets, GoldenTimerFiles, ::testing::ValuesIn(kSets),
                         [](const auto& info) { return std::string(info.param).find("roll") != std::string::npos
                                                           ? std::string("Roll") : std::string("Clean"); });

// --- codec edge cases ---

TEST(TimerLogCodec, FillerWithBlankMagicDecodesAsBlank) {
  uint8_t bytes[40] = {};
  EncodeTimerLogBlank(40, bytes);
  EXPECT_EQ(LoadI32(bytes + 12), static_cast<int32_t>(0xCBD43194u));
  EXPECT_EQ(kTimerLogBlankMagic, -875286124);
  auto e = DecodeTimerLogEntry(bytes);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(std::get<TimerLogBlank>(*e).size, 40);
}

TEST(TimerLogCodec, FillerLargerThanTheInputIsRefused) {
  uint8_t bytes[16] = {};
  EncodeTimerLogBlank(17, bytes);
  auto e = DecodeTimerLogEntry(bytes);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, DecodeErrc::kSizeOutOfRange);
}

TEST(TimerLogCodec, UnitRoundTripsAndNamesItsFields) {
  TimerLogUnit u{.prev_pos = 5512, .magic = 7, .write_time_ms = 1796508487000, .delay_ms = 172800000,
                 .offset_py = 101739, .size_py = 341, .topic_hash = -1784167150, .reserved = 0};
  uint8_t bytes[kTimerLogUnitSize];
  EncodeTimerLogUnit(u, bytes);
  EXPECT_EQ(LoadI32(bytes), 52);
  auto e = DecodeTimerLogEntry(bytes);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(std::get<TimerLogUnit>(*e), u);
  EXPECT_TRUE(u.roll());
  EXPECT_TRUE(u.deletes());
  EXPECT_EQ(u.slot_time_ms(), 1796508487000 + 172800000);
}

TEST(TimerLogCodec, BadMagicIsRefusedAtByte12) {
  TimerLogUnit u;
  uint8_t bytes[kTimerLogUnitSize];
  EncodeTimerLogUnit(u, bytes);
  StoreI32(bytes + 12, 0x11);  // a bit above 0xF
  auto e = DecodeTimerLogEntry(bytes);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, DecodeErrc::kBadMagic);
  EXPECT_EQ(e.error().offset, 12u);
  EXPECT_EQ(e.error().value, 0x11);
}

TEST(TimerLogCodec, SizeOtherThan52IsRefused) {
  TimerLogUnit u;
  uint8_t bytes[kTimerLogUnitSize];
  EncodeTimerLogUnit(u, bytes);
  for (int32_t size : {0, 51, 53, -52}) {
    StoreI32(bytes, size);
    auto e = DecodeTimerLogEntry(bytes);
    ASSERT_FALSE(e.ok()) << size;
    EXPECT_EQ(e.error().code, DecodeErrc::kSizeOutOfRange) << size;
    EXPECT_EQ(e.error().value, size);
  }
}

TEST(TimerLogCodec, ShortInputIsTruncated) {
  TimerLogUnit u;
  uint8_t bytes[kTimerLogUnitSize];
  EncodeTimerLogUnit(u, bytes);
  EXPECT_EQ(DecodeTimerLogEntry(std::span<const uint8_t>(bytes, 51)).error().code, DecodeErrc::kTruncated);
  EXPECT_EQ(DecodeTimerLogEntry(std::span<const uint8_t>(bytes, 15)).error().code, DecodeErrc::kTruncated);
}

TEST(TimerLogCodec, LastUnitOffsetMatchesRocketMQ) {
  EXPECT_EQ(TimerLogLastUnitOffset(104857600), 104857532);  // 2,016,492 units, filler at 104,857,584
  EXPECT_EQ((104857600 - 16) % 52, 0);
  EXPECT_EQ(TimerLogLastUnitOffset(4096), 4004);  // 78 units end at 4056, then a 40-byte filler
}

TEST(TimerWheelCodec, SlotIndexWrapsAndStaysInTheFileForNegativeTimes) {
  EXPECT_EQ(TimerWheelSlotIndex(1796508490000, 1000), 252490);
  EXPECT_EQ(TimerWheelSlotIndex(kTimerWheelSlots * 1000, 1000), 0);
  EXPECT_EQ(TimerWheelSlotIndex(-1000, 1000), kTimerWheelSlots - 1);
  EXPECT_EQ(TimerWheelSlotIndex(-kTimerWheelSlots * 1000, 1000), 0);
  EXPECT_EQ(TimerWheelSlotIndex(1999, 100), 19);
}

TEST(TimerWheelCodec, SlotHoldsOnlyItsOwnTime) {
  const TimerWheelSlot s{.time_units = 1796508490, .first_pos = 0, .last_pos = 52, .num = 2, .magic = 0};
  EXPECT_TRUE(TimerWheelSlotHolds(s, 1796508490000, 1000));
  EXPECT_TRUE(TimerWheelSlotHolds(s, 1796508490999, 1000));
  EXPECT_FALSE(TimerWheelSlotHolds(s, 1796508490000 + kTimerWheelSlots * 1000, 1000));  // stale after a wrap
  EXPECT_FALSE(TimerWheelSlotHolds(TimerWheelSlot{}, 0, 1000));                          // all zeros: empty
}

TEST(TimerWheelCodec, SlotRoundTripsAndShortInputIsTruncated) {
  const TimerWheelSlot s{.time_units = -3, .first_pos = 1, .last_pos = -1, .num = -2, .magic = 9};
  uint8_t bytes[kTimerWheelSlotSize];
  EncodeTimerWheelSlot(s, bytes);
  EXPECT_EQ(*DecodeTimerWheelSlot(bytes), s);
  EXPECT_EQ(DecodeTimerWheelSlot(std::span<const uint8_t>(bytes, 31)).error().code, DecodeErrc::kTruncated);
}

TEST(TimerCheckpointCodec, RoundTripsAndNeeds56Bytes) {
  const TimerCheckpoint c{1796508529000, 15860, 305, 305, 0, 1796508529797, 42};
  uint8_t bytes[kTimerCheckpointUsedSize];
  EncodeTimerCheckpoint(c, bytes);
  EXPECT_EQ(LoadI64(bytes + 48), 42);
  EXPECT_EQ(*DecodeTimerCheckpoint(bytes), c);
  EXPECT_EQ(DecodeTimerCheckpoint(std::span<const uint8_t>(bytes, 55)).error().code, DecodeErrc::kTruncated);
}

}  // namespace
}  // namespace mqstore
