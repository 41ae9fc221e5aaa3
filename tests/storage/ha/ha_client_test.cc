// The slave against a hand-driven master: what it reports, and what it does
// with frames at the wrong offset, truncated frames, garbage, records split
// between frames, a frame whose body never completes, a stray heartbeat
// below its end, and a master that never reads its reports.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

#include "storage/ha/ha_client.h"
#include "storage/io/fake_clock.h"
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

// Stale bytes after a reconnect can read as a header announcing a large
// body, which the master's heartbeats then feed 12 bytes at a time: bytes
// keep coming, so the master never looks silent, but the body never
// completes. A frame must complete within haHousekeepingInterval of its
// header, on the store's clock; otherwise the connection is dropped and
// nothing of the frame is appended.
TEST_F(HaClientTest, FrameNotCompleteWithinTheHousekeepingIntervalDropsTheConnection) {
  FakeClock clock;
  const StoreConfig c = test::SlaveConfig(tmp_.path() + "/slave", fake_.port());
  auto opened = MessageStore::Open(c, Env::WithClock(clock));
  ASSERT_TRUE(opened.ok()) << opened.error().ToString();
  MessageStore& slave = **opened;
  ASSERT_TRUE(fake_.Accept());
  fake_.SendFrame(0, Bytes(0, ends_[2]));
  ASSERT_EQ(fake_.ReadReport(), ends_[2]);
  uint8_t header[kHaHeaderSize];
  EncodeHaHeader({ends_[2], 1 << 20}, header);
  fake_.Send(header);
  // Heartbeats every 10 ms of real time for `ms`; true once the slave closed.
  auto dribble = [&](int ms) {
    uint8_t heartbeat[kHaHeaderSize];
    EncodeHaHeader({ends_[2], 0}, heartbeat);
    for (int waited = 0; waited < ms; waited += 10) {
      if (fake_.ClosedNow()) return true;
      fake_.Send(heartbeat);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return fake_.ClosedNow();
  };
  EXPECT_FALSE(dribble(300)) << slave.Stats().replication.error;
  clock.Advance(c.haHousekeepingInterval - 1);
  EXPECT_FALSE(dribble(300)) << "dropped before haHousekeepingInterval passed: " << slave.Stats().replication.error;
  clock.Advance(2);
  EXPECT_TRUE(dribble(3000)) << "still waiting for the body";
  EXPECT_EQ(slave.commit_log().WroteOffset(), ends_[2]) << "nothing of the incomplete frame";
  const std::string error = slave.Stats().replication.error;
  EXPECT_NE(error.find("frame announced 1048576 body bytes at master offset " + std::to_string(ends_[2])),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("haHousekeepingInterval=5000 ms"), std::string::npos) << error;
  // It comes back and reports where it is.
  fake_.Drop();
  int64_t again = -1;
  ASSERT_TRUE(fake_.Accept(&again));
  EXPECT_EQ(again, ends_[2]);
}

// A heartbeat below the slave's end is a master's "my log ends there" only
// as the first bytes of a connection the master then closes (what an
// mqstore master sends before it closes on a diverged report). Stale or
// garbage bytes that read as one, mid-stream or followed by more bytes,
// drop the connection and cut nothing, even with haDivergencePolicy=truncate.
TEST_F(HaClientTest, LowHeartbeatIsADivergenceNoticeOnlyAloneOnItsConnection) {
  StoreConfig c = test::SlaveConfig(tmp_.path() + "/slave", fake_.port());
  c.haDivergencePolicy = HaDivergencePolicy::kTruncate;
  auto slave = test::OpenStore(c);
  ASSERT_TRUE(slave);
  ASSERT_TRUE(fake_.Accept());
  fake_.SendFrame(0, Bytes(0, ends_[3]));
  ASSERT_EQ(fake_.ReadReport(), ends_[3]);
  // Mid-stream.
  fake_.SendFrame(0, {});
  EXPECT_TRUE(fake_.SlaveClosed());
  EXPECT_NE(slave->Stats().replication.error.find("not a divergence notice"), std::string::npos)
      << slave->Stats().replication.error;
  fake_.Drop();
  int64_t again = -1;
  ASSERT_TRUE(fake_.Accept(&again));
  EXPECT_EQ(again, ends_[3]) << slave->Stats().replication.error;
  // First on its connection, but more bytes follow.
  std::vector<uint8_t> two(2 * kHaHeaderSize);
  EncodeHaHeader({0, 0}, two.data());
  EncodeHaHeader({ends_[3], 0}, two.data() + kHaHeaderSize);
  fake_.Send(two);
  EXPECT_TRUE(fake_.SlaveClosed());
  EXPECT_NE(slave->Stats().replication.error.find("not a divergence notice"), std::string::npos)
      << slave->Stats().replication.error;
  fake_.Drop();
  ASSERT_TRUE(fake_.Accept(&again));
  EXPECT_EQ(again, ends_[3]);
  EXPECT_FALSE(slave->Stats().replication.diverged);
  EXPECT_EQ(slave->commit_log().WroteOffset(), ends_[3]) << "nothing was cut";
  // The notice itself: first, alone, and the master closes.
  fake_.SendFrame(ends_[1], {});
  fake_.Drop();
  ASSERT_TRUE(fake_.Accept(&again));
  EXPECT_EQ(again, ends_[1]) << "cut back to the master's end: " << slave->Stats().replication.error;
  EXPECT_EQ(slave->commit_log().WroteOffset(), ends_[1]);
}

// A master that sends frames but never reads the slave's reports: they
// fill the socket's buffers. The slave never blocks on that write: it drops
// the connection once a report does not fit, reconnects at its own end, and
// stops at once when asked while its reports go unread.
TEST_F(HaClientTest, MasterThatNeverReadsTheReportsIsDroppedNotWaitedFor) {
  StoreConfig c = test::SlaveConfig(tmp_.path() + "/slave", 1);
  c.haMasterAddress.clear();  // the client below replicates instead
  auto slave = test::OpenStore(c);
  ASSERT_TRUE(slave);
  fake_.ShrinkReceiveBuffer();
  HaSlaveOptions o;
  o.master_address = "127.0.0.1:" + std::to_string(fake_.port());
  o.heartbeat_interval_ms = 1;  // a report at every wake-up: the buffers fill fast
  o.reconnect_wait_ms = 10;
  o.send_buffer_bytes = 1;  // the smallest the OS allows
  HaClient client(slave->commit_log(), o);
  client.Start();
  ASSERT_TRUE(fake_.Accept());  // reads the first report; never again on this connection
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  size_t records = 0;
  while (client.Stats().error.empty() && std::chrono::steady_clock::now() < deadline) {
    if (records < ends_.size()) {  // a record a frame, then heartbeats at the end
      const int64_t from = records == 0 ? 0 : ends_[records - 1];
      fake_.SendFrame(from, Bytes(from, ends_[records]));
      ++records;
    } else {
      fake_.SendFrame(ends_.back(), {});
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const std::string error = client.Stats().error;
  EXPECT_NE(error.find("does not read this slave's reports"), std::string::npos) << error;
  const int64_t end = slave->commit_log().WroteOffset();
  EXPECT_GT(end, 0);
  EXPECT_NE(std::find(ends_.begin(), ends_.end(), end), ends_.end()) << "a record end";
  ASSERT_TRUE(slave->Flush().ok());
  EXPECT_EQ(test::LogBytes(slave->commit_log(), 0, end), std::vector<uint8_t>(bytes_.begin(), bytes_.begin() + end));
  fake_.Drop();
  int64_t again = -1;
  ASSERT_TRUE(fake_.Accept(&again));
  EXPECT_EQ(again, end) << "reconnected at its own end";
  for (int i = 0; i < 100; ++i) {  // unread reports pile up again
    fake_.SendFrame(end, {});
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const auto stop_start = std::chrono::steady_clock::now();
  client.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - stop_start, std::chrono::seconds(1));
}

// A master that accepts and then neither sends nor reads: the slave drops
// it after haHousekeepingInterval, reconnects, and shuts down at once.
TEST_F(HaClientTest, SilentMasterThatNeverReadsIsDroppedAndShutdownIsPrompt) {
  StoreConfig c = test::SlaveConfig(tmp_.path() + "/slave", fake_.port());
  c.haHousekeepingInterval = 300;
  auto slave = test::OpenStore(c);
  ASSERT_TRUE(slave);
  ASSERT_TRUE(fake_.Accept());
  ASSERT_TRUE(test::WaitUntil([&] { return !slave->Stats().replication.error.empty(); }, 5000));
  const std::string error = slave->Stats().replication.error;
  EXPECT_NE(error.find("sent nothing"), std::string::npos) << error;
  EXPECT_NE(error.find("haHousekeepingInterval"), std::string::npos) << error;
  fake_.Drop();
  ASSERT_TRUE(fake_.Accept());
  ASSERT_TRUE(test::WaitUntil([&] { return slave->Stats().replication.connected; }));
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(slave->Shutdown().ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

}  // namespace
}  // namespace mqstore
