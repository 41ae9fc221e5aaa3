#include <gtest/gtest.h>

#include <cstring>

#include "format/checkpoint_format.h"
#include "tests/support/golden.h"

namespace mqstore {
namespace {

TEST(GoldenCheckpoint, DecodesTheThreeTimestampsAndReencodes) {
  MQ_GOLDEN_OR_SKIP(golden);
  const auto bytes = test::ReadFileBytes(golden + "/rocketmq-4.9.8-small/store/checkpoint");
  ASSERT_EQ(bytes.size(), kCheckpointFileSize);
  auto cp = DecodeCheckpoint(bytes);
  ASSERT_TRUE(cp.ok());
  const auto want = test::ReadJsonLines(golden + "/rocketmq-4.9.8-small/expected-checkpoint.json");
  ASSERT_EQ(want.size(), 1u);
  EXPECT_EQ(cp->physic_msg_timestamp, want[0]["physicMsgTimestamp"].i);
  EXPECT_EQ(cp->logics_msg_timestamp, want[0]["logicsMsgTimestamp"].i);
  EXPECT_EQ(cp->index_msg_timestamp, want[0]["indexMsgTimestamp"].i);
  std::vector<uint8_t> again(kCheckpointFileSize, 0);
  EncodeCheckpoint(*cp, again.data());
  EXPECT_TRUE(again == bytes);
}

TEST(CheckpointFormat, ShortInputIsTruncatedAndOlderLayoutsReadTheirFields) {
  uint8_t page[40] = {};
  EXPECT_FALSE(DecodeCheckpoint(std::span<const uint8_t>(page, 23)).ok());
  EXPECT_EQ(DecodeCheckpoint(std::span<const uint8_t>(page, 23)).error().code, DecodeErrc::kTruncated);
  Checkpoint c{1000, 2000, 3000, 4000, 5000};
  EncodeCheckpoint(c, page);
  auto v4 = DecodeCheckpoint(std::span<const uint8_t>(page, 24));
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->index_msg_timestamp, 3000);
  EXPECT_EQ(v4->master_flushed_offset, 0) << "a 4.x file has no 5.x fields";
  EXPECT_EQ(*DecodeCheckpoint(page), c);
}

TEST(CheckpointFormat, MinTimestampSubtractsThreeSecondsAndNeverGoesNegative) {
  EXPECT_EQ((Checkpoint{10000, 8000, 0, 0, 0}).MinTimestamp(), 5000);
  EXPECT_EQ((Checkpoint{10000, 8000, 1000, 0, 0}).MinTimestampIndex(), 1000);
  EXPECT_EQ((Checkpoint{2000, 8000, 0, 0, 0}).MinTimestamp(), 0);
  EXPECT_EQ((Checkpoint{INT64_MIN, 8000, 0, 0, 0}).MinTimestamp(), 0) << "garbage must not overflow";
}

}  // namespace
}  // namespace mqstore
