// CommitLog: the log every message is appended to, in RocketMQ's record
// format (format/message_record.h), over segment files of one size named by
// their start offset (Segment, SegmentAllocator).
//
// Put path: a producer encodes its record outside any lock (a thread-local
// buffer, so no allocation per message), then one short critical section
// (the put lock) assigns PHYSICALOFFSET, QUEUEOFFSET and STORETIMESTAMP,
// patches them in and copies the bytes. A record that does not fit the rest
// of a segment leaves the 8-byte blank record there and goes to the next.
//
// Two write backends, one interface:
//   kMmap   memcpy into a shared writable mapping (what RocketMQ does);
//           `committed` follows `wrote` at once.
//   kWrite  memcpy into an AppendBuffer ring; Commit(io) writes what the
//           ring holds to the files (the flush service does, through its
//           IoQueue), then `committed` moves. Readers use a read-only
//           mapping, so they see only committed bytes. A put that finds the
//           ring full commits it itself, through the file interface.
// Durability is the flush service's (flush_service.h): it plans a sync
// (PlanSync), fdatasyncs the files through its IoQueue and records it
// (SyncDone); durability is only ever claimed for [0, FlushedOffset()).
//
// Global positions: MinOffset <= FlushedOffset <= MaxOffset (committed,
// what readers see) <= WroteOffset.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "format/checkpoint_format.h"
#include "format/message_record.h"
#include "mqstore/message_view.h"      // MessageView
#include "mqstore/recovery_report.h"  // RecoveryReport, LogDamage
#include "storage/log/append_buffer.h"
#include "storage/log/encoded_records.h"
#include "storage/io/env.h"
#include "storage/io/io_queue.h"
#include "storage/log/put_lock.h"
#include "storage/log/put_message.h"
#include "storage/log/queue_offset_table.h"
#include "storage/log/segment.h"
#include "storage/log/segment_allocator.h"
#include "storage/log/segment_list.h"
#include "storage/store_config.h"

namespace mqstore {

enum class WriteBackend : uint8_t { kMmap, kWrite };

struct CommitLogOptions {
  std::string dir;
  int64_t segment_size = 1024LL * 1024 * 1024;
  WriteBackend backend = WriteBackend::kWrite;
  size_t append_buffer_bytes = 16 << 20;  // kWrite ring; raised to hold two largest records
  bool warm = false;                      // warmMapedFileEnable
  int64_t prefault_ahead = 64 << 20;      // kMmap: bytes faulted in ahead of the writer
  int64_t cache_behind = -1;              // commitLogCacheMb in bytes: -1 = keep every file's pages
  bool blocking_put_lock = true;          // useReentrantLockWhenPutMessage
  int32_t commit_interval_ms = 200;       // kWrite: commitIntervalCommitLog
  int64_t os_page_cache_busy_timeout_ms = 1000;
  bool auto_message_version = true;       // autoMessageVersionOnTopicLen
  size_t max_topic_length = 127;          // maxTopicLength (format/topic_name.h)
  bool check_crc_on_recover = true;
  EncodeLimits limits;
};

// How recovery reads the log (CommitLog::Recover, commit_log_recovery.cc).
struct RecoveryOptions {
  bool abnormal = false;          // the abort file was present
  int64_t floor_timestamp = 0;    // abnormal: check from the newest file whose first record is this old
  // The checkpoint's physicMsgTimestamp: a record stored at or before it
  // was durable, so damage before such a record is never a torn tail.
  int64_t flushed_timestamp = 0;
  RecoveryCorruptionPolicy policy = RecoveryCorruptionPolicy::kRefuse;
  // MessageStore::OpenReadOnly: find the end and change nothing (no bytes
  // zeroed after it, no later file removed; use with kRefuse).
  bool read_only = false;
};

// What the log reports as it grows to whoever must act on it: the log runs
// no thread for these and knows nothing above it. MessageStore implements
// this and routes each event to its service (the flush service, cleanup),
// so the log's only dependency upward is this interface, and no service
// registers itself with the log behind the store's back. Both calls run on
// hot paths: note the event and wake a thread, nothing more.
class CommitLogEvents {
 public:
  // kWrite: a quarter of the ring waits to be committed. On the putting
  // thread, outside the put lock; once per backlog (a commit re-arms it).
  virtual void OnCommitBacklog() = 0;
  // The log may hold a segment more than retention allows: a put started a
  // new segment (the putting thread, outside the put lock), or a sync made
  // a full segment durable (the flushing thread; an unflushed segment
  // cannot be deleted).
  virtual void OnSegmentsGrew() = 0;
  // kWrite: `committed` moved, so readers (a slave's sender) have new
  // bytes. On the committing thread, outside the commit lock.
  virtual void OnCommitted() = 0;

