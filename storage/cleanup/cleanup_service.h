// CleanupService: keeps a long-running store inside its disk (RocketMQ's
// CleanCommitLogService + CleanConsumeQueueService; docs/operations.md). Every
// cleanResourceInterval, on its own thread (mq-cleanup), one round:
//
//   1. decide (cleanup_policy.h) from the local hour, the disk use of the
//      commit-log and consume-queue partitions and any manual request;
//      set or clear the disk-full mark (puts are refused while it is set);
//   2. the hard limits, unpaced: while the log holds more than
//      maxStoreSizeBytes, delete its oldest segment ("size"); while a
//      partition is above diskSpaceCleanForciblyRatio, delete the oldest
//      and weigh the disk again ("forced");
//   3. expiry, paced as RocketMQ paces it: delete expired segments oldest
//      first, never the newest, at most deleteFileBatchMax,
//      deleteCommitLogFilesInterval apart, stopping at the first that must
//      stay;
//   4. if the log's min offset moved: delete consume-queue files whose last
//      unit points below it (deleteConsumeQueueFilesInterval after each
//      queue that lost files, unless the round deleted for a hard limit),
//      correct every queue's min offset, delete index files whose
//      endPhyOffset is below it;
//   5. let go of deleted files no reader holds, release forcibly those held
//      past destroyMapedFileIntervalForcibly (retired_files.h).
//
// A writer fills a small limit in far less than a round, so the hard
// limits are also kept between rounds: the commit log reports each new
// segment and each full segment made durable (CommitLogEvents, routed by
// MessageStore to WakeForLimits) and the thread runs a limit round
// at once (steps 1, 2, 4 unpaced and 5); a pause of step 3 or 4 is cut
// short for it. So the log stays within maxStoreSizeBytes plus the segments
// that cannot go yet: the one being written and those not yet flushed (and
// the allocator's spare), give or take what the writer adds while the
// woken thread waits for a CPU.
//
// Every deletion is logged with its reason and counted. Time (the wall
// clock for file ages, the local hour, the round interval, the pauses
// between deletions) is the Env's Clock and the disk use a DiskUseProbe,
// so tests run every rule with a FakeClock and fake fullness.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "storage/cleanup/cleanup_policy.h"
#include "storage/log/commit_log.h"
#include "storage/queue/consume_queue_store.h"
#include "storage/index/index_service.h"
#include "storage/io/env.h"
#include "storage/log/retired_files.h"
#include "mqstore/disk_use_probe.h"
#include "mqstore/stats.h"  // CleanupStats

namespace mqstore {

// statvfs through `fs` (FileSystem::SpaceOf) of the nearest directory of
// `dir` that exists.
DiskUseProbe SystemDiskUse(FileSystem& fs);

struct CleanupOptions {
  CleanupPolicy policy;
  int64_t interval_ms = 10000;             // cleanResourceInterval
  int64_t delete_interval_ms = 100;        // deleteCommitLogFilesInterval
  int64_t queue_delete_interval_ms = 100;  // deleteConsumeQueueFilesInterval
  int64_t force_release_ms = 120000;       // destroyMapedFileIntervalForcibly
  int32_t manual_rounds = 20;              // manualDeleteFileSeveralTimes
  std::string commit_log_dir;              // whose partition is weighed
  std::string queue_dir;
  static Result<CleanupOptions> From(const StoreConfig& config, const std::string& commit_log_dir,
                                     const std::string& queue_dir);
};

class CleanupService {
 public:
  // `index` may be null (messageIndexEnable=false).
  CleanupService(const Env& env, CommitLog& log, ConsumeQueueStore& queues, IndexService* index,
                 CleanupOptions options, DiskUseProbe disk_used);
  ~CleanupService();
  CleanupService(const CleanupService&) = delete;
  CleanupService& operator=(const CleanupService&) = delete;

  // The mq-cleanup thread: a round every interval, the first after one
  // interval; a limit round at once (a store opened past its limits gets
  // back under them) and whenever WakeForLimits is called.
  void Start();
  void Stop();
  // One round on the calling thread (tests, or an embedder's own scheduler).
  Status RunOnce();
  // Only the hard limits (maxStoreSizeBytes, the forcing ratio), unpaced,
  // then the queue and index files they freed, on the calling thread.
  Status RunLimitsOnce();
  // The log grew (or a full segment became durable): the thread runs a
  // limit round as soon as it can. Called on the put and flush paths once
  // per segment: while a wake-up is pending it is one atomic exchange.
  void WakeForLimits();

  // executeDeleteFilesManually: the next manualDeleteFileSeveralTimes
  // rounds delete expired segments whatever the hour and disk.
  void RequestManualDelete() { manual_rounds_left_.store(options_.manual_rounds, std::memory_order_release); }

  // True from a round's first segment deletion to the round's end, queue
  // and index files included (benchmarks split put latency by it).
  bool deleting() const { return deleting_.load(std::memory_order_relaxed); }
  // Set while the disk is past diskSpaceWarningLevelRatio; why, in words.
  bool disk_full() const { return disk_full_.load(std::memory_order_acquire); }
  std::string disk_full_reason() const;
  CleanupStats Stats() const;

 private:
  void Loop();
  bool TakeManualRound();
  CleanupDecision DecideNow(int64_t now);
  Status EnforceLimits(CleanupDecision& d, int64_t now, bool& deleted);
  Status DeleteExpired(CleanupDecision& d, int64_t now, bool& hard_deleted);
  Status DeleteOne(const std::shared_ptr<Segment>& s, DeleteReason reason, int64_t mtime, int64_t now);
  Status CleanQueuesAndIndex(int64_t log_min, int64_t now, bool paced);
  void Sweep(int64_t now);
  Status EndRound(Status st, bool limit_round);
  void Pause(int64_t ms);  // cut short by Stop and by WakeForLimits
  bool StopRequested();

  FileSystem& fs_;
  CommitLog& log_;
  ConsumeQueueStore& queues_;
  IndexService* index_;
  Clock& clock_;
  const CleanupOptions options_;
  DiskUseProbe disk_used_;
  RetiredFiles retired_;

  std::atomic<int32_t> manual_rounds_left_{0};
  std::atomic<bool> disk_full_{false};
  std::atomic<bool> deleting_{false};
  std::atomic<bool> wake_pending_{false};  // the log grew since the last limit check
  // Log min offset the queues were last cleaned for (under round_mu_); at
  // 0 nothing is below it.
  int64_t cleaned_below_ = 0;
  bool round_manual_ = false;   // this round is a manual one (under round_mu_)

  mutable std::mutex mu_;  // guards stats_, disk_full_reason_; the round runs one at a time under round_mu_
  std::mutex round_mu_;
  CleanupStats stats_;
  std::string disk_full_reason_;

  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace mqstore
