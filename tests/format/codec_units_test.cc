// The small codecs: hosts, message ids, CQ units, index entries and chains,
// segment names, delay levels.
#include <gtest/gtest.h>

#include <cstring>
#include <limits>
#include <vector>

#include "format/consume_queue_unit.h"
#include "format/delay_levels.h"
#include "format/index_file_format.h"
#include "format/message_id.h"
#include "format/segment_name.h"
#include "format/socket_address.h"

namespace mqstore {
namespace {

TEST(SocketAddress, PrintsAndParsesIpv4AndIpv6) {
  EXPECT_EQ(SocketAddress::V4(127, 0, 0, 1, 10911).ToString(), "127.0.0.1:10911");
  auto v6 = SocketAddress::Parse("[2001:db8::1]:40005");
  ASSERT_TRUE(v6.ok());
  EXPECT_TRUE(v6->ipv6);
  EXPECT_EQ(v6->EncodedSize(), 20u);
  EXPECT_EQ(v6->ToString(), "[2001:db8::1]:40005");
  auto v4 = SocketAddress::Parse("10.0.0.1:50000");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(*v4, SocketAddress::V4(10, 0, 0, 1, 50000));
  uint8_t buf[20];
  v6->Store(buf);
  EXPECT_EQ(SocketAddress::Load(buf, true), *v6);
}

TEST(SocketAddress, Ipv4MappedIpv6IsIpv4AsJavaSeesIt) {
  auto a = SocketAddress::Parse("[::ffff:10.1.2.3]:9");
  ASSERT_TRUE(a.ok());
  EXPECT_FALSE(a->ipv6);
  EXPECT_EQ(a->ToString(), "10.1.2.3:9");
}

TEST(SocketAddress, RejectsMalformedText) {
  for (const char* bad : {"", "10.0.0.1", "10.0.0.1:", "10.0.0.1:x", "[::1]9", "[::1:9", "300.0.0.1:1", "host:1"})
    EXPECT_FALSE(SocketAddress::Parse(bad).ok()) << bad;
}

TEST(MessageId, OffsetMsgIdForIpv4AndIpv6) {
  EXPECT_EQ(OffsetMsgId(SocketAddress::V4(127, 0, 0, 1, 10911), 0), "7F00000100002A9F0000000000000000");
  EXPECT_EQ(OffsetMsgId(SocketAddress::V4(127, 0, 0, 1, 10911), 603), "7F00000100002A9F000000000000025B");
  const SocketAddress v6 = *SocketAddress::Parse("[2001:db8::1]:1");
  const std::string id = OffsetMsgId(v6, 1LL << 40);
  EXPECT_EQ(id.size(), 56u);
  EXPECT_EQ(id, "20010DB8000000000000000000000001000000010000010000000000");
  auto parts = DecodeOffsetMsgId(id);
  ASSERT_TRUE(parts.ok());
  EXPECT_EQ(parts->store_host, v6);
  EXPECT_EQ(parts->physical_offset, 1LL << 40);
  auto lower = DecodeOffsetMsgId("7f00000100002a9f000000000000025b");
  ASSERT_TRUE(lower.ok());
  EXPECT_EQ(lower->physical_offset, 603);
}

TEST(MessageId, RejectsWrongLengthsAndDigits) {
  EXPECT_FALSE(DecodeOffsetMsgId("").ok());
  EXPECT_FALSE(DecodeOffsetMsgId("7F00000100002A9F000000000000025").ok());
  EXPECT_FALSE(DecodeOffsetMsgId("7F00000100002A9F000000000000025G").ok());
}

TEST(ConsumeQueueUnit, EncodesDecodesAndJudgesUnits) {
  const ConsumeQueueUnit u{123456789012, 178, -42};
  uint8_t buf[kCqUnitSize];
  EncodeCqUnit(u, buf);
  EXPECT_EQ(*DecodeCqUnit(buf), u);
  EXPECT_TRUE(u.IsValid());
  EXPECT_TRUE(ConsumeQueueUnit{}.IsEndOfData());
  EXPECT_FALSE(ConsumeQueueUnit{}.IsValid());
  const ConsumeQueueUnit pad{0, kCqBlankPadSize, 0};
  EXPECT_TRUE(pad.IsBlankPad());
  EXPECT_TRUE(pad.IsValid()) << "pads pass the validity test; minLogicOffset skips them";
  EXPECT_FALSE((ConsumeQueueUnit{-1, 10, 0}).IsValid());
  auto short_input = DecodeCqUnit(std::span<const uint8_t>(buf, 19));
  ASSERT_FALSE(short_input.ok());
  EXPECT_EQ(short_input.error().code, DecodeErrc::kTruncated);
}

class IndexFileFormatTest : public ::testing::Test {
 protected:
  const IndexGeometry g{4, 8};  // tiny: chains form at once, the file fills after 7 entries
  std::vector<uint8_t> file = std::vector<uint8_t>(g.FileSize(), 0);

