// What MessageStore::Stats() reports: the store's counters and positions
// (StoreStats) and those of its parts: the flush service (FlushStats), the
// dispatcher (DispatcherStats), the index (IndexStats) and cleanup
// (CleanupStats). Plain values, copied out under the parts' own locks.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mqstore/latency_histogram.h"

namespace mqstore {

struct FlushStats {
  std::string io_engine;          // "io_uring" or "sync"
  uint64_t syncs = 0;             // fdatasyncs of commit-log files
  uint64_t commits = 0;           // write-backend commits (ring -> file)
  uint64_t bytes_committed = 0;
  uint64_t waits_completed = 0;   // puts that waited and were completed by a sync
  uint64_t wait_timeouts = 0;     // puts answered FLUSH_DISK_TIMEOUT
  uint64_t group_commits = 0;     // syncs that completed at least one waiting put
  // Waiting puts completed per group commit.
  double group_size_avg() const {
    return group_commits == 0 ? 0.0 : static_cast<double>(waits_completed) / static_cast<double>(group_commits);
  }
  LatencyHistogram::Snapshot sync_latency_us;  // one fdatasync round (all files of one flush)
};

struct DispatcherStats {
  int64_t reput_offset = 0;
  int64_t dispatch_end = 0;
  int64_t lag_bytes = 0;  // dispatchBehindBytes
  uint64_t records = 0;   // dispatched since open
  uint64_t rounds = 0;
  std::string error;      // why dispatch is stopped; empty when it is not
};

struct IndexStats {
  uint64_t files = 0;
  uint64_t entries = 0;  // live entries over all files
  uint64_t keys_added = 0;  // since open
  // The newest file's endTimestamp / endPhyOffset ("index last update").
  int64_t last_update_timestamp = 0;
  int64_t last_update_phy_offset = 0;
};

// Why cleanup deleted a segment; each has its own counter in the stats.
enum class DeleteReason : uint8_t { kExpired, kSpace, kManual, kForced, kSize };
inline constexpr int kDeleteReasons = 5;
std::string_view DeleteReasonName(DeleteReason r);  // "expired", "space", ...

struct CleanupStats {
  uint64_t rounds = 0;
  uint64_t limit_rounds = 0;              // run at once because the log grew (WakeForLimits)
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

// The timer store (storage/timer/, RocketMQ 5.x timer messages).
struct TimerStats {
  bool files = false;             // the timer files exist (made by the first timer)
  int64_t pending = 0;            // timers in the wheel (getAllCongestNum)
  uint64_t enqueued = 0;          // timer-log units written since open
  uint64_t fired = 0;             // re-put to their real topic
  uint64_t cancelled = 0;         // skipped: a delete marker in their slot
  uint64_t rolled = 0;            // re-put to the timer topic (beyond the roll window)
  uint64_t dropped = 0;           // record gone (cleanup) or re-put refused for good
  uint64_t overdue_fired = 0;     // found at open past the wheel's span, delivered late
  int64_t curr_read_time_ms = 0;  // next slot to fire
  int64_t curr_write_time_ms = 0;
  int64_t curr_queue_offset = 0;  // next unit of rmq_sys_wheel_timer/0 to enqueue
  int64_t timer_log_max_offset = 0;
  // Delivery lateness: fire time minus TIMER_OUT_MS, in ms (RocketMQ
  // fires slot T once the clock passes T + precision).
  LatencyHistogram::Snapshot lateness_ms;
};

// Delay levels (ScheduleMessageService; storage/timer/schedule_message_service.h).
// One level's delivery, levels[0] being level 1.
struct DelayLevelProgress {
  int64_t offset = 0;            // next queue offset to deliver (delayOffset.json)
  int64_t pending = 0;           // units from there to the queue's end: the lag
  int64_t lateness_last_ms = 0;  // now - deliver time, of the last unit delivered
  int64_t lateness_max_ms = 0;   // the most since open
};

struct DelayLevelStats {
  bool delivering = false;    // the store's delivery thread runs (a master, scheduleMessageServiceEnable)
  std::string error;          // why nothing is delivered (a damaged delayOffset.json); empty when fine
  uint64_t delivered = 0;     // re-put to their real topics since open
  uint64_t skipped = 0;       // units whose record is gone or names no real topic
  uint64_t put_failures = 0;  // re-puts answered other than PUT_OK (the unit is retried)
  std::vector<DelayLevelProgress> levels;
};

// Transactions (storage/transaction/; RocketMQ's half and op topics).
struct TransactionStats {
  bool checking = false;       // the check thread runs (a master, transactionCheckEnable)
  std::string error;           // why no check round runs (a damaged consumerOffset.json); empty when fine
  // Half records from the check's progress to the half queue's end that no
  // op read in the last round settles (re-put copies included): as of the
  // last round. `mqstore dump transactions` gives the exact list.
  int64_t pending_halves = 0;
  int64_t half_check_offset = 0;  // CID_RMQ_SYS_TRANS's offset of the half queue
  int64_t op_check_offset = 0;    // and of the op queue
  uint64_t halves_put = 0;        // PutHalf since open (not those answered duplicate)
  uint64_t checks_sent = 0;       // check-backs (each after a re-put copy)
  uint64_t commits = 0;           // EndTransaction commits whose real message was stored
  uint64_t rollbacks = 0;
  uint64_t discarded = 0;         // copied to TRANS_CHECK_MAX_TIME_TOPIC (checked too often, or too old)
  uint64_t renewed = 0;           // half copies put by the check (check-backs and immunity)
  uint64_t ops_written = 0;       // op records
  uint64_t op_failures = 0;       // op puts that failed (those halves are checked again)
  uint64_t check_rounds = 0;
};

// Replication (storage/ha/; RocketMQ's classic master/slave HA). A master
// fills the master fields, a slave the slave fields.
struct ReplicationStats {
  std::string role;               // "master", "slave" or "" (no HA service runs)
  int32_t listen_port = 0;        // master: the port slaves connect to
  uint64_t slaves = 0;            // master: connected slaves now
  int64_t slave_ack_offset = 0;   // master: the furthest offset any slave acknowledged (push2SlaveMaxOffset)
  int64_t lag_bytes = 0;          // master: its max offset - slave_ack_offset; slave: the master's known end - its own
  int64_t lag_millis = 0;         // how long the slaves (slave: this store) have not been caught up; 0 when caught up
  uint64_t slaves_dropped = 0;    // master: connections closed (silence, bad report, divergence, I/O)
  bool connected = false;         // slave: a connection to the master is up
  int64_t applied_offset = 0;     // slave: the end of what it appended from the master
  uint64_t frames_applied = 0;    // slave: frames with a body appended
  uint64_t reconnects = 0;        // slave: connections after the first
  std::string error;              // the last reason a connection was dropped; "" if none
  bool diverged = false;          // this replica holds bytes past its master's end (refused)
};

// Duplicate suppression (dedupWindowSeconds; storage/dedup/). All zero and
// `enabled` false when it is off: there is no table then.
struct DedupStats {
  bool enabled = false;
  uint64_t duplicates = 0;     // messages answered as duplicates (not stored) since open
  uint64_t entries = 0;        // keys remembered now (at most dedupMaxEntries)
  uint64_t evictions = 0;      // keys dropped inside their window because the table was full
  uint64_t false_matches = 0;  // 64-bit matches whose record held another key (a collision): stored
  uint64_t rebuilt = 0;        // keys read back from the log's tail at open
};

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
  // another broker or an older build): no consume-queue unit (docs/engine.md, "Topics").
  uint64_t bad_topic_records = 0;
  uint64_t tag_bitmap_bytes = 0;  // memory of the per-queue tag bitmaps
  IndexStats index;
  CleanupStats cleanup;
  TimerStats timer;
  DelayLevelStats delay;
  TransactionStats transaction;
  ReplicationStats replication;
  DedupStats dedup;
};

}  // namespace mqstore
