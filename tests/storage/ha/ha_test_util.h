// Helpers for the replication tests: stores that replicate over loopback,
// byte comparison of two commit logs, and a fake peer speaking the wire
// format by hand.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include <sys/socket.h>

#include "format/ha_frame.h"
#include "storage/ha/ha_socket.h"
#include "storage/message_store.h"
#include "tests/storage/engine_test_util.h"

namespace mqstore::test {

// Polls `ready` for up to `ms` milliseconds.
inline bool WaitUntil(const std::function<bool()>& ready, int ms = 10000) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < end) {
    if (ready()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return ready();
}

inline StoreConfig MasterConfig(const std::string& root) {
  StoreConfig c = SmallStoreConfig(root);
  c.haServiceEnable = true;
  c.haListenPort = 0;
  c.haSendHeartbeatInterval = 200;
  c.haHousekeepingInterval = 5000;
  return c;
}

inline StoreConfig SlaveConfig(const std::string& root, int master_port) {
  StoreConfig c = SmallStoreConfig(root);
  c.brokerRole = BrokerRole::kSlave;
  c.haMasterAddress = "127.0.0.1:" + std::to_string(master_port);
  c.haSendHeartbeatInterval = 200;
  c.haHousekeepingInterval = 5000;
  return c;
}

inline std::unique_ptr<MessageStore> OpenStore(const StoreConfig& c) {
  auto store = MessageStore::Open(c);
  EXPECT_TRUE(store.ok()) << store.error().ToString();
  return store.ok() ? std::move(*store) : nullptr;
}

inline std::vector<PutResult> PutSome(MessageStore& store, int n, int first = 0) {
  std::vector<PutResult> out;
  for (int i = first; i < first + n; ++i) {
    OwnedMessage m("TopicHA", i % 3, 200 + (i * 13) % 700, "k" + std::to_string(i));
    out.push_back(store.Put(m.message()));
  }
  return out;
}

// The commit-log bytes of [from, to) as a store's log holds them.
inline std::vector<uint8_t> LogBytes(CommitLog& log, int64_t from, int64_t to) {
  std::vector<uint8_t> out;
  for (int64_t at = from; at < to;) {
    auto view = log.Read(at, to - at);
    if (!view.ok()) break;
    out.insert(out.end(), view->bytes.begin(), view->bytes.end());
    at += static_cast<int64_t>(view->bytes.size());
  }
  return out;
}

// The slave's log holds exactly the master's bytes from the slave's start.
inline void ExpectSameLog(MessageStore& master, MessageStore& slave) {
  // The write backend shows bytes to readers once they are committed.
  ASSERT_TRUE(master.Flush().ok());
  ASSERT_TRUE(slave.Flush().ok());
  const int64_t from = slave.commit_log().MinOffset();
  const int64_t end = master.commit_log().MaxOffset();
  ASSERT_EQ(slave.commit_log().WroteOffset(), end);
  const auto want = LogBytes(master.commit_log(), from, end);
  const auto got = LogBytes(slave.commit_log(), from, end);
  ASSERT_EQ(want.size(), static_cast<size_t>(end - from));
  size_t first_diff = 0;
  while (first_diff < std::min(want.size(), got.size()) && want[first_diff] == got[first_diff]) ++first_diff;
  EXPECT_TRUE(want == got) << "the slave's log differs from the master's in [" << from << ", " << end
                           << "), first at " << from + static_cast<int64_t>(first_diff) << " (slave read "
                           << got.size() << " bytes)";
}

// Everything the master appended (committed or not yet) is on the slave,
// and acknowledged.
inline bool CaughtUp(MessageStore& master, MessageStore& slave) {
  const int64_t end = master.commit_log().WroteOffset();
  return end > 0 && slave.commit_log().WroteOffset() == end && master.Stats().replication.slave_ack_offset == end;
}

// A fake master: accepts one slave and speaks the wire format by hand.
class FakeMaster {
 public:
  FakeMaster() {
    auto l = ListenTcp(0);
    EXPECT_TRUE(l.ok());
    if (l.ok()) listener_ = std::move(*l);
  }
  int port() const { return LocalPort(listener_); }
  // The connections accepted from now on get the smallest receive buffer:
  // a slave's reports fill it within a few dozen when they are not read.
  void ShrinkReceiveBuffer() {
    const int one = 1;
    (void)setsockopt(listener_.get(), SOL_SOCKET, SO_RCVBUF, &one, sizeof one);
  }
  // Accepts the slave and reads its first report.
  bool Accept(int64_t* first_report = nullptr) {
    for (int i = 0; i < 500 && !conn_.valid(); ++i) {
      auto fd = AcceptTcp(listener_, nullptr);
      if (fd.ok() && fd->valid()) conn_ = std::move(*fd);
      else std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (!conn_.valid()) return false;
    const int64_t r = ReadReport();
    if (first_report) *first_report = r;
    return r >= 0;
  }
  // The latest report within 3 s (-1: none).
  int64_t ReadReport() {
    std::vector<uint8_t> got;
    int64_t last = -1;
    for (int i = 0; i < 300; ++i) {
      uint8_t buf[256];
      auto n = ReadSome(conn_, buf, "slave");
      if (!n.ok()) return last;
      got.insert(got.end(), buf, buf + *n);
      const HaReports r = DecodeHaReports(got);
      if (r.last) return *r.last;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return last;
  }
  void Send(std::span<const uint8_t> bytes) {
    size_t done = 0;
    for (int i = 0; i < 1000 && done < bytes.size(); ++i) {
      auto n = WriteSome(conn_, bytes.subspan(done), "slave");
      if (!n.ok()) return;
      done += *n;
      if (*n == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  void SendFrame(int64_t offset, std::span<const uint8_t> body) {
    std::vector<uint8_t> f(kHaHeaderSize);
    EncodeHaHeader({offset, static_cast<int32_t>(body.size())}, f.data());
    f.insert(f.end(), body.begin(), body.end());
    Send(f);
  }
  // Whether the slave closed the connection (reads until EOF or 3 s).
  bool SlaveClosed() {
    for (int i = 0; i < 300; ++i) {
      uint8_t buf[256];
      auto n = ReadSome(conn_, buf, "slave");
      if (!n.ok()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
  // Whether the slave closed the connection, by one read now (what the
  // slave reported meanwhile is discarded).
  bool ClosedNow() {
    uint8_t buf[4096];
    auto n = ReadSome(conn_, buf, "slave");
    return !n.ok();
  }
  void Drop() { conn_.Close(); }

 private:
  Fd listener_;
  Fd conn_;
};

}  // namespace mqstore::test
