// MessageStore: what a broker embeds (RocketMQ's DefaultMessageStore): the
// commit log with its flush service (async or group-commit sync flush), the
// dispatcher that builds consume queues and index files, the consumer read
// API, the checkpoint, the abort marker and the lock file, and recovery.
//
//   auto store = MessageStore::Open(config);      // locks, recovers, starts
//   PutResult r = (*store)->Put(message);          // any thread
//   (*store)->PutAsync(message, [](PutResult r) { ... });  // never blocks on disk
//   GetMessageResult got = (*store)->GetMessage("group", "topic", 0, offset, 32);
//   (*store)->WaitForMessages("topic", 0, offset, 5s);  // long polling
//   (*store)->Shutdown();                          // flushes, removes `abort`
//
// Open order (spec 5.2): take `lock`; abnormal = `abort` exists; read the
// checkpoint; load and recover the consume queues and index files; recover
// the commit log; drop queue units and index entries past its end;
// re-dispatch what the queues and the index lack (after a crash: everything
// from the checkpoint's timestamps on; README "Recovery");
// create `abort`; start the threads. Shutdown undoes it; `abort` is removed
// only when everything was flushed and the store is still writeable, so any
// other exit makes the next open run abnormal recovery.
#pragma once

#include <atomic>
#include <chrono>
#include <future>
#include <optional>
#include <memory>
#include <span>

#include "storage/cleanup/cleanup_service.h"
#include "storage/log/commit_log.h"
#include "storage/log/commit_log_cursor.h"
#include "storage/queue/consume_queue_flush_service.h"
#include "storage/queue/consume_queue_store.h"
#include "storage/dispatch/dispatcher.h"
#include "storage/log/flush_service.h"
#include "storage/queue/get_message.h"
#include "storage/index/index_service.h"
#include "storage/io/env.h"
#include "storage/log/prefaulter.h"
#include "storage/log/store_checkpoint.h"
#include "storage/store_config.h"
#include "storage/store_layout.h"

namespace mqstore {

struct StoreStats {
  int64_t min_offset = 0;
  int64_t max_offset = 0;       // readable end
  int64_t wrote_offset = 0;
  int64_t flushed_offset = 0;
  int64_t bytes_behind = 0;     // wrote - flushed
  uint64_t puts_ok = 0;
  uint64_t puts_failed = 0;
  uint64_t messages_stored = 0;
  uint64_t bytes_stored = 0;
  uint64_t segments = 0;
  uint64_t segments_created = 0;
  bool writeable = true;
  std::string backend;  // "mmap" or "write"
  FlushStats flush;
  DispatcherStats dispatch;
  uint64_t consume_queues = 0;
  // Records in the log whose topic cannot name a directory (written by
  // another broker or an older build): no consume-queue unit (README "Topics").
  uint64_t bad_topic_records = 0;
  uint64_t tag_bitmap_bytes = 0;  // memory of the per-queue tag bitmaps
  IndexStats index;
  CleanupStats cleanup;
};

// What an embedder adds to the dispatcher, fixed at open: its sinks (called
// after the consume-queue and index builders, in this order, for every
// record, re-dispatched ones after a crash included) and the arrival
// listener (long polling: called on the dispatcher's thread, keep it short).
// Cleanup's disk-use source can be replaced too (tests; an embedder with
// its own disk accounting); unset: statvfs through the Env's FileSystem.
// (Time is the Env's Clock.)
struct StoreHooks {
  std::vector<DispatchSink*> sinks;
  ArrivalListener on_arrival;
  DiskUseProbe disk_used;
};

// queryMessage: records whose real keys match, ascending by offset.
struct QueryMessageResult {
  std::vector<MessageView> messages;
  int64_t index_last_update_timestamp = 0;
  int64_t index_last_update_phyoffset = 0;
};

class MessageStore {
 public:
  // All file access goes through env.fs() and all time through
  // env.clock(); both must outlive the store (tests pass a
  // FaultInjectionFileSystem, a FakeClock).
  static Result<std::unique_ptr<MessageStore>> Open(const StoreConfig& config, Env env = Env::Default(),
                                                    const StoreHooks& hooks = {});
  // Opens a store that was shut down cleanly without changing a byte of it:
  // no lock or abort file, no recovery writes (damage is refused whatever
  // recoveryCorruptionPolicy says), no dispatch, no threads. Every read
  // works; puts get SERVICE_NOT_AVAILABLE. All file access goes through a
  // ReadOnlyFileSystem, so a step that would write fails the open instead
  // (a store whose last stop was not clean needs a read-write open first).
  // What `mqstore bench --workload read` uses on an existing store.
  static Result<std::unique_ptr<MessageStore>> OpenReadOnly(const StoreConfig& config, Env env = Env::Default());
  ~MessageStore();  // Shutdown() if not done