 protected:
  ~CommitLogEvents() = default;
};

class CommitLog {
 public:
  // Files through env.fs(); STORETIMESTAMP, the put lock's hold time
  // (OS_PAGE_CACHE_BUSY) and recovery's duration from env.clock().
  CommitLog(const Env& env, CommitLogOptions options);
  ~CommitLog();
  CommitLog(const CommitLog&) = delete;
  CommitLog& operator=(const CommitLog&) = delete;

  // Opens the segment files of the directory (each must be segment_size
  // bytes; an empty last file is deleted, as RocketMQ 5.1.3+ does).
  Status Load();
  // Finds the end of the valid log (normal: from the third-last file;
  // abnormal: from the newest file whose first record was stored at or
  // before `floor_timestamp`, Checkpoint::MinTimestamp()), zeroes what
  // follows it, deletes later files and rebuilds the queue-offset table.
  // Only a torn tail is cut silently; damage that valid data follows is
  // handled by `options.policy` (refuse: a Corruption error naming file,
  // offset and the choices, nothing changed). Defined in
  // commit_log_recovery.cc.
  Result<RecoveryReport> Recover(const RecoveryOptions& options);
  Result<RecoveryReport> Recover(bool abnormal, int64_t floor_timestamp) {
    return Recover(RecoveryOptions{abnormal, floor_timestamp});
  }
  // Starts the allocator thread; puts work without it (files are then
  // created on the put path).
  void Start();
  void Stop();

  PutResult Put(const Message& message);
  // Asked by PutBatch once the batch is checked and encoded, just before
  // the put lock: an answer stops the put (nothing is appended) and is
  // PutBatch's result. Duplicate suppression looks its key up there, so
  // the lookup's cache miss, prefetched before, overlaps the encoding.
  class PutGate {
   public:
    virtual std::optional<PutResult> BeforeAppend() = 0;

   protected:
    ~PutGate() = default;
  };
  // Messages of one topic and queue stored as consecutive records with
  // consecutive queue offsets and one store time, all in one segment
  // (RocketMQ's MessageExtBatch). No transaction types.
  PutResult PutBatch(std::span<const Message> batch, PutGate* gate = nullptr);

  // The record Put would store for `message`, appended to `out` (offsets
  // and store time left 0), after the same checks as Put (topic, queue id,
  // sizes): kPutOk, or Put's refusal. Any thread.
  PutResult EncodeTo(const Message& message, std::vector<uint8_t>& out) const;
  // Appends records [from, from + count) of `batch` (each from EncodeTo)
  // in one hold of the put lock, at most kMaxRecordsPerHold records and
  // about kMaxBytesPerHold bytes of them, so producers and the
  // OS_PAGE_CACHE_BUSY check never wait long: each gets its own queue
  // offset, its physical offset and the hold's store time, patched into
  // `batch`'s bytes, and is stored exactly as Put stores it (a segment end
  // gets the blank record, the next record the next segment). `appended`
  // says how many are in the log, also when `put` is a refusal (Put's:
  // not writeable, page cache busy, a segment that cannot be made).
  static constexpr size_t kMaxRecordsPerHold = 4096;
  static constexpr size_t kMaxBytesPerHold = 2 << 20;
  struct AppendRecordsResult {
    PutResult put;  // msg_count and wrote_bytes: the appended records'
    size_t appended = 0;
  };
  AppendRecordsResult AppendRecords(EncodedRecords& batch, size_t from, size_t count);
  // About `bytes` will be appended soon in one burst (AppendRecords of a
  // staged timer slot): kMmap faults that much of the current segment in
  // ahead of the writer, in the background. A hint; no-op for kWrite.
  void ExpectAppend(int64_t bytes);

