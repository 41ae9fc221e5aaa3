// SIGKILL of a slave process in the middle of replication: reopened, the
// slave keeps what it had (whole records only: a record split between
// frames never reaches its log), resumes at its own offset, and ends
// byte-identical to the master, with its queues rebuilt as the master's.
//
// The master runs in a child process of its own, so that this process has
// no threads when it forks each slave (tests/support/reporting_child.h).
#include <gtest/gtest.h>

#include "storage/store_log.h"
#include "tests/storage/ha/ha_test_util.h"
#include "tests/support/golden.h"
#include "tests/support/reporting_child.h"

namespace mqstore {
namespace {

constexpr int kFirstPuts = 400;
constexpr int kPutsPerRound = 150;

// A pipe from the test to a child: the child reads what the test writes.
class CommandPipe {
 public:
  CommandPipe() { ok_ = pipe(fds_) == 0; }
  ~CommandPipe() {
    for (int fd : fds_)
      if (ok_) close(fd);
  }
  bool ok() const { return ok_; }
  // In the child: the next command, false at end of file.
  bool Next(int32_t& command) { return read(fds_[0], &command, sizeof command) == sizeof command; }
  bool Send(int32_t command) { return write(fds_[1], &command, sizeof command) == sizeof command; }

 private:
  int fds_[2] = {-1, -1};
  bool ok_ = false;
};

constexpr int32_t kShutDown = -1;

// The master's child: opens the store, reports its HA port, puts the first
// messages and reports its log's end; then, per command, puts a round more
// (the command is the first message's number) and reports the end again,
// or shuts down cleanly on kShutDown.
void RunMaster(const StoreConfig& mc, CommandPipe& commands, int report) {
  auto master = MessageStore::Open(mc);
  if (!master.ok()) _exit(3);
  auto tell = [&](int64_t v) {
    if (write(report, &v, sizeof v) != sizeof v) _exit(4);
  };
  auto put = [&](int n, int first) {
    for (const PutResult& r : test::PutSome(**master, n, first))
      if (!r.ok()) _exit(5);
    tell((*master)->commit_log().WroteOffset());
  };
  tell((*master)->ha_port());
  put(kFirstPuts, 0);
  for (int32_t command = 0; commands.Next(command);) {
    if (command == kShutDown) _exit((*master)->Shutdown().ok() ? 0 : 6);
    put(kPutsPerRound, command);
  }
  _exit(7);
}

TEST(HaSlaveKillTest, KilledSlaveResumesAtItsOwnOffsetAndEndsByteIdentical) {
  SetLogSink({});
  test::TempDir tmp;
  StoreConfig mc = test::MasterConfig(tmp.path() + "/master");
  mc.haTransferWholeHistory = true;
  mc.haTransferBatchSize = 3000;  // many frames, records split between them
  CommandPipe commands;
  ASSERT_TRUE(commands.ok());
  test::ReportingChild master([&](int report) { RunMaster(mc, commands, report); });
  ASSERT_TRUE(master.started()) << master.why();
  int64_t port = 0, master_end = 0;
  ASSERT_TRUE(master.Read(port) && master.Read(master_end)) << "the master stopped: " << master.why();
  const StoreConfig sc = test::SlaveConfig(tmp.path() + "/slave", static_cast<int>(port));

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
    ASSERT_TRUE(child.started()) << child.why();
    // Kill it once it is well into the transfer, not at the end.
    int64_t end = 0, seen = 0;
    while (seen < 2 && child.Read(end))
      if (end > 0) ++seen;
    ASSERT_GE(seen, 2) << "the slave stopped early: " << child.why();
    ASSERT_TRUE(child.KillAndReap()) << child.why();
    while (child.Read(end)) {
    }
    flushed = std::max(flushed, end);
    ASSERT_TRUE(commands.Send(kFirstPuts + kPutsPerRound * round));
    ASSERT_TRUE(master.Read(master_end)) << "the master stopped: " << master.why();
  }
  // Reopened after the last kill: what it has is a prefix of the master's
  // log, then it resumes there and catches up.
  auto slave = test::OpenStore(sc);
  ASSERT_TRUE(slave);
  const int64_t resumed_at = slave->commit_log().WroteOffset();
  EXPECT_GE(resumed_at, flushed) << "the killed slave kept what it had flushed";
  ASSERT_TRUE(test::WaitUntil([&] { return slave->commit_log().WroteOffset() == master_end; }, 30000))
      << slave->commit_log().WroteOffset() << " of " << master_end << ": " << slave->Stats().replication.error;
  EXPECT_EQ(slave->commit_log().MinOffset(), 0) << "it resumed, it did not start again";
  ASSERT_TRUE(commands.Send(kShutDown));
  ASSERT_TRUE(master.ReapExited()) << "the master did not shut down cleanly: " << master.why();

  // The master's store, reopened here without replication, against the slave.
  mc.haServiceEnable = false;
  auto reopened = test::OpenStore(mc);
  ASSERT_TRUE(reopened);
  ASSERT_TRUE(slave->Flush().ok());
  EXPECT_TRUE(test::LogBytes(reopened->commit_log(), 0, resumed_at) == test::LogBytes(slave->commit_log(), 0, resumed_at))
      << "the killed slave's log is a prefix of the master's up to " << resumed_at;
  test::ExpectSameLog(*reopened, *slave);
  test::WaitDispatched(*reopened);
  test::WaitDispatched(*slave);
  for (int q = 0; q < 3; ++q)
    EXPECT_EQ(slave->GetMaxOffsetInQueue("TopicHA", q), reopened->GetMaxOffsetInQueue("TopicHA", q));
}

}  // namespace
}  // namespace mqstore
