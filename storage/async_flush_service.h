// AsyncFlushService (RocketMQ's FlushRealTimeService, ASYNC_FLUSH): a thread
// that every flushIntervalCommitLog ms commits and fdatasyncs the commit log
// once flushCommitLogLeastPages pages are dirty, and everything at least
// every flushCommitLogThoroughInterval ms; then records the flushed store
// time in the checkpoint (written at most once a second, as 5.x does).
// Step 3 replaces it with the io_uring FlushService.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "storage/commit_log.h"
#include "storage/store_checkpoint.h"

namespace mqstore {

class AsyncFlushService {
 public:
  struct Options {
    int interval_ms = 500;            // flushIntervalCommitLog
    int least_pages = 4;              // flushCommitLogLeastPages
    int thorough_interval_ms = 10000; // flushCommitLogThoroughInterval
    bool timed = true;                // flushCommitLogTimed: sleep, ignoring wake-ups
  };

  AsyncFlushService(CommitLog& log, StoreCheckpoint& checkpoint, Options options);
  ~AsyncFlushService();

  void Start();
  // Stops the thread after flushing everything (up to 10 tries, as RocketMQ).
  Status Stop();
  // Cuts the current wait short (ignored when `timed`).
  void Wakeup();
  // Flushes everything now, from the caller's thread, and the checkpoint.
  Status FlushAll();

  uint64_t flushes() const { return flushes_.load(std::memory_order_relaxed); }

 private:
  void Run();
  Status FlushOnce(int least_pages, bool force_checkpoint);

  CommitLog& log_;
  StoreCheckpoint& checkpoint_;
  const Options options_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool woken_ = false;
  std::thread thread_;
  std::mutex flush_once_mu_;  // guards last_checkpoint_
  std::chrono::steady_clock::time_point last_checkpoint_{};
  std::atomic<uint64_t> flushes_{0};
};

}  // namespace mqstore
