// Master and slave stores in one process over loopback: the slave's log is
// the master's byte for byte, its own dispatcher builds its queues, and it
// resumes at its own offset after a restart.
#include <gtest/gtest.h>

#include <filesystem>
#include <mutex>
#include <vector>

#include "storage/store_log.h"
#include "tests/storage/ha/ha_test_util.h"
#include "tests/support/golden.h"

namespace mqstore {
namespace {

class HaReplicationTest : public ::testing::Test {
 protected:
  void SetUp() override { if (!getenv("HA_LOG")) SetLogSink({}); }
  test::TempDir tmp_;
  std::string master_root() const { return tmp_.path() + "/master"; }
  std::string slave_root() const { return tmp_.path() + "/slave"; }
};

TEST_F(HaReplicationTest, SlaveLogIsByteIdenticalAndItsQueuesAreBuilt) {
  StoreConfig mc = test::MasterConfig(master_root());
  mc.haTransferWholeHistory = true;
  mc.haTransferBatchSize = 1000;  // frames split records
  auto master = test::OpenStore(mc);
  ASSERT_TRUE(master);
  for (const PutResult& r : test::PutSome(*master, 300)) ASSERT_TRUE(r.ok()) << r.reason;
  ASSERT_TRUE(master->Flush().ok());
  ASSERT_GT(master->commit_log().SegmentCount(), 2u) << "the test must cross files";

  auto slave = test::OpenStore(test::SlaveConfig(slave_root(), master->ha_port()));
  ASSERT_TRUE(slave);
  ASSERT_TRUE(test::WaitUntil([&] { return test::CaughtUp(*master, *slave); }))
      << "slave at " << slave->commit_log().WroteOffset() << ", master at " << master->commit_log().MaxOffset()
      << ": " << slave->Stats().replication.error;
  test::ExpectSameLog(*master, *slave);
  EXPECT_EQ(slave->commit_log().MinOffset(), 0);
  test::WaitDispatched(*slave);
  for (int q = 0; q < 3; ++q)
    EXPECT_EQ(slave->GetMaxOffsetInQueue("TopicHA", q), master->GetMaxOffsetInQueue("TopicHA", q)) << q;
  const StoreStats ms = master->Stats();
  EXPECT_EQ(ms.replication.role, "master");
  EXPECT_EQ(ms.replication.slaves, 1u);
  EXPECT_EQ(ms.replication.lag_bytes, 0);
  const StoreStats ss = slave->Stats();
  EXPECT_EQ(ss.replication.role, "slave");
  EXPECT_TRUE(ss.replication.connected);
  EXPECT_EQ(ss.replication.applied_offset, ms.max_offset);
}

// 4.9.8: a slave reporting 0 starts at the file holding the master's end.
TEST_F(HaReplicationTest, FreshSlaveStartsAtTheFileHoldingTheMasterEnd) {
  auto master = test::OpenStore(test::MasterConfig(master_root()));
  ASSERT_TRUE(master);
  for (const PutResult& r : test::PutSome(*master, 300)) ASSERT_TRUE(r.ok());
  ASSERT_TRUE(master->Flush().ok());
  const int64_t end = master->commit_log().MaxOffset();
  const int64_t last_file = end - end % master->commit_log().options().segment_size;
  ASSERT_GT(last_file, 0);
  auto slave = test::OpenStore(test::SlaveConfig(slave_root(), master->ha_port()));
  ASSERT_TRUE(slave);
  ASSERT_TRUE(test::WaitUntil([&] { return test::CaughtUp(*master, *slave); })) << slave->Stats().replication.error;
  EXPECT_EQ(slave->commit_log().MinOffset(), last_file);
  test::ExpectSameLog(*master, *slave);
}

TEST_F(HaReplicationTest, SlaveFollowsLivePutsAndRefusesItsOwn) {
  auto master = test::OpenStore(test::MasterConfig(master_root()));
  ASSERT_TRUE(master);
  auto slave = test::OpenStore(test::SlaveConfig(slave_root(), master->ha_port()));
  ASSERT_TRUE(slave);
  for (const PutResult& r : test::PutSome(*master, 200)) ASSERT_TRUE(r.ok());
  ASSERT_TRUE(test::WaitUntil([&] { return test::CaughtUp(*master, *slave); })) << slave->Stats().replication.error;
  test::ExpectSameLog(*master, *slave);
  test::OwnedMessage m("TopicHA", 0, 100, "own");
  EXPECT_EQ(slave->Put(m.message()).status, PutStatus::kServiceNotAvailable);
}

// A slave that shuts down closes its end between reports: the master notes
// it at info level, not as a fault to warn about.
TEST_F(HaReplicationTest, ASlaveThatStopsIsNotedWithoutAWarning) {
  std::mutex mu;
  std::vector<std::pair<LogLevel, std::string>> lines;
  SetLogSink([&](LogLevel level, std::string_view line) {
    std::lock_guard lock(mu);
    lines.emplace_back(level, std::string(line));
  });
  auto master = test::OpenStore(test::MasterConfig(master_root()));
  ASSERT_TRUE(master);
  auto slave = test::OpenStore(test::SlaveConfig(slave_root(), master->ha_port()));
  ASSERT_TRUE(slave);
  for (const PutResult& r : test::PutSome(*master, 20)) ASSERT_TRUE(r.ok());
  ASSERT_TRUE(test::WaitUntil([&] { return test::CaughtUp(*master, *slave); })) << slave->Stats().replication.error;
  ASSERT_TRUE(slave->Shutdown().ok());
  ASSERT_TRUE(test::WaitUntil([&] { return master->Stats().replication.slaves == 0; }));
  ASSERT_TRUE(master->Shutdown().ok());
  SetLogSink({});
  std::lock_guard lock(mu);
  bool noted = false;
  for (const auto& [level, line] : lines) {
    if (line.find("HA: slave") != std::string::npos && line.find("disconnected") != std::string::npos)
      noted = level == LogLevel::kInfo;
    EXPECT_FALSE(level >= LogLevel::kWarn && line.find("HA") != std::string::npos) << line;
  }
  EXPECT_TRUE(noted) << "the master notes the slave's leaving at info level";
}

// A slave shut down and opened again reports its own end and gets only
// what it lacks.
TEST_F(HaReplicationTest, RestartedSlaveResumesAtItsOwnOffset) {
  StoreConfig mc = test::MasterConfig(master_root());
  mc.haTransferWholeHistory = true;
  auto master = test::OpenStore(mc);
  ASSERT_TRUE(master);
  const StoreConfig sc = test::SlaveConfig(slave_root(), master->ha_port());
  for (const PutResult& r : test::PutSome(*master, 100)) ASSERT_TRUE(r.ok());
  {
    auto slave = test::OpenStore(sc);
    ASSERT_TRUE(slave);
    ASSERT_TRUE(test::WaitUntil([&] { return test::CaughtUp(*master, *slave); }));
    ASSERT_TRUE(slave->Shutdown().ok());
  }
  const int64_t slave_end = master->commit_log().MaxOffset();
  for (const PutResult& r : test::PutSome(*master, 150, 100)) ASSERT_TRUE(r.ok());
  ASSERT_TRUE(test::WaitUntil([&] { return master->Stats().replication.slaves == 0; }));
  auto slave = test::OpenStore(sc);
  ASSERT_TRUE(slave);
  EXPECT_EQ(slave->commit_log().WroteOffset(), slave_end) << "the slave kept what it had";
  ASSERT_TRUE(test::WaitUntil([&] { return test::CaughtUp(*master, *slave); })) << slave->Stats().replication.error;
  test::ExpectSameLog(*master, *slave);
  EXPECT_EQ(slave->commit_log().MinOffset(), 0);
  test::WaitDispatched(*slave);
  EXPECT_EQ(slave->GetMaxOffsetInQueue("TopicHA", 0), master->GetMaxOffsetInQueue("TopicHA", 0));
}

// A slave holding bytes its master never had is told so and stops; the
// master records it; nothing of the slave's log is cut.
TEST_F(HaReplicationTest, DivergedSlaveIsDetectedAndRefused) {
  StoreConfig mc = test::MasterConfig(master_root());
  mc.haTransferWholeHistory = true;
  int64_t slave_end = 0;
  {
    auto first = test::OpenStore(mc);
    ASSERT_TRUE(first);
    for (const PutResult& r : test::PutSome(*first, 50)) ASSERT_TRUE(r.ok());
    auto slave = test::OpenStore(test::SlaveConfig(slave_root(), first->ha_port()));
    ASSERT_TRUE(slave);
    ASSERT_TRUE(test::WaitUntil([&] { return test::CaughtUp(*first, *slave); }));
    slave_end = slave->commit_log().WroteOffset();
    ASSERT_TRUE(slave->Shutdown().ok());
  }
  // Another master whose log is shorter.
  auto other = test::OpenStore(test::MasterConfig(tmp_.path() + "/other"));
  ASSERT_TRUE(other);
  for (const PutResult& r : test::PutSome(*other, 5)) ASSERT_TRUE(r.ok());
  auto slave = test::OpenStore(test::SlaveConfig(slave_root(), other->ha_port()));
  ASSERT_TRUE(slave);
  ASSERT_TRUE(test::WaitUntil([&] { return slave->Stats().replication.diverged; })) << slave->Stats().replication.error;
  const ReplicationStats s = slave->Stats().replication;
  EXPECT_NE(s.error.find("diverged"), std::string::npos) << s.error;
  EXPECT_NE(s.error.find(std::to_string(slave_end)), std::string::npos) << s.error;
  EXPECT_EQ(slave->commit_log().WroteOffset(), slave_end) << "nothing was cut";
  ASSERT_TRUE(test::WaitUntil([&] { return other->Stats().replication.diverged; }));
  EXPECT_EQ(other->Stats().replication.slaves, 0u);
}

// haDivergencePolicy=truncate: a slave that got past its new master's end
// (the master came back from an older copy of its log) cuts its log back
// to that end, drops the queue units and index entries past it, and then
// follows, byte for byte.
TEST_F(HaReplicationTest, DivergedSlaveWithTruncatePolicyCutsBackAndFollows) {
  StoreConfig mc = test::MasterConfig(master_root());
  mc.haTransferWholeHistory = true;
  const std::string copy_root = tmp_.path() + "/copy";
  int64_t copy_end = 0, slave_end = 0;
  {
    auto master = test::OpenStore(mc);
    ASSERT_TRUE(master);
    for (const PutResult& r : test::PutSome(*master, 30)) ASSERT_TRUE(r.ok());
    copy_end = master->commit_log().WroteOffset();
    ASSERT_TRUE(master->Shutdown().ok());
    std::filesystem::copy(master_root(), copy_root, std::filesystem::copy_options::recursive);
    master = test::OpenStore(mc);
    ASSERT_TRUE(master);
    for (const PutResult& r : test::PutSome(*master, 40, 30)) ASSERT_TRUE(r.ok());
    auto slave = test::OpenStore(test::SlaveConfig(slave_root(), master->ha_port()));
    ASSERT_TRUE(slave);
    ASSERT_TRUE(test::WaitUntil([&] { return test::CaughtUp(*master, *slave); }));
    test::WaitDispatched(*slave);
    slave_end = slave->commit_log().WroteOffset();
    ASSERT_TRUE(slave->Shutdown().ok());
  }
  ASSERT_GT(slave_end, copy_end);
  StoreConfig cc = test::MasterConfig(copy_root);
  cc.haTransferWholeHistory = true;
  auto master = test::OpenStore(cc);
  ASSERT_TRUE(master);
  ASSERT_EQ(master->commit_log().WroteOffset(), copy_end);
  StoreConfig sc = test::SlaveConfig(slave_root(), master->ha_port());
  sc.haDivergencePolicy = HaDivergencePolicy::kTruncate;
  std::vector<std::string> errors;
  std::mutex mu;
  SetLogSink([&](LogLevel level, std::string_view line) {
    std::lock_guard lock(mu);
    if (level == LogLevel::kError) errors.emplace_back(line);
  });
  auto slave = test::OpenStore(sc);
  ASSERT_TRUE(slave);
  ASSERT_EQ(slave->commit_log().WroteOffset(), slave_end);
  // The cut is done once the log, the queues and the index all end there
  // (the log's end moves first).
  auto units = [&] {
    int64_t n = 0;
    for (int q = 0; q < 3; ++q) n += slave->GetMaxOffsetInQueue("TopicHA", q);
    return n;
  };
  ASSERT_TRUE(test::WaitUntil([&] {
    return slave->commit_log().WroteOffset() == copy_end && units() == 30 &&
           slave->QueryMessage("TopicHA", "k45", 10, 0, INT64_MAX).messages.empty();
  })) << slave->commit_log().WroteOffset() << " (want " << copy_end << "), " << units()
      << " units (want 30): " << slave->Stats().replication.error;
  for (int q = 0; q < 3; ++q)
    EXPECT_EQ(slave->GetMaxOffsetInQueue("TopicHA", q), master->GetMaxOffsetInQueue("TopicHA", q)) << q;
  for (const PutResult& r : test::PutSome(*master, 20, 100)) ASSERT_TRUE(r.ok());
  ASSERT_TRUE(test::WaitUntil([&] { return test::CaughtUp(*master, *slave); })) << slave->Stats().replication.error;
  EXPECT_FALSE(slave->Stats().replication.diverged);
  test::ExpectSameLog(*master, *slave);
  test::WaitDispatched(*slave);
  for (int q = 0; q < 3; ++q) EXPECT_EQ(slave->GetMaxOffsetInQueue("TopicHA", q), master->GetMaxOffsetInQueue("TopicHA", q));
  ASSERT_TRUE(slave->Shutdown().ok());
  SetLogSink({});
  bool logged = false;
  for (const std::string& e : errors)
    logged = logged || (e.find(std::to_string(slave_end)) != std::string::npos &&
                        e.find(std::to_string(copy_end)) != std::string::npos);
  EXPECT_TRUE(logged) << "an ERROR line names both offsets";
  // Reopened, the cut log recovers as it is.
  sc.haMasterAddress.clear();
  auto reopened = test::OpenStore(sc);
  ASSERT_TRUE(reopened);
  EXPECT_EQ(reopened->commit_log().WroteOffset(), master->commit_log().WroteOffset());
}

// A slave that reports once and then neither reads nor reports: the
// master's writer stops at a full socket (one frame buffered) and the
// connection is dropped after haHousekeepingInterval.
TEST_F(HaReplicationTest, SlaveThatNeverReadsNorReportsIsDropped) {
  StoreConfig mc = test::MasterConfig(master_root());
  mc.haTransferWholeHistory = true;
  mc.haHousekeepingInterval = 500;
  auto master = test::OpenStore(mc);
  ASSERT_TRUE(master);
  for (const PutResult& r : test::PutSome(*master, 300)) ASSERT_TRUE(r.ok());
  auto fd = ConnectTcp("127.0.0.1:" + std::to_string(master->ha_port()), 1000);
  ASSERT_TRUE(fd.ok());
  uint8_t report[kHaReportSize];
  EncodeHaReport(0, report);
  ASSERT_EQ(*WriteSome(*fd, report, "master"), kHaReportSize);
  ASSERT_TRUE(test::WaitUntil([&] { return master->Stats().replication.slaves == 1; }));
  ASSERT_TRUE(test::WaitUntil([&] { return master->Stats().replication.slaves_dropped == 1; }, 5000));
  EXPECT_EQ(master->Stats().replication.slaves, 0u);
  EXPECT_NE(master->Stats().replication.error.find("haHousekeepingInterval"), std::string::npos)
      << master->Stats().replication.error;
  for (const PutResult& r : test::PutSome(*master, 5)) EXPECT_TRUE(r.ok()) << "the master goes on";
}

}  // namespace
}  // namespace mqstore