  // Stores the message and, when it must wait (SYNC_FLUSH, or
  // message.flush_wait), returns once it is durable: PUT_OK, or
  // FLUSH_DISK_TIMEOUT after syncFlushTimeout.
  PutResult Put(const Message& message);
  PutResult PutBatch(std::span<const Message> batch);
  // The same without blocking on the disk (a broker's network threads): the
  // record is appended before this returns (the message's views may go
  // away), and `done` runs once the outcome is known: at once when no wait
  // is due or the put failed, else on the flush thread after the group
  // commit that covers it.
  void PutAsync(const Message& message, PutCallback done);
  void PutBatchAsync(std::span<const Message> batch, PutCallback done);
  std::future<PutResult> PutAsync(const Message& message);

  Result<MessageView> LookMessageByOffset(int64_t phy_offset) const { return log_->LookMessage(phy_offset); }
  int64_t GetMinPhyOffset() const { return log_->MinOffset(); }
  int64_t GetMaxPhyOffset() const { return log_->MaxOffset(); }
  // Reads the log forward from `phy_offset`, record by record, through the
  // segments' mappings.
  CommitLogCursor NewCursor(int64_t phy_offset) const;
  int64_t NextQueueOffset(std::string_view topic, int32_t queue_id) const {
    return log_->NextQueueOffset(topic, queue_id);
  }

  // --- Consumers (spec 9) ---
  // A pull: up to max_msg_nums records from queue offset `offset` that pass
  // `filter` (nullptr: all), as pinned views; statuses and nextBeginOffset
  // as RocketMQ's getMessage.
  GetMessageResult GetMessage(std::string_view group, std::string_view topic, int32_t queue_id, int64_t offset,
                              int32_t max_msg_nums, const MessageFilter* filter = nullptr) const;
  // The same into a result the caller reuses (no allocation once warm).
  void GetMessage(const GetMessageRequest& request, GetMessageResult& out) const;
  int64_t GetMaxOffsetInQueue(std::string_view topic, int32_t queue_id) const;  // 0: no queue
  int64_t GetMinOffsetInQueue(std::string_view topic, int32_t queue_id) const;  // -1: no queue
  // Unit n's commit-log offset; 0 when there is no such unit.
  int64_t GetCommitLogOffsetInQueue(std::string_view topic, int32_t queue_id, int64_t queue_offset) const;
  // The first queue offset whose record was stored at or after `timestamp`
  // (binary search; 5.x's LOWER boundary), clamped into [min, max].
  int64_t GetOffsetInQueueByTime(std::string_view topic, int32_t queue_id, int64_t timestamp) const;
  // Records stored in [begin, end] with topic and KEYS token or UNIQ_KEY
  // equal to `key` (hash collisions dropped), at most min(max_num,
  // maxMsgsNumBatch).
  QueryMessageResult QueryMessage(std::string_view topic, std::string_view key, int32_t max_num, int64_t begin,
                                  int64_t end) const;
  // Long polling: returns true as soon as the queue's max offset passes
  // `offset`, false at the timeout.
  bool WaitForMessages(std::string_view topic, int32_t queue_id, int64_t offset,
                       std::chrono::milliseconds timeout) const;

