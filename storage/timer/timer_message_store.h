// TimerMessageStore: RocketMQ 5.x's timer messages (the "wheel timer"),
// on RocketMQ's own files, so a store written by a 5.x broker keeps its
// timers and a store written here opens in one.
//
//   put (hook)  -> rmq_sys_wheel_timer/0 record, TIMER_OUT_MS = due slot
//   enqueue     -> reads that queue; per record a 52-byte unit in timerlog/
//                  linked into the wheel slot of its due time (timerwheel)
//   dequeue     -> once the wall clock passes a slot: walks the slot's chain
//                  (delete markers first), re-puts each message to its
//                  REAL_TOPIC/REAL_QID (or to the timer topic again: ROLL)
//   flush       -> every timerFlushIntervalMs: timer log, wheel,
//                  config/timercheck, config/timermetrics
//
// Cursors (RocketMQ's TimerMessageStore fields): curr_queue_offset (next unit of the timer
// topic's queue to enqueue), curr_write_time_ms (floor(now / p) x p, moved
// by the enqueue step: slots before it are past), curr_read_time_ms (the
// next slot to fire). A slot T fires once curr_write_time_ms > T, so never
// before T + p: no timer fires before its TIMER_OUT_MS.
//
// RocketMQ runs enqueue and dequeue on seven threads joined by queues; here
// one thread runs the same steps in turn (EnqueueOnce, StageOnce,
// DequeueOnce), which tests also call directly on a FakeClock. The steps
// take one lock, so a test's call and the thread's never interleave. A
// second thread flushes (FlushOnce): it takes that lock only to read what
// the checkpoint may claim, so a slot never waits for a sync.
//
// Firing in bulk: the outgoing records of the next slot are built ahead of
// its end, while the thread is otherwise idle (StageOnce: the chain read,
// the records looked up, their fired properties made, encoded as Put would
// store them). When the slot ends, units enqueued into it since are read
// too, delete markers among them cancel staged timers, TIMER_DEQUEUE_MS is
// written with the firing time (13 digits, in place), and the records go
// to the commit log a few thousand per hold of its put lock
// (CommitLog::AppendRecords), in append order. What cannot be staged (roll
// units, records that cannot be read or re-put as they are, units beyond
// the staging cap, a refused chunk) takes the one-by-one path with its
// retries, in its place in that order. The checkpoint's read time moves only
// once the whole slot is in the log, as before.
//
// Duplicates, as in RocketMQ (docs/engine.md, "Timer messages"): the slots
// fired after the last checkpoint (at most timerFlushIntervalMs of them)
// fire again after a crash; a slot cut short by a crash or a stop during its
// re-puts fires whole again; a re-put answered FLUSH_DISK_TIMEOUT (stored,
// not yet durable) is retried and stored twice.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <vector>

#include "format/timer_checkpoint_format.h"
#include "format/timer_log_unit.h"
#include "mqstore/clock.h"
#include "mqstore/message.h"
#include "mqstore/schedule_message.h"
#include "mqstore/stats.h"
#include "mqstore/store_config.h"
#include "storage/io/file_system.h"
#include "storage/log/commit_log.h"
#include "storage/log/encoded_records.h"
#include "storage/log/latency_histogram.h"
#include "storage/timer/timer_checkpoint.h"
#include "storage/timer/timer_log.h"
#include "storage/timer/timer_metrics.h"
#include "storage/timer/timer_wheel.h"

namespace mqstore {

class ConsumeQueueStore;
struct MessageView;

// The timer topic (TimerMessageStore.TIMER_TOPIC); its one queue is 0.
inline constexpr std::string_view kTimerTopic = kTimerTopicName;

struct TimerStoreOptions {
  std::string root;  // timerwheel, timerlog/ and config/ live under it
  int64_t precision_ms = 1000;
  int64_t timer_log_file_size = kDefaultTimerLogFileSize;
  int64_t roll_window_slots = 172800;  // clamped to [2, slotsTotal - 60]
  int64_t flush_interval_ms = 1000;
  int32_t congest_num_each_slot = INT32_MAX;
  bool skip_unknown_error = false;
  bool stop_enqueue = false;
  bool stop_dequeue = false;
  bool retry_until_success = false;
  bool master = true;  // false (SLAVE): enqueues nothing, fires nothing
  int64_t cleanup_interval_ms = 30000;

