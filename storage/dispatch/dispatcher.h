// Dispatcher: turns the commit log into consume queues and indexes
// (RocketMQ's ReputMessageService).
//
//   commit log  ... | dispatched | not yet dispatched | ...
//                   ^reput       ^DispatchEnd(): FlushedOffset() with
//                                 SYNC_FLUSH (consumers never see what a
//                                 crash can take back), else MaxOffset()
//
// Records from the reput offset on are read in batches (CommitLogBatchReader:
// up to 64 whole records per pread), each decoded once into a
// DispatchRequest, and every batch is handed to every sink in the order they
// were added: the consume-queue builder, the index builder, then any sink an
// embedder adds (statistics, a replication sender). Blank records jump to
// the next segment. A record that does not decode stops dispatch at its
// offset and is reported (Stats().error); nothing is skipped silently. A
// sink that fails stops dispatch at the record it failed on (see
// DispatchSink::DispatchBatch).
//
// After each round that dispatched something, waiting readers are woken: the
// arrival listener is called per record (topic, queue, new max offset,
// tagsCode, store time), the eventfd becomes readable, and WaitFor()
// callers re-check their condition.
//
// It runs on its own thread (Start) or is driven by an embedder through
// DispatchOnce() from its own; one of the two, not both.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "storage/dispatch/dispatch_request.h"
#include "storage/dispatch/dispatch_sink.h"
#include "mqstore/stats.h"  // DispatcherStats
#include "storage/io/clock.h"
#include "storage/log/commit_log.h"
#include "storage/log/commit_log_batch_reader.h"

namespace mqstore {

struct DispatcherOptions {
  bool only_flushed = false;                // SYNC_FLUSH
  std::vector<int64_t> delay_level_millis;  // messageDelayLevel, for SCHEDULE_TOPIC_XXXX tagsCode
  int64_t max_bytes_per_round = 8 << 20;    // the thread's rounds
  std::chrono::milliseconds idle_wait{1};   // the thread's sleep when caught up (RocketMQ: 1 ms)
};

class Dispatcher {
 public:
  // WaitFor's timeout is `clock`'s time (long polling); the thread's idle
  // wait is a real-time poll, see Run().
  Dispatcher(const CommitLog& log, Clock& clock, DispatcherOptions options);
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Before Start() or the first DispatchOnce(); sinks must outlive it.
  void AddSink(DispatchSink& sink) { sinks_.push_back(&sink); }
  void SetArrivalListener(ArrivalListener listener) { arrival_ = std::move(listener); }
  void SetReputOffset(int64_t offset);

  int64_t reput_offset() const { return reput_.load(std::memory_order_acquire); }
  int64_t DispatchEnd() const;
  int64_t Lag() const { return std::max<int64_t>(0, DispatchEnd() - reput_offset()); }

  struct Progress {
    uint64_t records = 0;
    int64_t bytes = 0;
    bool caught_up = false;  // reached DispatchEnd()
  };
  // Dispatches up to about `max_bytes` of records. An error names the
  // record's file and offset; the reput offset stays on it.
  Result<Progress> DispatchOnce(int64_t max_bytes);
  // DispatchOnce until caught up or an error.
  Status CatchUp();

  void Start();
  void Stop();

  // Readable (an eventfd counter) after every round that dispatched
  // something; an embedder's event loop polls it and reads it to reset.
  int event_fd() const { return event_fd_; }
  // Blocks until `ready()` holds (checked now and after each dispatch
  // round) or `timeout` passes; returns ready().
  bool WaitFor(const std::function<bool()>& ready, std::chrono::milliseconds timeout);

  DispatcherStats Stats() const;

 private:
  // Hands requests_ to the sinks; returns how many every sink took, with
  // the failure that stopped one in `failed`.
  size_t DispatchBatch(Status& failed);
  void NotifyArrivals(size_t n);
  void Notify();
  void Run();
  void SetError(const Status& st);

  const CommitLog& log_;
  Clock& clock_;
  const DispatcherOptions options_;
  std::vector<DispatchSink*> sinks_;
  ArrivalListener arrival_;

  std::mutex round_mu_;  // one DispatchOnce at a time; guards reader_ and requests_
  CommitLogBatchReader reader_;
  std::vector<DispatchRequest> requests_;  // the batch being dispatched
  std::atomic<int64_t> reput_{0};
  std::atomic<uint64_t> records_{0}, rounds_{0};

  mutable std::mutex error_mu_;
  std::string error_;

  int event_fd_ = -1;
  std::mutex wait_mu_;  // guards the conditions of wait_cv_ and stop_cv_
  std::condition_variable wait_cv_;  // WaitFor callers
  std::atomic<int> waiters_{0};
  std::condition_variable stop_cv_;  // ends the thread's idle wait on Stop
  std::atomic<bool> running_{false};
  std::thread thread_;
};

}  // namespace mqstore
