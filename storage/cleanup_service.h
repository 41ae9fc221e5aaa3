// CleanupService: keeps a long-running store inside its disk (RocketMQ's
// CleanCommitLogService + CleanConsumeQueueService, spec 7). Every
// cleanResourceInterval, on its own thread (mq-cleanup), one round:
//
//   1. decide (cleanup_policy.h) from the local hour, the disk use of the
//      commit-log and consume-queue partitions and any manual request;
//      set or clear the disk-full mark (puts are refused while it is set);
//   2. delete commit-log segments oldest first, never the newest, at most
//      deleteFileBatchMax, deleteCommitLogFilesInterval apart, stopping at
//      the first that must stay; then beyond maxStoreSizeBytes;
//   3. if the log's min offset moved: delete consume-queue files whose last
//      unit points below it (deleteConsumeQueueFilesInterval after each
//      queue that lost files), correct every queue's min offset, delete
//      index files whose endPhyOffset is below it;
//   4. let go of deleted files no reader holds, release forcibly those held
//      past destroyMapedFileIntervalForcibly (retired_files.h).
//
// Every deletion is logged with its reason and counted. The clock, the
// local hour, the disk use and the sleep between deletions are injected
// (CleanupEnv), so tests run every rule with fake time and fake fullness.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "storage/cleanup_policy.h"
#include "storage/commit_log.h"
#include "storage/consume_queue_store.h"
#include "storage/index_service.h"
#include "storage/retired_files.h"

namespace mqstore {

struct CleanupEnv {
  std::function<int64_t()> now_ms;                      // wall clock, ms since the epoch
  std::function<int(int64_t ms)> local_hour;            // 0-23 at that time
  std::function<double(const std::string& dir)> disk_used;  // fraction of the partition; < 0 unknown
  std::function<void(int64_t ms)> sleep;                // between deletions; empty: wait, woken by Stop
  // The real clock, local time and statvfs through `fs`.
  static CleanupEnv System(FileSystem& fs);
};

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

struct CleanupStats {
  uint64_t rounds = 0;
  std::array<uint64_t, kDeleteReasons> segments_deleted{};  // by DeleteReason
  uint64_t bytes_deleted = 0;             // commit-log segment bytes
  uint64_t queue_files_deleted = 0;
  uint64_t index_files_deleted = 0;
  uint64_t files_released_forcibly = 0;
  uint64_t files_held_by_readers = 0;     // deleted, still mapped by a reader
  uint64_t errors = 0;
  bool disk_full = false;
  double commit_log_disk_used = 0;        // as the last round saw it
  double queue_disk_used = 0;
  std::string last_error;
};

class CleanupService {
 public:
  // `index` may be null (messageIndexEnable=false).
  CleanupService(FileSystem& fs, CommitLog& log, ConsumeQueueStore& queues, IndexService* index,
                 CleanupOptions options, CleanupEnv env);
  ~CleanupService();
  CleanupService(const CleanupService&) = delete;
  CleanupService& operator=(const CleanupService&) = delete;

  void Start();  // the mq-cleanup thread: a round every interval, the first after one interval
  void Stop();
  // One round on the calling thread (tests, or an embedder's own scheduler).
  Status RunOnce();

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
  CleanupDecision DecideNow(int64_t now);
  Status DeleteSegments(const CleanupDecision& d, int64_t now);
  Status DeleteOne(const std::shared_ptr<Segment>& s, DeleteReason reason, int64_t mtime, int64_t now);
  Status CleanQueuesAndIndex(int64_t log_min, int64_t now);
  void Pause(int64_t ms);  // woken early by Stop
  bool StopRequested();

  FileSystem& fs_;
  CommitLog& log_;
  ConsumeQueueStore& queues_;
  IndexService* index_;
  const CleanupOptions options_;
  CleanupEnv env_;
  RetiredFiles retired_;

  std::atomic<int32_t> manual_rounds_left_{0};
  std::atomic<bool> disk_full_{false};
  std::atomic<bool> deleting_{false};
  int64_t cleaned_below_ = -1;  // log min offset the queues were last cleaned for (round thread)

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
