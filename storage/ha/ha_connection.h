// HaConnection: the master's side of one slave (RocketMQ's HAConnection),
// on one thread that both reads the slave's offset reports and writes
// frames of commit-log bytes, through poll().
//
// Reports: the last complete 8-byte value of what arrived is the slave's
// ack; the first one ever is where the transfer starts: 0 means the start
// of the file holding the master's max offset (4.9.8; `whole_history`:
// the log's first byte instead), anything else that offset. A report past
// the master's max offset closes the connection (4.9.8, apache/rocketmq
// #3015): the slave holds bytes this master never had (diverged); before
// closing, a heartbeat naming the master's end is sent, so an mqstore slave
// can say exactly what diverged.
//
// Frames: {offset, size, bytes} of committed bytes from one commit-log file
// only (a frame never crosses a file), at most `transfer_batch_size` bytes;
// a heartbeat {next, 0} after `heartbeat_interval_ms` without a write. A
// slave silent for `housekeeping_interval_ms` is dropped, and so is one
// that stops reading: the unsent frame is the only buffer (bounded).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "storage/ha/ha_socket.h"
#include "storage/log/commit_log.h"

namespace mqstore {

struct HaMasterOptions {
  int32_t listen_port = 10912;             // haListenPort (0: the OS picks)
  int32_t transfer_batch_size = 32 * 1024;  // haTransferBatchSize
  int64_t heartbeat_interval_ms = 5000;    // haSendHeartbeatInterval
  int64_t housekeeping_interval_ms = 20000;  // haHousekeepingInterval
  bool whole_history = false;              // haTransferWholeHistory (mqstore)
};

class HaConnection {
 public:
  // `on_ack` runs on the connection's thread with each report.
  HaConnection(Fd fd, std::string peer, const CommitLog& log, const HaMasterOptions& options,
               std::function<void(int64_t)> on_ack);
  ~HaConnection();
  HaConnection(const HaConnection&) = delete;
  HaConnection& operator=(const HaConnection&) = delete;

  void Start();
  void Stop();  // closes and joins
  bool done() const { return done_.load(std::memory_order_acquire); }
  int64_t ack() const { return ack_.load(std::memory_order_acquire); }
  const std::string& peer() const { return peer_; }
  // Why the connection ended ("" while it runs).
  std::string error() const;
  bool diverged() const { return diverged_.load(std::memory_order_acquire); }
  // New bytes may be readable: send them now rather than after the 100 ms
  // idle wait (SYNC_MASTER puts, at their append). A system call only when
  // the thread sleeps with nothing to send: a put whose bytes the thread
  // will reach anyway costs an atomic exchange.
  void Wake() const;

 private:
  void Run();
  Status Loop();
  Status ReadReports();
  // The poll's timeout: 0 when a Wake came since the last look (a put
  // appended after the last frame was made, and found the thread busy),
  // else the idle wait.
  int SleepMs();
  // Fills out_ with the next frame (data, or a heartbeat when due).
  void NextFrame(int64_t now_ms);
  int64_t StartOffset(int64_t requested) const;

  Fd fd_;
  const std::string peer_;
  const CommitLog& log_;
  const HaMasterOptions options_;
  const std::function<void(int64_t)> on_ack_;
  WakeFd wake_;

  std::vector<uint8_t> in_;   // report bytes not yet a whole value (< 8)
  bool slave_left_ = false;   // the slave closed its end at a report's boundary
  std::vector<uint8_t> out_;  // the frame being written
  size_t out_done_ = 0;
  int64_t next_ = -1;          // the next offset to send; -1 until the first report
  int64_t requested_ = -1;     // the first report
  int64_t last_read_ms_ = 0, last_write_ms_ = 0;
  uint64_t wakes_seen_ = 0;    // `wakes_` at SleepMs's last look

  std::atomic<int64_t> ack_{-1};
  std::atomic<bool> stop_{false}, done_{false}, diverged_{false};
  mutable std::atomic<bool> idle_{false};  // polling with nothing to send
  mutable std::atomic<uint64_t> wakes_{0};  // Wake calls so far
  mutable std::mutex error_mu_;
  std::string error_;
  std::thread thread_;
};

}  // namespace mqstore
