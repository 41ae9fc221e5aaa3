// SYNC_MASTER as 4.9.8: SLAVE_NOT_AVAILABLE without a slave (or with one
// too far behind), PUT_OK once a slave acked the message, FLUSH_SLAVE_TIMEOUT
// when none does within slaveTimeout; stored in every case.
#include <gtest/gtest.h>

#include <atomic>
#include <future>

#include "storage/store_log.h"
#include "tests/storage/ha/ha_test_util.h"
#include "tests/support/golden.h"

namespace mqstore {
namespace {

class SyncMasterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetLogSink({});
    config_ = test::MasterConfig(tmp_.path() + "/master");
    config_.haServiceEnable = false;  // SYNC_MASTER serves slaves by itself
    config_.brokerRole = BrokerRole::kSyncMaster;
    config_.flushDiskType = FlushDiskType::kSyncFlush;
  }
  test::TempDir tmp_;
  StoreConfig config_;
};

TEST_F(SyncMasterTest, NoSlaveMeansSlaveNotAvailableAndTheMessageIsStored) {
  auto master = test::OpenStore(config_);
  ASSERT_TRUE(master);
  ASSERT_GT(master->ha_port(), 0);
  const PutResult r = test::PutSome(*master, 1).front();
  EXPECT_EQ(r.status, PutStatus::kSlaveNotAvailable) << r.reason;
  EXPECT_TRUE(master->LookMessageByOffset(r.wrote_offset).ok()) << "stored either way";
}

TEST_F(SyncMasterTest, SlaveAckMeansPutOkForSyncAndAsyncPuts) {
  auto master = test::OpenStore(config_);
  ASSERT_TRUE(master);
  auto slave = test::OpenStore(test::SlaveConfig(tmp_.path() + "/slave", master->ha_port()));
  ASSERT_TRUE(slave);
  ASSERT_TRUE(test::WaitUntil([&] { return master->Stats().replication.slaves == 1; }));
  for (const PutResult& r : test::PutSome(*master, 50)) {
    ASSERT_EQ(r.status, PutStatus::kPutOk) << r.reason;
    EXPECT_GE(slave->commit_log().WroteOffset(), r.wrote_offset + r.wrote_bytes) << "acked means on the slave";
  }
  // Many async puts: each completes once flushed and replicated.
  std::vector<std::future<PutResult>> futures;
  std::vector<test::OwnedMessage> msgs;
  for (int i = 0; i < 64; ++i) msgs.emplace_back("TopicHA", i % 3, 300, "a" + std::to_string(i));
  for (auto& m : msgs) futures.push_back(master->PutAsync(m.message()));
  for (auto& f : futures) {
    const PutResult r = f.get();
    ASSERT_EQ(r.status, PutStatus::kPutOk) << r.reason;
    EXPECT_GE(slave->commit_log().WroteOffset(), r.wrote_offset + r.wrote_bytes);
  }
  test::ExpectSameLog(*master, *slave);
}

// A slave that connects and reports but never acknowledges anything new.
TEST_F(SyncMasterTest, SlaveThatNeverAcksMeansFlushSlaveTimeout) {
  config_.slaveTimeout = 300;
  auto master = test::OpenStore(config_);
  ASSERT_TRUE(master);
  auto fd = ConnectTcp("127.0.0.1:" + std::to_string(master->ha_port()), 1000);
  ASSERT_TRUE(fd.ok());
  uint8_t report[kHaReportSize];
  EncodeHaReport(0, report);
  ASSERT_EQ(*WriteSome(*fd, report, "master"), kHaReportSize);
  ASSERT_TRUE(test::WaitUntil([&] { return master->Stats().replication.slaves == 1; }));
  const auto start = std::chrono::steady_clock::now();
  const PutResult r = test::PutSome(*master, 1).front();
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.status, PutStatus::kFlushSlaveTimeout) << r.reason;
  EXPECT_GE(waited, std::chrono::milliseconds(250)) << "it waited slaveTimeout";
  EXPECT_TRUE(master->LookMessageByOffset(r.wrote_offset).ok()) << "stored either way";
}

// 4.9.8's isSlaveOK: a slave more than haSlaveFallbehindMax behind counts
// as none.
TEST_F(SyncMasterTest, SlaveTooFarBehindMeansSlaveNotAvailable) {
  config_.haSlaveFallbehindMax = 1000;
  auto master = test::OpenStore(config_);
  ASSERT_TRUE(master);
  ASSERT_EQ(test::PutSome(*master, 10).front().status, PutStatus::kSlaveNotAvailable);
  auto fd = ConnectTcp("127.0.0.1:" + std::to_string(master->ha_port()), 1000);
  ASSERT_TRUE(fd.ok());
  uint8_t report[kHaReportSize];
  EncodeHaReport(0, report);  // acks nothing: thousands of bytes behind
  ASSERT_EQ(*WriteSome(*fd, report, "master"), kHaReportSize);
  ASSERT_TRUE(test::WaitUntil([&] { return master->Stats().replication.slaves == 1; }));
  EXPECT_EQ(test::PutSome(*master, 1).front().status, PutStatus::kSlaveNotAvailable);
}

// ASYNC_MASTER ships without waiting: no status changes.
TEST_F(SyncMasterTest, AsyncMasterDoesNotWait) {
  config_.brokerRole = BrokerRole::kAsyncMaster;
  config_.haServiceEnable = true;
  auto master = test::OpenStore(config_);
  ASSERT_TRUE(master);
  EXPECT_EQ(test::PutSome(*master, 1).front().status, PutStatus::kPutOk);
}

// A message that says WAIT=false (waitStoreMsgOK false) does not wait for
// a slave either.
TEST_F(SyncMasterTest, NoWaitMessageIsNotHeldForASlave) {
  auto master = test::OpenStore(config_);
  ASSERT_TRUE(master);
  test::OwnedMessage m("TopicHA", 0, 100, "nowait");
  Message msg = m.message();
  msg.flush_wait = FlushWait::kNoWait;
  EXPECT_EQ(master->Put(msg).status, PutStatus::kPutOk);
}

}  // namespace
}  // namespace mqstore
