// FlushService: the one thread ("mq-flush") that moves commit-log bytes to
// disk, owning the IoQueue (io_uring, or plain calls as the fallback) that
// the syncs go through, and writing the write backend's ring by pwrite (a
// commit is waited for at once: io_uring would only add a worker's
// hand-off). It replaces RocketMQ's three services:
//
//   CommitRealTimeService  write backend: writes what the append ring holds
//                          every commitIntervalCommitLog ms, or at once when
//                          a quarter of the ring waits or a sync needs it;
//   FlushRealTimeService   ASYNC_FLUSH: every flushIntervalCommitLog ms
//                          fdatasyncs once flushCommitLogLeastPages pages are
//                          dirty, everything every
//                          flushCommitLogThoroughInterval ms; after each
//                          commit it starts write-back (sync_file_range) so
//                          the later fdatasync has little left to do;
//   GroupCommitService     SYNC_FLUSH (and puts that ask to wait): a put
//                          waits until the flushed position passes its end;
//                          one fdatasync completes every put waiting when it
//                          was issued (group commit), and the next batch is
//                          written while that sync runs. The next sync
//                          starts at once, or waits for the group just
//                          answered to come back, whichever GroupCommitPacer
//                          last measured to answer more puts per second
//                          (with the write backend a sync runs on this
//                          thread unless it overlaps with answering a group).
//
// A waiting put gives up after syncFlushTimeout with FLUSH_DISK_TIMEOUT (its
// record stays in the log and becomes durable with a later sync). After each
// flush that moved, the checkpoint's physicMsgTimestamp is updated and the
// checkpoint page is written and synced through the same queue (at most once
// a second, as RocketMQ's checkpoint flush).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "storage/io/clock.h"
#include "storage/io/io_queue.h"
#include "storage/log/commit_log.h"
#include "storage/log/group_commit_pacer.h"
#include "storage/log/latency_histogram.h"
#include "storage/log/store_checkpoint.h"
#include "mqstore/stats.h"  // FlushStats

namespace mqstore {

class FlushService {
 public:
  struct Options {
    bool sync_flush = false;               // flushDiskType == SYNC_FLUSH
    int interval_ms = 500;                 // flushIntervalCommitLog
    int least_pages = 4;                   // flushCommitLogLeastPages
    int thorough_interval_ms = 10000;      // flushCommitLogThoroughInterval
    bool timed = true;                     // flushCommitLogTimed: ignore wake-ups between intervals
    int commit_interval_ms = 200;          // commitIntervalCommitLog (write backend)
    int64_t sync_flush_timeout_ms = 5000;  // syncFlushTimeout
    bool start_writeback = true;           // ASYNC_FLUSH: sync_file_range after commits
  };

  // Deadlines and intervals are `clock`'s monotonic time; waits go through it.
  FlushService(CommitLog& log, StoreCheckpoint& checkpoint, std::unique_ptr<IoQueue> io, Clock& clock,
               Options options);
  ~FlushService();
  FlushService(const FlushService&) = delete;
  FlushService& operator=(const FlushService&) = delete;

  void Start();
  // Flushes everything (up to 10 rounds, as RocketMQ), writes the checkpoint,
  // answers every waiting put and stops the thread.
  Status Stop();

  // Blocks until the put's records are durable: the result as given, or
  // FLUSH_DISK_TIMEOUT after syncFlushTimeout, or SERVICE_NOT_AVAILABLE when
  // a sync failed or the service stopped first.
  PutResult WaitDurable(PutResult put);
  // The same without blocking: `done` runs on the flush thread once it is
  // decided (or at once from the caller when the service has stopped).
  void WaitDurableAsync(PutResult put, PutCallback done);