  static TimerStoreOptions From(const StoreConfig& config);
};

// What the timer store reads and writes through. `log` and `queues` are the
// store's (records and the timer topic's queue); `reput` stores a message
// without the put hooks (MessageStore::PutBatch).
struct TimerStoreParts {
  FileSystem& fs;
  Clock& clock;
  const CommitLog& log;
  const ConsumeQueueStore& queues;
  std::function<PutResult(const Message&)> reput;
  // The bulk re-put (CommitLog::AppendRecords behind the store's checks);
  // empty: every timer goes through `reput`.
  std::function<CommitLog::AppendRecordsResult(EncodedRecords&, size_t from, size_t count)> append_records;
};

class TimerMessageStore {
 public:
  // Opens the timer files under options.root and recovers them (TimerMessageStore.recover) when
  // there are any; otherwise creates nothing until the first timer is
  // enqueued. Call after the consume queues are recovered and dispatched.
  static Result<std::unique_ptr<TimerMessageStore>> Open(TimerStoreParts parts, TimerStoreOptions options);
  ~TimerMessageStore();
  TimerMessageStore(const TimerMessageStore&) = delete;
  TimerMessageStore& operator=(const TimerMessageStore&) = delete;

  // The service thread: enqueue, fire due slots, stage the next, clean up
  // every cleanup_interval_ms; with nothing to do it sleeps 100 x p / 1000
  // ms through the clock, or less, up to the next slot's end. And the
  // flush thread: FlushOnce every flush_interval_ms.
  void Start();
  // Stops the threads (a slot being fired is finished first unless its
  // re-puts are waiting to be retried) and flushes.
  Status Shutdown();

  // --- the steps (the thread's; tests call them on a FakeClock) ---
  // Enqueues what the timer topic's queue holds past curr_queue_offset
  // (at most 1024 records); true when it took any. Already-due records on a
  // master go straight to delivery (RocketMQ's bypass of the wheel).
  Result<bool> EnqueueOnce();
  // Fires the slot at curr_read_time_ms if the write time is past it:
  // 1 a slot with units fired, 0 an empty slot passed, -1 nothing to do
  // (or stopped, or a slave, or a re-put gave up for now).
  int DequeueOnce();
  // Builds part of the next slot's outgoing records ahead of its end (a
  // bounded share a call, so a due slot never waits long behind it); true
  // when there was any to build.
  bool StageOnce();
  // Enqueue, then fire every slot that is due (what the thread does between
  // two sleeps, before it stages the next slot).
  Status RunDue();
  // Timer log, wheel, checkpoint, metrics (TimerFlushService).
  Status FlushOnce();
  // The timer log's share of cleanup: drops timer-log files (oldest first,
  // never the newest) whose last unit points below the commit log's `commit_log_min_offset`.
  Result<size_t> Cleanup(int64_t commit_log_min_offset);

  // Admission's flow control (timerCongestNumEachSlot): whether the slot of
  // `deliver_ms` already holds that many timers. Any thread.
  bool IsSlotCongested(int64_t deliver_ms) const;

  // Writes one unit as doEnqueue (ROLL and DELETE magic, the roll
  // window's clamps) at the current write time; returns its offset. The
  // enqueue step's core, public so a test can replay RocketMQ's inputs.
  Result<int64_t> EnqueueUnit(int64_t offset_py, int32_t size_py, int64_t delayed_ms, bool is_delete,
                              std::string_view real_topic);

  // --- state ---
  int64_t curr_read_time_ms() const { return curr_read_time_ms_.load(std::memory_order_acquire); }
  int64_t curr_write_time_ms() const { return curr_write_time_ms_.load(std::memory_order_acquire); }
  void set_curr_write_time_ms(int64_t ms);  // tests replaying RocketMQ's write times
  int64_t curr_queue_offset() const { return curr_queue_offset_.load(std::memory_order_acquire); }
  int64_t commit_queue_offset() const { return commit_queue_offset_.load(std::memory_order_acquire); }
  // Timers in the wheel from curr_read_time_ms on (getAllCongestNum: units
  // minus delete markers over the pending slots).
  int64_t PendingCount() const;
  bool has_files() const;
  TimerStats Stats() const;
  // What the last open's recovery found (all zero when there were no files).
  struct Recovery {
    int64_t scan_from = 0;
    int64_t process_offset = 0;
    int64_t queue_offset = 0;
    int64_t overdue_timers = 0;  // due while the store was down past the wheel's span
  };
  const Recovery& recovery() const { return recovery_; }
  TimerCheckpoint checkpoint() const;
  TimerLog* timer_log() { return log_.get(); }
  TimerWheel* wheel() { return wheel_.get(); }
  const TimerStoreOptions& options() const { return options_; }

 private:
  struct Request {
    int64_t offset_py = 0;
    int32_t size_py = 0;
    int64_t enqueue_time_ms = 0;  // the unit's write time; INT64_MAX: never entered the wheel
    int32_t magic = kTimerMagicDefault;
  };
  enum class Outcome { kDelivered, kRolled, kCancelled, kDropped, kGaveUp };

