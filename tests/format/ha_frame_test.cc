// The HA wire codecs: frame header and the slave's 8-byte reports.
#include "format/ha_frame.h"

#include <gtest/gtest.h>

#include <vector>

namespace mqstore {
namespace {

TEST(HaFrame, HeaderIsOffsetThenSizeBigEndian) {
  uint8_t out[kHaHeaderSize];
  EncodeHaHeader({0x0102030405060708LL, 0x0A0B0C0D}, out);
  const uint8_t want[] = {1, 2, 3, 4, 5, 6, 7, 8, 0x0A, 0x0B, 0x0C, 0x0D};
  EXPECT_EQ(std::vector<uint8_t>(out, out + 12), std::vector<uint8_t>(want, want + 12));
  auto back = DecodeHaHeader(out, 0x7FFFFFFF);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->offset, 0x0102030405060708LL);
  EXPECT_EQ(back->size, 0x0A0B0C0D);
}

TEST(HaFrame, ShortHeaderIsTruncatedNamingTheField) {
  uint8_t out[kHaHeaderSize];
  EncodeHaHeader({65536, 10}, out);
  auto r = DecodeHaHeader(std::span<const uint8_t>(out, 11), 1 << 20);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, DecodeErrc::kTruncated);
  EXPECT_STREQ(r.error().field, "HA frame size");
  EXPECT_EQ(DecodeHaHeader(std::span<const uint8_t>(out, 3), 1 << 20).error().field, std::string("HA frame offset"));
}

TEST(HaFrame, NegativeOrOversizedFieldsAreRefused) {
  uint8_t out[kHaHeaderSize];
  EncodeHaHeader({-1, 0}, out);
  EXPECT_EQ(DecodeHaHeader(out, 100).error().code, DecodeErrc::kNegativeLength);
  EncodeHaHeader({0, -5}, out);
  EXPECT_EQ(DecodeHaHeader(out, 100).error().code, DecodeErrc::kNegativeLength);
  EncodeHaHeader({0, 101}, out);
  auto big = DecodeHaHeader(out, 100);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().code, DecodeErrc::kSizeOutOfRange);
  EXPECT_EQ(big.error().value, 101);
  EncodeHaHeader({0, 100}, out);
  EXPECT_TRUE(DecodeHaHeader(out, 100).ok());
}

TEST(HaFrame, HeartbeatHasSizeZero) {
  uint8_t out[kHaHeaderSize];
  EncodeHaHeader({4096, 0}, out);
  auto r = DecodeHaHeader(out, 0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->size, 0);
}

// HAConnection's read thread: the last complete value wins, a partial
// value waits.
TEST(HaFrame, ReportsTakeTheLastCompleteValue) {
  std::vector<uint8_t> in(8 * 3 + 5);
  EncodeHaReport(100, in.data());
  EncodeHaReport(200, in.data() + 8);
  EncodeHaReport(300, in.data() + 16);
  const HaReports r = DecodeHaReports(in);
  ASSERT_TRUE(r.last.has_value());
  EXPECT_EQ(*r.last, 300);
  EXPECT_EQ(r.consumed, 24u);
  const HaReports none = DecodeHaReports(std::span<const uint8_t>(in.data(), 7));
  EXPECT_FALSE(none.last.has_value());
  EXPECT_EQ(none.consumed, 0u);
}

}  // namespace
}  // namespace mqstore