  // A replica's append (HA slave; commit_log_replica.cc): `bytes` are
  // whole records (or a segment's blank end) copied from a master's log,
  // stored exactly at `offset`, which must be WroteOffset() (in an empty
  // log: a segment boundary, where the log then begins). They must not run
  // past the segment holding `offset`. Nothing is parsed or patched: the
  // caller has checked the records; `store_timestamp` is the last one's, for
  // the checkpoint. InvalidArgument when the offset or the size does not
  // fit, and nothing is written.
  Status AppendReplica(int64_t offset, std::span<const uint8_t> bytes, int64_t store_timestamp);
  // An HA slave whose log diverged from its master's (haDivergencePolicy=
  // truncate): cuts the log back to `end`, which must be a record boundary
  // at or after MinOffset, with recovery's own cut (the rest of the file
  // zeroed, later files deleted), then recovers again so positions and the
  // queue-offset table match. No put or replica append may run meanwhile,
  // and everything must be committed and flushed (defined in
  // commit_log_recovery.cc).
  Status TruncateReplicaTo(int64_t end);

  // kWrite: writes the ring's bytes to their files through `io` and moves
  // `committed`; returns the committed range. No-op for kMmap. A failure
  // makes the log not writeable.
  struct CommitRange {
    int64_t from = 0, to = 0;
  };
  Result<CommitRange> Commit(IoQueue& io);
  // The same through the file interface, from the calling thread.
  Status Commit();
  // Who is told of the log's growth (CommitLogEvents; nullptr: nobody).
  // Set before Start().
  void SetEvents(CommitLogEvents* events) { events_ = events; }

  // Where the writer is, sampled before a commit: once [0, wrote) is
  // durable, so is the record that carried `store_timestamp`.
  struct WriteMark {
    int64_t wrote = 0;
    int64_t store_timestamp = 0;
  };
  WriteMark MarkNow() const;
  // A sync of the files holding committed but unflushed bytes. With
  // `least_pages` > 0 a file is included only when that many 4 KiB pages are
  // dirty or it is full (flushCommitLogLeastPages).
  struct SyncPlan {
    struct File {
      std::shared_ptr<Segment> segment;
      int64_t position = 0;  // the segment's flushed position once synced
    };
    std::vector<File> files;
    int64_t target = 0;           // FlushedOffset() once every file synced
    int64_t store_timestamp = 0;  // of the last record below target; 0 if not known
  };
  // Fills `plan` (its vector is reused, so a steady flush allocates nothing).
  void PlanSync(const WriteMark& mark, int least_pages, SyncPlan& plan) const;
  // Every file of the plan was synced: moves the flushed positions.
  void SyncDone(const SyncPlan& plan);
  // A failed sync: nothing more is written or claimed durable.
  void SyncFailed(const Status& why) { MarkNotWriteable(why); }

  int64_t MinOffset() const;
  int64_t MaxOffset() const;  // end of what readers may read
  int64_t WroteOffset() const { return wrote_where_.load(std::memory_order_acquire); }
  int64_t FlushedOffset() const { return flushed_where_.load(std::memory_order_acquire); }
  int64_t last_store_timestamp() const { return last_store_timestamp_.load(std::memory_order_acquire); }

  // The record at a physical offset (must be a record start below MaxOffset).
  Result<MessageView> LookMessage(int64_t offset) const;
  // Up to `size` committed bytes at `offset`, within one segment.
  Result<SegmentView> Read(int64_t offset, int64_t size) const;
  std::shared_ptr<Segment> SegmentFor(int64_t offset) const;
  std::vector<std::shared_ptr<Segment>> Segments() const;
  // The oldest segment (null when there is none) and how many there are:
  // what cleanup needs each time the log grows, without copying the list.
  std::shared_ptr<Segment> OldestSegment() const;
  size_t SegmentCount() const;
  // Cleanup: takes the oldest segment out of the log and unlinks its file,
  // so MinOffset becomes the next segment's start. It must start at
  // `start` (what the caller looked at) and be neither the newest nor hold
  // bytes not yet written and synced (Busy otherwise). Readers holding
  // it keep their views; the returned segment is the caller's to retire.
  Result<std::shared_ptr<Segment>> RemoveOldestSegment(int64_t start);

  // Next queue offset of a queue (the topic-queue table).
  int64_t NextQueueOffset(std::string_view topic, int32_t queue_id) const;
  std::vector<QueueOffsetTable::Entry> QueueOffsets() const;
  // Raises a queue's next offset to at least `next`: at open, for a consume
  // queue that goes further than the records left in the log (cleanup
  // deleted them), so its offsets never go back. Before puts start.
  void RaiseNextQueueOffset(std::string_view topic, int32_t queue_id, int64_t next);

