// MessageStore: what a broker embeds (RocketMQ's DefaultMessageStore): the
// commit log with its flush service (async or group-commit sync flush), the
// checkpoint, the abort marker and the lock file, and recovery on open.
//
//   auto store = MessageStore::Open(config);      // locks, recovers, starts
//   PutResult r = (*store)->Put(message);          // any thread
//   (*store)->PutAsync(message, [](PutResult r) { ... });  // never blocks on disk
//   auto view = (*store)->LookMessageByOffset(r.wrote_offset);
//   (*store)->Shutdown();                          // flushes, removes `abort`
//
// Open order (spec 5.2): take `lock`; abnormal = `abort` exists; read the
// checkpoint; load and recover the commit log; create `abort`; start the
// allocator and flush threads. Shutdown undoes it; `abort` is removed only
// when everything was flushed and the store is still writeable, so any
// other exit makes the next open run abnormal recovery.
#pragma once

#include <atomic>
#include <future>
#include <memory>
#include <span>

#include "storage/commit_log.h"
#include "storage/commit_log_cursor.h"
#include "storage/flush_service.h"
#include "storage/io/file_system.h"
#include "storage/store_checkpoint.h"
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
};

class MessageStore {
 public:
  // `fs` must outlive the store (tests pass a FaultInjectionFileSystem).
  static Result<std::unique_ptr<MessageStore>> Open(const StoreConfig& config,
                                                    FileSystem& fs = FileSystem::Default());
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
  // Reads the log forward from `phy_offset` (the dispatcher's input).
  CommitLogCursor NewCursor(int64_t phy_offset) const;
  int64_t NextQueueOffset(std::string_view topic, int32_t queue_id) const {
    return log_->NextQueueOffset(topic, queue_id);
  }

  // Commits and fdatasyncs everything appended so far, and the checkpoint.
  Status Flush();
  Status Shutdown();

  StoreStats Stats() const;
  const RecoveryReport& recovery() const { return recovery_; }
  const StoreConfig& config() const { return config_; }
  CommitLog& commit_log() { return *log_; }

 private:
  MessageStore(const StoreConfig& config, FileSystem& fs);
  Status OpenFiles();
  PutResult Count(PutResult r);
  PutResult Append(std::span<const Message> batch);
  bool MustWait(const Message& first) const;

  StoreConfig config_;
  FileSystem& fs_;
  StorePaths paths_;
  std::unique_ptr<FileLock> lock_;
  std::unique_ptr<StoreCheckpoint> checkpoint_;
  std::unique_ptr<CommitLog> log_;
  std::unique_ptr<FlushService> flusher_;
  RecoveryReport recovery_;
  std::atomic<bool> running_{false};
  std::atomic<uint64_t> puts_ok_{0}, puts_failed_{0}, messages_{0}, bytes_{0};
};

}  // namespace mqstore