  // kWrite: a quarter of the append ring waits (CommitLogEvents, wired by
  // MessageStore): commit now instead of at the next commit interval.
  void CommitSoon();
  // An append happened: in ASYNC_FLUSH with flushCommitLogTimed=false, cut
  // the flush interval short (RocketMQ wakes its flush service per put).
  void OnAppend();
  // Flushes everything appended so far, and the checkpoint; returns once it
  // is durable. Runs on the flush thread when it is running.
  Status FlushAll();

  FlushStats Stats() const;

 private:
  struct Waiter;
  struct BlockingWaiter;
  struct CallbackWaiter;
  static constexpr int64_t kWritebackPage = 4096;
  static constexpr int64_t kWritebackMinBytes = 64 * 1024;  // smaller ranges wait for the next round

  void Run();
  void Wakeup(bool commit);
  bool Enqueue(Waiter* w);
  bool RemoveIfQueued(Waiter* w);
  PutResult DecideNow(PutResult put) const;
  size_t AnswerWaiters();
  void CompleteAndWake(const std::vector<Waiter*>& ws, PutStatus status, const std::string& reason);
  void AnswerAll();
  // A sync in flight: the plan and the queue's tickets for it.
  struct InflightSync {
    CommitLog::SyncPlan plan;
    IoQueue* io = nullptr;  // the queue of `tickets`
    std::vector<uint64_t> tickets;
    int64_t began_ns = 0;  // the clock's monotonic time
  };
  Status CommitRing();
  Result<bool> BeginSync(int least_pages, InflightSync& sync, IoQueue& sync_io);
  IoQueue& SyncQueue(bool answering_meanwhile);
  Status FinishSync(InflightSync& sync);
  Result<bool> FlushRound(int least_pages);
  void GroupCommit(uint64_t flush_all_ticket);
  size_t WaitersPast(int64_t flushed) const;
  void HoldForGroup(std::chrono::steady_clock::time_point synced_at);
  void StartWriteback();
  Status WriteCheckpoint();
  void MaybeWriteCheckpoint(bool moved);
  Status FlushEverything();
  static void LogIfFailed(const Status& st, const char* what);
  int64_t NowMs() const;

  CommitLog& log_;
  StoreCheckpoint& checkpoint_;
  std::unique_ptr<IoQueue> io_;  // used by the flush thread only (or, before Start / after Stop, under inline_mu_)
  // Runs each operation as it is queued, on the calling thread: the ring's
  // commits, and the group commit's syncs that nothing overlaps with, write
  // backend (SyncQueue).
  std::unique_ptr<IoQueue> blocking_io_ = NewSyncIoQueue();
  Clock& clock_;
  const Options options_;

  mutable std::mutex mu_;  // guards everything down to thread_
  std::condition_variable cv_;
  std::vector<Waiter*> waiters_;
  // Blocking puts sleep on wake_words_[answers_ % kWakeWords] as of their
  // queueing: those answered together mostly share a word, woken at once.
  static constexpr uint32_t kWakeWords = 2;
  uint64_t answers_ = 0;
  std::atomic<uint32_t> wake_words_[kWakeWords] = {};
  bool stop_ = false;
  bool running_ = false;
  bool woken_ = false;
  bool commit_now_ = false;
  size_t hold_for_ = 0;  // while the flush thread holds a group: the waiters it wants (0: not holding)
  uint64_t flush_all_requested_ = 0;
  uint64_t flush_all_done_ = 0;  // written by the flush thread only
  Status flush_all_status_;
  std::condition_variable flush_all_cv_;
  std::thread thread_;
  Status stop_status_;  // the final flush's outcome, set before running_ goes false
  std::mutex inline_mu_;

  // Flush thread only.
  int64_t last_checkpoint_ms_ = 0;
  int64_t writeback_from_ = 0;
  InflightSync current_sync_, next_sync_;
  GroupCommitPacer pacer_;

  std::atomic<uint64_t> syncs_{0}, commits_{0}, bytes_committed_{0}, waits_completed_{0}, wait_timeouts_{0},
      group_commits_{0};
  LatencyHistogram sync_latency_us_;
};

}  // namespace mqstore
