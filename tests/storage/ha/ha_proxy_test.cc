// Replication through a loopback proxy that delays the stream, hands it on
// in small pieces, cuts connections mid-frame and reorders by reconnecting
// (the old connection's stale frames arrive on the new one): the slave
// reconnects each time, appends nothing wrong, resumes at its own end, and
// ends byte-identical to the master. Also: no thread outlives a replicating
// store, and a slave fed garbage holds at most one frame.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <random>
#include <thread>
#include <poll.h>

#include "storage/ha/ha_client.h"
#include "storage/store_log.h"
#include "tests/storage/ha/ha_test_util.h"
#include "tests/support/golden.h"

namespace mqstore {
namespace {

// Forwards one connection at a time between a slave and the master.
class Proxy {
 public:
  // reorder: a cut closes the slave's side only; the old master
  // connection goes on delivering (its stale frames, interleaved) into the
  // next slave connection for a while.
  Proxy(int master_port, size_t piece, int delay_ms, int64_t cut_every, bool reorder = false)
      : master_port_(master_port), piece_(piece), delay_ms_(delay_ms), cut_every_(cut_every), reorder_(reorder) {
    auto l = ListenTcp(0);
    EXPECT_TRUE(l.ok());
    if (l.ok()) listener_ = std::move(*l);
    thread_ = std::thread([this] { Run(); });
  }
  ~Proxy() {
    stop_ = true;
    thread_.join();
  }
  int port() const { return LocalPort(listener_); }
  int cuts() const { return cuts_.load(); }
  int64_t stale_bytes() const { return stale_.load(); }