  std::vector<int64_t> Select(int32_t hash, int64_t begin = 0, int64_t end = std::numeric_limits<int64_t>::max()) {
    std::vector<int64_t> out;
    IndexSelectPhyOffsets(file, g, hash, begin, end, 64, out);
    return out;
  }
};

TEST_F(IndexFileFormatTest, PutKeyChainsEntriesOfOneSlotNewestFirst) {
  ASSERT_TRUE(IndexPutKey(file, g, 1, 100, 1000000));
  ASSERT_TRUE(IndexPutKey(file, g, 5, 200, 1002000));  // same slot as 1 (5 % 4)
  ASSERT_TRUE(IndexPutKey(file, g, 1, 300, 1005000));
  EXPECT_EQ(Select(1), (std::vector<int64_t>{300, 100}));
  EXPECT_EQ(Select(5), (std::vector<int64_t>{200}));
  EXPECT_TRUE(Select(2).empty());
  const IndexHeader h = *DecodeIndexHeader(file);
  EXPECT_EQ(h.index_count, 4);
  EXPECT_EQ(h.hash_slot_count, 1) << "only the empty-to-used transition counts";
  EXPECT_EQ(h.begin_phy_offset, 100);
  EXPECT_EQ(h.end_phy_offset, 300);
  EXPECT_EQ(h.begin_timestamp, 1000000);
  EXPECT_EQ(h.end_timestamp, 1005000);
  EXPECT_EQ(ReadIndexEntry(file, g, 3)->time_diff, 5);
  EXPECT_EQ(ReadIndexEntry(file, g, 3)->prev_index, 2);
}

TEST_F(IndexFileFormatTest, SelectFiltersByTimeRange) {
  ASSERT_TRUE(IndexPutKey(file, g, 1, 100, 1000000));
  ASSERT_TRUE(IndexPutKey(file, g, 1, 200, 1010000));
  ASSERT_TRUE(IndexPutKey(file, g, 1, 300, 1020000));
  EXPECT_EQ(Select(1, 1005000, 1015000), (std::vector<int64_t>{200}));
  EXPECT_EQ(Select(1, 1010000, 1020000), (std::vector<int64_t>{300, 200}));
}

TEST_F(IndexFileFormatTest, AFullFileRefusesMoreKeys) {
  for (int i = 1; i < 8; ++i) ASSERT_TRUE(IndexPutKey(file, g, i, i * 10, 1000000 + i));
  EXPECT_FALSE(IndexPutKey(file, g, 9, 90, 1000009));
  EXPECT_EQ(DecodeIndexHeader(file)->index_count, 8) << "a full file stores maxIndexNum";
}

TEST_F(IndexFileFormatTest, ACorruptChainCycleStillTerminates) {
  ASSERT_TRUE(IndexPutKey(file, g, 1, 100, 1000000));
  ASSERT_TRUE(IndexPutKey(file, g, 1, 200, 1000000));
  // Entry 1 now points back at entry 2: a cycle.
  IndexEntry e1 = *ReadIndexEntry(file, g, 1);
  e1.prev_index = 2;
  EncodeIndexEntry(e1, file.data() + g.EntryPosition(1));
  EXPECT_EQ(Select(1).size(), 2u) << "each live entry is visited once";
  // A header claiming more entries than the file holds is not walked at all
  // (with the cycle above it would otherwise spin for 2^31 steps).
  IndexHeader h = *DecodeIndexHeader(file);
  h.index_count = std::numeric_limits<int32_t>::max();
  EncodeIndexHeader(h, file.data());
  EXPECT_TRUE(Select(1).empty());
}

TEST_F(IndexFileFormatTest, DamagedHeaderIsRefusedAndOutOfRangeReadsAreErrors) {
  IndexHeader h;
  h.hash_slot_count = std::numeric_limits<int32_t>::max();
  EncodeIndexHeader(h, file.data());
  EXPECT_TRUE(ValidateIndexHeader(*DecodeIndexHeader(file), g).has_value());
  EXPECT_FALSE(IndexPutKey(file, g, 1, 100, 1000000));
  EXPECT_FALSE(ReadIndexEntry(file, g, 8).ok());
  EXPECT_FALSE(ReadIndexEntry(file, g, -1).ok());
  EXPECT_FALSE(ReadIndexSlot(file, g, 4).ok());
  EXPECT_FALSE(DecodeIndexHeader(std::span<const uint8_t>(file.data(), 39)).ok());
}

TEST(SegmentName, TwentyDigitOffsets) {
  EXPECT_EQ(SegmentFileName(0), "00000000000000000000");
  EXPECT_EQ(SegmentFileName(1073741824), "00000000001073741824");
  EXPECT_EQ(ParseSegmentFileName("00000000001073741824"), 1073741824);
  EXPECT_FALSE(ParseSegmentFileName("0000000000107374182").has_value());
  EXPECT_FALSE(ParseSegmentFileName("0000000000107374182x").has_value());
  EXPECT_FALSE(ParseSegmentFileName("99999999999999999999").has_value()) << "overflows int64";
  EXPECT_EQ(RollNextFile(70000, 65536), 131072);
}

TEST(DelayLevels, ParsesUnitsAndRejectsGarbage) {
  const auto& d = DefaultDelayLevels();
  ASSERT_EQ(d.size(), 18u);
  EXPECT_EQ(d[0], 1000);
  EXPECT_EQ(d[2], 10000);
  EXPECT_EQ(d[4], 60000);
  EXPECT_EQ(d[17], 2 * 3600 * 1000);
  EXPECT_EQ(*ParseDelayLevels("1d"), std::vector<int64_t>{86400000});
  EXPECT_FALSE(ParseDelayLevels("1x").ok());
  EXPECT_FALSE(ParseDelayLevels("s").ok());
  EXPECT_FALSE(ParseDelayLevels("1s  2s").ok());
  EXPECT_FALSE(ParseDelayLevels("9223372036854775807d").ok()) << "millis past 64 bits";
}

}  // namespace
}  // namespace mqstore