  // False after a failed write or sync: puts get SERVICE_NOT_AVAILABLE until
  // the store is reopened (the page cache may have dropped the data).
  bool writeable() const { return writeable_.load(std::memory_order_acquire); }
  // OS_PAGE_CACHE_BUSY: the put lock has been held longer than the timeout.
  bool IsPageCacheBusy() const;
  const CommitLogOptions& options() const { return options_; }
  bool has_append_ring() const { return ring_ != nullptr; }
  uint64_t segments_created() const { return allocator_.segments_created(); }

 private:
  struct Encoded;
  PutResult EncodeOne(const Message& m, std::vector<uint8_t>& out) const;
  PutResult Append(std::span<uint8_t> records, int32_t count, const Message& first, bool& rolled);
  // Under the put lock: `current_` holds bytes up to `end` of it, stored at `now`.
  void Publish(int64_t end, int64_t now);
  void AppendHold(EncodedRecords& batch, size_t from, size_t end, AppendRecordsResult& out, bool& rolled);
  // Under the put lock: copies runs of `batch`'s records (AppendRecords).
  Status CopyRecords(EncodedRecords& batch, size_t from, size_t to, int64_t pos);
  PutResult Refuse(PutStatus status, std::string reason) const;
  Status Roll(std::shared_ptr<Segment>& segment);
  Status CutAfter(const std::vector<std::shared_ptr<Segment>>& segments, size_t end_index, int64_t end_pos,
                  bool zeros_after, bool read_only, RecoveryReport& report);
  Status CopyIn(Segment& segment, int64_t pos, std::span<const uint8_t> bytes);
  // Under the put lock, kMmap: the writer's bytes reach `end` of `segment`.
  void PrefetchAhead(const Segment& segment, int64_t end);
  Status EndSegment(Segment& segment, int64_t pos);
  Result<CommitRange> CommitLocked(IoQueue& io);
  Status MakeRing();
  void MarkNotWriteable(const Status& why);
  // The log is flushed to `flushed`: what lies more than
  // options_.cache_behind before it drops its pages (commitLogCacheMb).
  void DropCacheBehind(int64_t flushed);
  // `offset` rounded down to a kFolioBytes boundary of its file.
  int64_t FolioFloor(int64_t offset) const;
  void NoteCommitBacklog();

  FileSystem& fs_;
  Clock& clock_;
  const CommitLogOptions options_;
  SegmentAllocator allocator_;
  std::unique_ptr<AppendBuffer> ring_;  // kWrite only

  SegmentList<Segment> segments_;  // contiguous, options_.segment_size each

  mutable PutLock put_mu_;  // the put lock: guards current_, queue_offsets_
  std::shared_ptr<Segment> current_;
  QueueOffsetTable queue_offsets_;
  static constexpr int64_t kPrefetchAhead = 4096;
  int64_t prefetched_to_ = 0;  // log offset: PrefetchAhead asked for the lines before it
  std::atomic<int64_t> begin_time_in_lock_{0};  // 0: not held (IsPageCacheBusy)
  // Marks the put lock held since `now` for as long as it lives (taken
  // right after the lock, so it lets go first).
  class LockHeldSince {
   public:
    LockHeldSince(std::atomic<int64_t>& begin, int64_t now) : begin_(begin) {
      begin_.store(now, std::memory_order_relaxed);
    }
    ~LockHeldSince() { begin_.store(0, std::memory_order_relaxed); }
    LockHeldSince(const LockHeldSince&) = delete;
    LockHeldSince& operator=(const LockHeldSince&) = delete;

   private:
    std::atomic<int64_t>& begin_;
  };

  std::mutex commit_mu_;  // one committer at a time (kWrite)
  std::unique_ptr<IoQueue> inline_io_;  // Commit() from a put or a test
  struct CommitPiece {
    std::shared_ptr<Segment> segment;
    int64_t end;  // the segment's committed position once written
  };
  std::vector<CommitPiece> commit_pieces_;  // reused by each commit (commit_mu_)
  std::vector<uint64_t> commit_tickets_;
  CommitLogEvents* events_ = nullptr;
  std::atomic<bool> backlog_reported_{false};
  std::atomic<int64_t> wrote_where_{0};
  std::atomic<int64_t> flushed_where_{0};
  int64_t cache_dropped_to_ = 0;  // the flush thread's: pages before it were dropped
  // The largest folio the page cache makes of a file (a PMD on x86-64).
  static constexpr int64_t kFolioBytes = 2 << 20;
  std::atomic<int64_t> last_store_timestamp_{0};
  std::atomic<bool> writeable_{true};
};

}  // namespace mqstore
