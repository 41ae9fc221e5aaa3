// SIGKILL of a SYNC_MASTER process in the middle of puts: every message it
// answered PUT_OK is in the slave's log, byte for byte as the master wrote
// it, and the master reopens after the crash with the slave still a prefix
// of it (nothing the slave acknowledged was lost on the master either).
#include <gtest/gtest.h>

#include "storage/store_log.h"
#include "tests/storage/ha/ha_test_util.h"
#include "tests/support/golden.h"
#include "tests/support/reporting_child.h"

namespace mqstore {
namespace {

TEST(HaKillTest, EveryPutOkOfAKilledSyncMasterIsOnTheSlave) {
  SetLogSink({});
  test::TempDir tmp;
  int port = 0;
  {
    auto l = ListenTcp(0);
    ASSERT_TRUE(l.ok());
    port = LocalPort(*l);
  }
  StoreConfig mc = test::MasterConfig(tmp.path() + "/master");
  mc.haServiceEnable = false;
  mc.haListenPort = port;
  mc.haTransferWholeHistory = true;
  mc.brokerRole = BrokerRole::kSyncMaster;
  mc.flushDiskType = FlushDiskType::kSyncFlush;
  mc.slaveTimeout = 2000;
  struct Ack {
    int64_t offset, end;
  };
  test::ReportingChild child([&](int report) {
    auto master = MessageStore::Open(mc);
    if (!master.ok()) _exit(3);
    for (int i = 0;; ++i) {
      test::OwnedMessage m("TopicHA", i % 3, 200 + (i * 13) % 700, "k" + std::to_string(i));
      const PutResult r = (*master)->Put(m.message());
      if (r.status != PutStatus::kPutOk) continue;  // no slave yet, or a timeout: not promised
      const Ack a{r.wrote_offset, r.wrote_offset + r.wrote_bytes};
      if (write(report, &a, sizeof a) != sizeof a) _exit(4);
    }
  });
  ASSERT_TRUE(child.started());
  auto slave = test::OpenStore(test::SlaveConfig(tmp.path() + "/slave", port));
  ASSERT_TRUE(slave);
  std::vector<Ack> acked;
  Ack a{};
  while (acked.size() < 400 && child.Read(a)) acked.push_back(a);
  ASSERT_EQ(acked.size(), 400u) << "the master stopped early";
  ASSERT_TRUE(child.KillAndReap()) << child.why();
  while (child.Read(a)) acked.push_back(a);  // reports already in the pipe

  ASSERT_TRUE(slave->Flush().ok());
  const int64_t slave_end = slave->commit_log().MaxOffset();
  for (const Ack& x : acked) {
    ASSERT_LE(x.end, slave_end) << "PUT_OK at " << x.offset << " is not on the slave";
    auto m = slave->LookMessageByOffset(x.offset);
    ASSERT_TRUE(m.ok()) << x.offset << ": " << m.error().ToString();
  }
  ASSERT_TRUE(slave->Shutdown().ok());
  // The master after the kill: the slave's log is a prefix of it.
  mc.brokerRole = BrokerRole::kAsyncMaster;
  auto master = test::OpenStore(mc);
  ASSERT_TRUE(master);
  StoreConfig sc = test::SlaveConfig(tmp.path() + "/slave", master->ha_port());
  sc.haMasterAddress.clear();  // read only, no replication
  auto reopened = test::OpenStore(sc);
  ASSERT_TRUE(reopened);
  ASSERT_GE(master->commit_log().MaxOffset(), slave_end);
  EXPECT_TRUE(test::LogBytes(master->commit_log(), 0, slave_end) == test::LogBytes(reopened->commit_log(), 0, slave_end));
}

}  // namespace
}  // namespace mqstore
