// The slave against a hand-driven master: what it reports, and what it does
// with frames at the wrong offset, truncated frames, garbage and records
// split between frames.
#include <gtest/gtest.h>

#include <random>

#include "storage/store_log.h"
#include "tests/storage/ha/ha_test_util.h"
#include "tests/support/golden.h"

namespace mqstore {
namespace {

class HaClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetLogSink({});
    // Real records to send: a store's log from offset 0.
    auto source = test::OpenStore(test::SmallStoreConfig(tmp_.path() + "/source"));
    ASSERT_TRUE(source);
    for (const PutResult& r : test::PutSome(*source, 20)) {
      ASSERT_TRUE(r.ok());
      ends_.push_back(r.wrote_offset + r.wrote_bytes);
    }
    ASSERT_TRUE(source->Flush().ok());
    bytes_ = test::LogBytes(source->commit_log(), 0, source->commit_log().MaxOffset());
    ASSERT_EQ(static_cast<int64_t>(bytes_.size()), ends_.back());
  }
  std::unique_ptr<MessageStore> OpenSlave() {
    StoreConfig c = test::SlaveConfig(tmp_.path() + "/slave", fake_.port());
    return test::OpenStore(c);
  }
  std::span<const uint8_t> Bytes(int64_t from, int64_t to) const {
    return std::span<const uint8_t>(bytes_).subspan(static_cast<size_t>(from), static_cast<size_t>(to - from));
  }
  test::TempDir tmp_;
  std::vector<uint8_t> bytes_;
  std::vector<int64_t> ends_;  // each record's end
  test::FakeMaster fake_;
};

TEST_F(HaClientTest, ReportsAtOnceAndAfterEachFrameThatGrewTheLog) {
  auto slave = OpenSlave();
  ASSERT_TRUE(slave);
  int64_t first = -1;
  ASSERT_TRUE(fake_.Accept(&first));
  EXPECT_EQ(first, 0) << "an empty slave reports 0 on connect";
  fake_.SendFrame(0, Bytes(0, ends_[4]));
  EXPECT_EQ(fake_.ReadReport(), ends_[4]);
  EXPECT_EQ(slave->commit_log().WroteOffset(), ends_[4]);
}

// A record split between frames waits for its tail: the log holds whole
// records only, and the ack is a record end.
TEST_F(HaClientTest, RecordSplitBetweenFramesIsAppendedWhole) {
  auto slave = OpenSlave();
  ASSERT_TRUE(slave);
  ASSERT_TRUE(fake_.Accept());
  const int64_t mid = ends_[2] + 50;
  fake_.SendFrame(0, Bytes(0, mid));
  EXPECT_EQ(fake_.ReadReport(), ends_[2]);
  EXPECT_EQ(slave->commit_log().WroteOffset(), ends_[2]);
  fake_.SendFrame(mid, Bytes(mid, ends_[5]));
  EXPECT_EQ(fake_.ReadReport(), ends_[5]);
  ASSERT_TRUE(slave->Flush().ok());
  EXPECT_EQ(test::LogBytes(slave->commit_log(), 0, ends_[5]), std::vector<uint8_t>(bytes_.begin(), bytes_.begin() + ends_[5]));
  test::WaitDispatched(*slave);
  EXPECT_EQ(slave->GetMaxOffsetInQueue("TopicHA", 0) + slave->GetMaxOffsetInQueue("TopicHA", 1) +
                slave->GetMaxOffsetInQueue("TopicHA", 2),
            6);
}

TEST_F(HaClientTest, FrameAtTheWrongOffsetDropsTheConnection) {
  auto slave = OpenSlave();
  ASSERT_TRUE(slave);
  ASSERT_TRUE(fake_.Accept());
  fake_.SendFrame(0, Bytes(0, ends_[1]));
  ASSERT_EQ(fake_.ReadReport(), ends_[1]);
  fake_.SendFrame(ends_[2], Bytes(ends_[2], ends_[3]));  // skips a record
  EXPECT_TRUE(fake_.SlaveClosed());
  EXPECT_EQ(slave->commit_log().WroteOffset(), ends_[1]) << "nothing of the bad frame";
  EXPECT_NE(slave->Stats().replication.error.find("pushed offset"), std::string::npos)
      << slave->Stats().replication.error;
  // It comes back and reports where it is.
  fake_.Drop();
  int64_t again = -1;
  ASSERT_TRUE(fake_.Accept(&again));
  EXPECT_EQ(again, ends_[1]);
}

TEST_F(HaClientTest, TruncatedFrameAppendsNothing) {
  auto slave = OpenSlave();
  ASSERT_TRUE(slave);
  ASSERT_TRUE(fake_.Accept());
  std::vector<uint8_t> frame(kHaHeaderSize);
  EncodeHaHeader({0, static_cast<int32_t>(ends_[3])}, frame.data());
  frame.insert(frame.end(), bytes_.begin(), bytes_.begin() + ends_[3] / 2);
  fake_.Send(frame);
  fake_.Drop();  // the rest never comes
  int64_t again = -1;
  ASSERT_TRUE(fake_.Accept(&again));
  EXPECT_EQ(again, 0);
  EXPECT_EQ(slave->commit_log().WroteOffset(), 0);
}

TEST_F(HaClientTest, GarbageDropsTheConnectionAndAppendsNothing) {
  auto slave = OpenSlave();
  ASSERT_TRUE(slave);
  ASSERT_TRUE(fake_.Accept());
  std::vector<uint8_t> junk(300);
  std::mt19937 rng(7);
  for (auto& b : junk) b = static_cast<uint8_t>(rng());
  fake_.SendFrame(0, junk);
  EXPECT_TRUE(fake_.SlaveClosed());
  EXPECT_EQ(slave->commit_log().WroteOffset(), 0);
  EXPECT_EQ(slave->commit_log().SegmentCount(), 0u);
  EXPECT_FALSE(slave->Stats().replication.error.empty());
}

TEST_F(HaClientTest, RecordWithAnotherPhysicalOffsetIsRefused) {
  auto slave = OpenSlave();
  ASSERT_TRUE(slave);
  ASSERT_TRUE(fake_.Accept());
  std::vector<uint8_t> moved(bytes_.begin(), bytes_.begin() + ends_[1]);
  moved[ends_[0] + 28 + 7] ^= 1;  // the second record's PHYSICALOFFSET
  fake_.SendFrame(0, moved);
  EXPECT_TRUE(fake_.SlaveClosed());
  EXPECT_EQ(slave->commit_log().WroteOffset(), 0) << "nothing of the bad frame, not even the good record before it";
}

// A header whose body could never fit the slave's buffer.
TEST_F(HaClientTest, OversizedFrameHeaderDropsTheConnection) {
  auto slave = OpenSlave();
  ASSERT_TRUE(slave);
  ASSERT_TRUE(fake_.Accept());
  uint8_t header[kHaHeaderSize];
  EncodeHaHeader({0, 0x7FFFFFFF}, header);
  fake_.Send(header);
  EXPECT_TRUE(fake_.SlaveClosed());
  EXPECT_EQ(slave->commit_log().WroteOffset(), 0);
}

}  // namespace
}  // namespace mqstore
