// SIGKILL of a slave process in the middle of replication: reopened, the
// slave keeps what it had (whole records only: a record split between
// frames never reaches its log), resumes at its own offset, and ends
// byte-identical to the master, with its queues rebuilt as the master's.
#include <gtest/gtest.h>

#include "storage/store_log.h"
#include "tests/storage/ha/ha_test_util.h"
#include "tests/support/golden.h"
#include "tests/support/reporting_child.h"

namespace mqstore {
namespace {

TEST(HaSlaveKillTest, KilledSlaveResumesAtItsOwnOffsetAndEndsByteIdentical) {
  SetLogSink({});
  test::TempDir tmp;
  StoreConfig mc = test::MasterConfig(tmp.path() + "/master");
  mc.haTransferWholeHistory = true;
  mc.haTransferBatchSize = 3000;  // many frames, records split between them
  auto master = test::OpenStore(mc);
  ASSERT_TRUE(master);
  for (const PutResult& r : test::PutSome(*master, 400)) ASSERT_TRUE(r.ok());
  const StoreConfig sc = test::SlaveConfig(tmp.path() + "/slave", master->ha_port());
  int64_t flushed = 0;  // the furthest end a killed slave reported flushed
  for (int round = 0; round < 3; ++round) {
    test::ReportingChild child([&](int report) {
      auto slave = MessageStore::Open(sc);
      if (!slave.ok()) _exit(3);
      // Reports its log's flushed end as it grows, until killed (what was
      // only in the append ring dies with the process).
      for (int64_t last = -1;;) {
        const int64_t end = (*slave)->commit_log().FlushedOffset();
        if (end != last && write(report, &end, sizeof end) != sizeof end) _exit(4);
        last = end;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    });
    ASSERT_TRUE(child.started());
    // Kill it once it is well into the transfer, not at the end.
    int64_t end = 0, seen = 0;
    while (seen < 2 && child.Read(end))
      if (end > 0) ++seen;
    ASSERT_GE(seen, 2) << "the slave stopped early: " << child.why();
    ASSERT_TRUE(child.KillAndReap()) << child.why();
    while (child.Read(end)) {
    }
    flushed = std::max(flushed, end);
    for (const PutResult& r : test::PutSome(*master, 150, 400 + 150 * round)) ASSERT_TRUE(r.ok());
  }
  // Reopened after the last kill: what it has is a prefix of the master's
  // log, then it resumes there and catches up.
  auto slave = test::OpenStore(sc);
  ASSERT_TRUE(slave);
  const int64_t resumed_at = slave->commit_log().WroteOffset();
  ASSERT_TRUE(slave->Flush().ok());
  ASSERT_TRUE(master->Flush().ok());
  EXPECT_GE(resumed_at, flushed) << "the killed slave kept what it had flushed";
  EXPECT_TRUE(test::LogBytes(master->commit_log(), 0, resumed_at) == test::LogBytes(slave->commit_log(), 0, resumed_at))
      << "the killed slave's log is a prefix of the master's up to " << resumed_at;
  ASSERT_TRUE(test::WaitUntil([&] { return test::CaughtUp(*master, *slave); }, 30000))
      << slave->commit_log().WroteOffset() << " of " << master->commit_log().MaxOffset() << ": "
      << slave->Stats().replication.error;
  EXPECT_EQ(slave->commit_log().MinOffset(), 0) << "it resumed, it did not start again";
  test::ExpectSameLog(*master, *slave);
  test::WaitDispatched(*slave);
  for (int q = 0; q < 3; ++q) EXPECT_EQ(slave->GetMaxOffsetInQueue("TopicHA", q), master->GetMaxOffsetInQueue("TopicHA", q));
}

}  // namespace
}  // namespace mqstore