  TimerMessageStore(TimerStoreParts parts, TimerStoreOptions options);
  Status OpenFiles(bool create);
  Status Recover();
  int64_t RecoverAndRevise(int64_t begin, int64_t& last_unit);
  void ReviseSlotsPointingPast(int64_t read_ms, int64_t log_end);
  int64_t ReviseQueueOffset(int64_t last_unit);
  void FindOverdue(int64_t from_ms, int64_t to_ms);
  void AdvanceWriteTime();
  int64_t FloorToPrecision(int64_t ms) const { return ms / options_.precision_ms * options_.precision_ms; }
  // Fires one slot's units (append order); false when a re-put gave up.
  bool FireUnits(int64_t slot_ms, const std::vector<TimerLogUnit>& units);
  Outcome Deliver(const Request& request, const std::unordered_set<std::string>* deletes);
  // --- firing in bulk (timer_message_store_staging.cc) ---
  bool CanStage(int64_t now_ms) const;
  void ResetStaging(int64_t slot_ms);
  // Reads the units enqueued into the staged slot since the last walk.
  size_t WalkNewUnits();
  // Builds up to `max` of the walked units (0: all of them).
  size_t BuildStaged(size_t max);
  void StageUnit(const TimerLogUnit& unit, int64_t now_ms);
  // Fires the staged slot: the units walked and built so far and any since;
  // false when a re-put gave up (the slot fires whole again).
  bool FireStaged();
  // Timers [first, last), all with records, in bulk.
  bool AppendStagedRun(size_t first, size_t last);
  // Staged timers whose topic+key a marker of the slot names.
  void CancelStaged();
  // The one-by-one path for staged timer `i`.
  Outcome DeliverStaged(size_t i);
  PutResult PutWithRetries(const Message& message, bool& gave_up);
  void Run();
  void RunFlush();
  bool Stopping() const { return stop_.load(std::memory_order_acquire); }

  FileSystem& fs_;
  Clock& clock_;
  const CommitLog& commit_log_;
  const ConsumeQueueStore& queues_;
  const std::function<PutResult(const Message&)> reput_;
  const std::function<CommitLog::AppendRecordsResult(EncodedRecords&, size_t, size_t)> append_records_;
  const TimerStoreOptions options_;

  mutable std::mutex mu_;  // the steps
  std::unique_ptr<TimerLog> log_;
  mutable std::mutex wheel_mu_;  // wheel_ itself and its slots against put threads (IsSlotCongested)
  std::unique_ptr<TimerWheel> wheel_;
  mutable std::mutex flush_mu_;  // one FlushOnce at a time; checkpoint_ after Open
  std::unique_ptr<TimerCheckpointFile> checkpoint_;
  std::unique_ptr<TimerMetrics> metrics_;
  struct OverdueSlot {
    int64_t slot_ms;
    std::vector<TimerLogUnit> units;
  };
  std::deque<OverdueSlot> overdue_;  // recovered slots older than the wheel's span, fired first
  Recovery recovery_;

  std::atomic<int64_t> curr_read_time_ms_{0};
  std::atomic<int64_t> commit_read_time_ms_{0};
  std::atomic<int64_t> curr_write_time_ms_{0};
  std::atomic<int64_t> curr_queue_offset_{0};
  std::atomic<int64_t> commit_queue_offset_{0};
  std::atomic<int64_t> pending_{0};
  std::atomic<uint64_t> enqueued_{0}, fired_{0}, cancelled_{0}, rolled_{0}, dropped_{0}, overdue_fired_{0};
  std::atomic<uint64_t> flushes_{0};
  LatencyHistogram lateness_ms_;
  std::string reput_properties_;  // Deliver's, reused (under mu_)

  // The slot being staged (under mu_). Its timers in append order: each
  // with its record in `records`, or none (record < 0: the one-by-one path).
  struct StagedTimer {
    int64_t offset_py = 0;
    int32_t size_py = 0;
    int32_t magic = 0;
    int64_t enqueue_time_ms = 0;
    int64_t out_ms = -1;  // TIMER_OUT_MS, for lateness; -1: none
    int32_t record = -1;
  };
  struct Staging {
    int64_t slot_ms = -1;
    int64_t walked_to = -1;  // the newest unit of the slot's chain read so far
    std::vector<TimerLogUnit> walked;  // read, not built yet (append order)
    size_t built = 0;                  // of `walked`
    std::vector<StagedTimer> timers;
    std::unordered_set<std::string> deletes;  // keys of the markers read
    EncodedRecords records;
    std::vector<uint32_t> topic_counts;  // per records.queues entry: metrics
  } staging_;
  bool logged_stuck_ = false;  // the enqueue step's "cannot read the record" is logged once per unit

  std::atomic<bool> stop_{false};
  std::mutex wait_mu_;
  std::condition_variable wait_cv_;
  std::thread thread_;
  std::thread flush_thread_;  // FlushOnce every flush_interval_ms
};

}  // namespace mqstore
