// HaService: the master side of replication (RocketMQ's HAService): a
// listener on haListenPort, one HaConnection per slave, and the furthest
// offset any slave acknowledged (push2SlaveMaxOffset), which SYNC_MASTER
// puts wait on (ReplicaWaiter) and IsSlaveOk judges.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "mqstore/stats.h"
#include "storage/ha/ha_connection.h"

namespace mqstore {

class HaService {
 public:
  // `on_ack` runs on a connection thread whenever the furthest ack grows.
  HaService(const CommitLog& log, HaMasterOptions options, std::function<void(int64_t)> on_ack = {});
  ~HaService();
  HaService(const HaService&) = delete;
  HaService& operator=(const HaService&) = delete;

  // Listens (an error names the port) and starts the accept thread.
  Status Start();
  // Closes the listener and every connection; joins their threads.
  void Stop();
  int port() const { return port_; }

  // 4.9.8's isSlaveOK: at least one slave is connected and the furthest ack
  // is less than `fallbehind_max` bytes behind `master_put_where`.
  bool IsSlaveOk(int64_t master_put_where, int64_t fallbehind_max) const;
  int64_t slave_ack_offset() const { return push_max_.load(std::memory_order_acquire); }
  size_t connections() const;
  // Wakes every connection's writer: new bytes are there (SYNC_MASTER).
  void WakeAll() const;

  ReplicationStats Stats() const;

 private:
  void AcceptLoop();
  void OnAck(int64_t offset);
  void Reap(bool all);

  const CommitLog& log_;
  const HaMasterOptions options_;
  const std::function<void(int64_t)> on_ack_;
  Fd listener_;
  int port_ = 0;
  WakeFd wake_;

  mutable std::mutex mu_;  // guards conns_, last_error_, diverged_
  std::vector<std::unique_ptr<HaConnection>> conns_;
  std::string last_error_;
  bool diverged_ = false;
  std::atomic<int64_t> push_max_{0};
  std::atomic<int64_t> caught_up_ms_{0};  // the last time the ack reached the log's end
  std::atomic<uint64_t> dropped_{0};
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
};

}  // namespace mqstore