 private:
  void Run() {
    while (!stop_) {
      auto slave = AcceptTcp(listener_, nullptr);
      if (!slave.ok() || !slave->valid()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        continue;
      }
      auto master = ConnectTcp("127.0.0.1:" + std::to_string(master_port_), 1000);
      if (!master.ok()) continue;
      // Only a cut leaves an old connection delivering: after the slave
      // itself dropped one, the next starts clean, so it converges. (Left
      // open, the old connection would poison every new one until the
      // master drops it for silence, haHousekeepingInterval later.)
      const bool cut = Pump(*slave, *master);
      if (cut && reorder_) old_ = std::move(*master);
      else old_.Close();
    }
  }
  // reorder: up to a quarter of cut_every_ of the old connection's bytes
  // go to the slave's new connection, then the old one closes.
  bool ForwardStale(Fd& slave, std::vector<uint8_t>& buf, int64_t& sent) {
    auto n = ReadSome(old_, buf, "old master");
    if (!n.ok() || *n == 0 || sent >= cut_every_ / 4) {
      old_.Close();
      return true;
    }
    sent += static_cast<int64_t>(*n);
    stale_.fetch_add(static_cast<int64_t>(*n));
    return SendAll(slave, std::span<const uint8_t>(buf.data(), *n));
  }
  // Until either side closes, the cut, or stop; true: the cut.
  bool Pump(Fd& slave, Fd& master) {
    int64_t down = 0, stale = 0;
    std::vector<uint8_t> buf(piece_);
    while (!stop_) {
      pollfd p[3] = {{slave.get(), POLLIN, 0}, {master.get(), POLLIN, 0}, {old_.valid() ? old_.get() : -1, POLLIN, 0}};
      if (::poll(p, 3, 20) < 0) return false;
      if (p[2].revents && !ForwardStale(slave, buf, stale)) return false;
      if (p[0].revents) {
        auto n = ReadSome(slave, buf, "slave");
        if (!n.ok() || !SendAll(master, std::span<const uint8_t>(buf.data(), *n))) return false;
      }
      if (p[1].revents) {
        auto n = ReadSome(master, buf, "master");
        if (!n.ok()) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms_));
        if (!SendAll(slave, std::span<const uint8_t>(buf.data(), *n))) return false;
        down += static_cast<int64_t>(*n);
        if (cut_every_ > 0 && down >= cut_every_) {
          cuts_.fetch_add(1);
          return true;  // the slave's socket closes (and the master's, unless reorder): a cut mid-frame
        }
      }
    }
    return false;
  }
  bool SendAll(Fd& fd, std::span<const uint8_t> bytes) {
    size_t done = 0;
    for (int i = 0; i < 5000 && done < bytes.size(); ++i) {
      auto n = WriteSome(fd, bytes.subspan(done), "peer");
      if (!n.ok()) return false;
      done += *n;
      if (*n == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return done == bytes.size();
  }

  const int master_port_;
  const size_t piece_;
  const int delay_ms_;
  const int64_t cut_every_;
  const bool reorder_;
  Fd listener_;
  Fd old_;  // reorder: the previous master connection, still delivering
  std::atomic<int64_t> stale_{0};
  std::atomic<bool> stop_{false};
  std::atomic<int> cuts_{0};
  std::thread thread_;
};

TEST(HaProxyTest, SlaveSurvivesDelaysSmallPiecesAndCuts) {
  SetLogSink({});
  test::TempDir tmp;
  StoreConfig mc = test::MasterConfig(tmp.path() + "/master");
  mc.haTransferWholeHistory = true;
  mc.haTransferBatchSize = 4096;
  auto master = test::OpenStore(mc);
  ASSERT_TRUE(master);
  for (const PutResult& r : test::PutSome(*master, 150)) ASSERT_TRUE(r.ok());
  Proxy proxy(master->ha_port(), 333, 1, 20000);
  StoreConfig sc = test::SlaveConfig(tmp.path() + "/slave", proxy.port());
  auto slave = test::OpenStore(sc);
  ASSERT_TRUE(slave);
  for (const PutResult& r : test::PutSome(*master, 100, 150)) ASSERT_TRUE(r.ok());
  ASSERT_TRUE(test::WaitUntil([&] { return test::CaughtUp(*master, *slave); }, 30000))
      << slave->commit_log().WroteOffset() << " of " << master->commit_log().MaxOffset() << ": "
      << slave->Stats().replication.error;
  EXPECT_GT(proxy.cuts(), 2) << "the stream was cut several times";
  EXPECT_GT(slave->Stats().replication.reconnects, 2u);
  test::ExpectSameLog(*master, *slave);
  test::WaitDispatched(*slave);
  EXPECT_EQ(slave->GetMaxOffsetInQueue("TopicHA", 1), master->GetMaxOffsetInQueue("TopicHA", 1));
}

// Each reconnect meets the old connection's frames first: they start at
// offsets the slave already has, or mid-frame, where their bytes can read
// as a header announcing a large body (which must then complete within
// haHousekeepingInterval) or as a heartbeat below the slave's end (not a
// divergence notice unless alone before the master closes). Either way the
// connection is dropped, nothing of them is appended and nothing is cut;
// the slave still converges.
TEST(HaProxyTest, StaleFramesOfAnOldConnectionAfterAReconnectAppendNothingWrong) {
  SetLogSink({});
  test::TempDir tmp;
  StoreConfig mc = test::MasterConfig(tmp.path() + "/master");
  mc.haTransferWholeHistory = true;
  mc.haTransferBatchSize = 4096;
  auto master = test::OpenStore(mc);
  ASSERT_TRUE(master);
  for (const PutResult& r : test::PutSome(*master, 60)) ASSERT_TRUE(r.ok());
  Proxy proxy(master->ha_port(), 500, 0, 20000, /*reorder=*/true);
  StoreConfig sc = test::SlaveConfig(tmp.path() + "/slave", proxy.port());
  auto slave = test::OpenStore(sc);
  ASSERT_TRUE(slave);
  for (const PutResult& r : test::PutSome(*master, 60, 60)) ASSERT_TRUE(r.ok());
  ASSERT_TRUE(test::WaitUntil([&] { return test::CaughtUp(*master, *slave); }, 60000))
      << slave->commit_log().WroteOffset() << " of " << master->commit_log().MaxOffset() << ": "
      << slave->Stats().replication.error;
  EXPECT_GT(proxy.cuts(), 1);
  EXPECT_GT(proxy.stale_bytes(), 0) << "stale frames reached a new connection";
  test::ExpectSameLog(*master, *slave);
  test::WaitDispatched(*slave);
  for (int q = 0; q < 3; ++q) EXPECT_EQ(slave->GetMaxOffsetInQueue("TopicHA", q), master->GetMaxOffsetInQueue("TopicHA", q));
}

size_t ThreadCount() {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/task")) ++n;
  return n;
}

// A master and a slave opened, replicating through cuts, and closed several
// times: the process has as many threads afterwards as before.
TEST(HaProxyTest, NoThreadOutlivesReplicatingStores) {
  SetLogSink({});
  // ThreadSanitizer starts a thread of its own at the process's first
  // pthread_create; one short thread first keeps it out of the count.
  std::thread([] {}).join();
  const size_t before = ThreadCount();
  for (int round = 0; round < 3; ++round) {
    test::TempDir tmp;
    StoreConfig mc = test::MasterConfig(tmp.path() + "/master");
    mc.haTransferWholeHistory = true;
    mc.brokerRole = BrokerRole::kSyncMaster;
    mc.haTransferBatchSize = 4096;  // frames smaller than the proxy's cut
    auto master = test::OpenStore(mc);
    ASSERT_TRUE(master);
    test::PutSome(*master, 20);
    {
      Proxy proxy(master->ha_port(), 700, 0, 16000);
      auto slave = test::OpenStore(test::SlaveConfig(tmp.path() + "/slave", proxy.port()));
      ASSERT_TRUE(slave);
      test::PutSome(*master, 40, 20);
      ASSERT_TRUE(test::WaitUntil([&] { return test::CaughtUp(*master, *slave); }, 20000))
          << slave->commit_log().WroteOffset() << " of " << master->commit_log().WroteOffset() << ", ack "
          << master->Stats().replication.slave_ack_offset << ": " << slave->Stats().replication.error;
      EXPECT_GT(ThreadCount(), before);
      ASSERT_TRUE(slave->Shutdown().ok());
    }
    ASSERT_TRUE(master->Shutdown().ok());
  }
  EXPECT_TRUE(test::WaitUntil([&] { return ThreadCount() == before; }, 2000))
      << ThreadCount() << " threads after, " << before << " before";
}

// A master that announces a frame as big as allowed and then sends garbage,
// connection after connection: the slave holds at most one frame and one
// read of it, appends nothing, and keeps reconnecting.
TEST(HaProxyTest, SlaveFedGarbageHoldsAtMostOneFrame) {
  SetLogSink({});
  test::TempDir tmp;
  StoreConfig sc = test::SlaveConfig(tmp.path() + "/slave", 1);
  sc.haMasterAddress.clear();  // the client below replicates instead
  auto slave = test::OpenStore(sc);
  ASSERT_TRUE(slave);
  test::FakeMaster fake;
  HaSlaveOptions o;
  o.master_address = "127.0.0.1:" + std::to_string(fake.port());
  o.reconnect_wait_ms = 10;
  o.max_frame_body = 64 * 1024;
  HaClient client(slave->commit_log(), o);
  client.Start();
  std::mt19937 rng(11);
  std::vector<uint8_t> junk(1 << 20);
  for (int round = 0; round < 4; ++round) {
    ASSERT_TRUE(fake.Accept()) << round;
    std::vector<uint8_t> header(kHaHeaderSize);
    EncodeHaHeader({0, o.max_frame_body}, header.data());
    fake.Send(header);
    for (auto& b : junk) b = static_cast<uint8_t>(rng());
    fake.Send(junk);  // stops once the slave closes
    EXPECT_TRUE(fake.SlaveClosed());
    fake.Drop();
  }
  client.Stop();
  EXPECT_EQ(slave->commit_log().WroteOffset(), 0) << "nothing appended";
  EXPECT_GT(client.Stats().reconnects, 2u);
  const size_t bound = kHaHeaderSize + static_cast<size_t>(o.max_frame_body) + 64 * 1024;
  EXPECT_GT(client.buffered_peak(), 0u);
  EXPECT_LE(client.buffered_peak(), bound) << "more than one frame and one read was held";
}

}  // namespace
}  // namespace mqstore
