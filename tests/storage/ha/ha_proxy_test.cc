// Replication through a loopback proxy that delays the stream, hands it on
// in small pieces and cuts connections: the slave reconnects each time,
// resumes at its own end, and ends byte-identical to the master.
#include <gtest/gtest.h>

#include <atomic>
#include <poll.h>

#include "storage/store_log.h"
#include "tests/storage/ha/ha_test_util.h"
#include "tests/support/golden.h"

namespace mqstore {
namespace {

// Forwards one connection at a time between a slave and the master.
class Proxy {
 public:
  Proxy(int master_port, size_t piece, int delay_ms, int64_t cut_every)
      : master_port_(master_port), piece_(piece), delay_ms_(delay_ms), cut_every_(cut_every) {
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
      Pump(*slave, *master);
    }
  }
  // Until either side closes, the cut, or stop.
  void Pump(Fd& slave, Fd& master) {
    int64_t down = 0;
    std::vector<uint8_t> buf(piece_);
    while (!stop_) {
      pollfd p[2] = {{slave.get(), POLLIN, 0}, {master.get(), POLLIN, 0}};
      if (::poll(p, 2, 20) < 0) return;
      if (p[0].revents) {
        auto n = ReadSome(slave, buf, "slave");
        if (!n.ok() || !SendAll(master, std::span<const uint8_t>(buf.data(), *n))) return;
      }
      if (p[1].revents) {
        auto n = ReadSome(master, buf, "master");
        if (!n.ok()) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms_));
        if (!SendAll(slave, std::span<const uint8_t>(buf.data(), *n))) return;
        down += static_cast<int64_t>(*n);
        if (cut_every_ > 0 && down >= cut_every_) {
          cuts_.fetch_add(1);
          return;  // both sockets close: a cut mid-frame
        }
      }
    }
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
  Fd listener_;
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

}  // namespace
}  // namespace mqstore