  // --- Dispatch ---
  // With dispatchOnOwnThread=false the embedder drives dispatch: records
  // dispatched by this call (an error names the record that stopped it).
  Result<uint64_t> DispatchOnce(int64_t max_bytes);
  // Readable after every dispatch round that added records (an eventfd).
  int DispatchEventFd() const { return dispatcher_->event_fd(); }
  int64_t DispatchBehindBytes() const { return dispatcher_->Lag(); }

  // --- Cleanup (spec 7, cleanup_service.h) ---
  // executeDeleteFilesManually: the next manualDeleteFileSeveralTimes
  // cleanup rounds delete expired segments whatever the hour and disk.
  void ExecuteDeleteFilesManually() {
    if (cleanup_) cleanup_->RequestManualDelete();
  }
  // The cleanup service (its thread runs a round every
  // cleanResourceInterval; RunOnce runs one now). Not in a read-only store.
  CleanupService& cleanup() { return *cleanup_; }

  // Commits and fdatasyncs everything appended so far, and the checkpoint.
  Status Flush();
  bool read_only() const { return read_only_fs_ != nullptr; }
  Status Shutdown();

  StoreStats Stats() const;
  const RecoveryReport& recovery() const { return recovery_; }
  // Records dispatched at open to bring queues and index up to the log.
  uint64_t redispatched_at_open() const { return redispatched_at_open_; }
  const StoreConfig& config() const { return config_; }
  CommitLog& commit_log() { return *log_; }
  ConsumeQueueStore& consume_queues() { return *queues_; }

 private:
  class LogEvents;
  MessageStore(const StoreConfig& config, Env env, bool read_only);
  Env env() const { return Env(fs_, clock_); }  // what the parts get: fs_ may be the read-only wrapper
  Status OpenFiles(const StoreHooks& hooks);
  Result<Checkpoint> TakeLockAndCheckpoint();
  Status StartServices(const StoreHooks& hooks, CleanupOptions cleanup_options);
  Status RecoverQueues(bool abnormal);
  int64_t ReputStart(bool abnormal, int64_t short_queues_from) const;
  Status StopServices();
  bool KeyMatches(const MessageRecordView& m, std::string_view topic, std::string_view key) const;
  PutResult Count(PutResult r);
  PutResult Append(std::span<const Message> batch);
  bool MustWait(const Message& first) const;

  StoreConfig config_;
  std::unique_ptr<FileSystem> read_only_fs_;  // OpenReadOnly: wraps the caller's
  FileSystem& fs_;
  Clock& clock_;
  StorePaths paths_;
  std::unique_ptr<FileLock> lock_;
  std::unique_ptr<StoreCheckpoint> checkpoint_;
  std::unique_ptr<CommitLog> log_;
  std::unique_ptr<FlushService> flusher_;
  Prefaulter prefaulter_;  // before the queues and index: they use it until they are gone
  std::unique_ptr<ConsumeQueueStore> queues_;
  std::unique_ptr<IndexService> index_;  // nullptr with messageIndexEnable=false
  std::unique_ptr<DispatchSink> index_builder_;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::unique_ptr<ConsumeQueueFlushService> queue_flusher_;
  std::unique_ptr<CleanupService> cleanup_;  // after what it deletes from: stopped and destroyed first
  std::unique_ptr<LogEvents> log_events_;    // the log's events to flusher_ and cleanup_; gone before both
  ReadLimits read_limits_;
  RecoveryReport recovery_;
  uint64_t redispatched_at_open_ = 0;
  std::atomic<bool> running_{false};
  std::atomic<uint64_t> puts_ok_{0}, puts_failed_{0}, messages_{0}, bytes_{0};
};

}  // namespace mqstore
