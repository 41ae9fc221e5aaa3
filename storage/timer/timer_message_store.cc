#include "storage/timer/timer_message_store.h"

#include <algorithm>
#include <map>

#include "format/java_string_hash.h"
#include "format/properties.h"
#include "storage/log/commit_log.h"
#include "storage/queue/consume_queue_store.h"
#include "storage/store_log.h"
#include "storage/timer/fired_timer.h"

namespace mqstore {
namespace {

constexpr size_t kEnqueueBatch = 1024;         // RocketMQ's enqueue queue capacity
constexpr int kReputTries = 3;                 // before a retryable status gives up (timerEnableRetryUntilSuccess=false)

// What a re-put's status means (TimerMessageStore.doPut and its callers): done, drop it, or try again.
enum class PutVerdict { kDone, kDrop, kRetry, kUnknown };
PutVerdict Classify(PutStatus s) {
  switch (s) {
    case PutStatus::kPutOk: return PutVerdict::kDone;
    case PutStatus::kMessageIllegal:
    case PutStatus::kPropertiesSizeExceeded:
    case PutStatus::kWheelTimerNotEnable:
    case PutStatus::kWheelTimerMsgIllegal: return PutVerdict::kDrop;
    case PutStatus::kServiceNotAvailable:
    case PutStatus::kFlushDiskTimeout:
    case PutStatus::kFlushSlaveTimeout:
    case PutStatus::kOsPageCacheBusy:
    case PutStatus::kCreateMappedFileFailed:
    case PutStatus::kSlaveNotAvailable: return PutVerdict::kRetry;
    default: return PutVerdict::kUnknown;
  }
}

}  // namespace

TimerStoreOptions TimerStoreOptions::From(const StoreConfig& c) {
  TimerStoreOptions o;
  o.root = c.storePathRootDir;
  o.precision_ms = c.timerPrecisionMs;
  o.timer_log_file_size = c.mappedFileSizeTimerLog;
  o.roll_window_slots = c.timerRollWindowSlot;
  o.flush_interval_ms = c.timerFlushIntervalMs;
  o.congest_num_each_slot = c.timerCongestNumEachSlot;
  o.skip_unknown_error = c.timerSkipUnknownError;
  o.stop_enqueue = c.timerStopEnqueue;
  o.stop_dequeue = c.timerStopDequeue;
  o.retry_until_success = c.timerEnableRetryUntilSuccess;
  o.master = c.brokerRole != BrokerRole::kSlave;
  return o;
}

TimerMessageStore::TimerMessageStore(TimerStoreParts parts, TimerStoreOptions options)
    : fs_(parts.fs),
      clock_(parts.clock),
      commit_log_(parts.log),
      queues_(parts.queues),
      reput_(std::move(parts.reput)),
      append_records_(std::move(parts.append_records)),
      options_([&] {
        options.roll_window_slots =
            std::clamp<int64_t>(options.roll_window_slots, 2, kTimerWheelSlotsTotal - kTimerBlankSlots);
        return std::move(options);
      }()) {}

TimerMessageStore::~TimerMessageStore() {
  stop_.store(true, std::memory_order_release);
  {
    std::lock_guard lock(wait_mu_);
    wait_cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  if (flush_thread_.joinable()) flush_thread_.join();
}

Result<std::unique_ptr<TimerMessageStore>> TimerMessageStore::Open(TimerStoreParts parts, TimerStoreOptions options) {
  if (options.precision_ms <= 0)
    return Status::InvalidArgument("timerPrecisionMs=" + std::to_string(options.precision_ms) + " must be positive");
  std::unique_ptr<TimerMessageStore> store(new TimerMessageStore(std::move(parts), std::move(options)));
  const std::string& root = store->options_.root;
  const bool existing = store->fs_.Exists(JoinPath(root, "timerwheel")) || store->fs_.Exists(JoinPath(root, "timerlog"));
  store->checkpoint_ = std::make_unique<TimerCheckpointFile>(store->fs_, JoinPath(root, "config/timercheck"));
  store->metrics_ = std::make_unique<TimerMetrics>(store->fs_, JoinPath(root, "config/timermetrics"));
  store->log_ = std::make_unique<TimerLog>(store->fs_, JoinPath(root, "timerlog"), store->options_.timer_log_file_size);
  if (!existing) {
    // Nothing on disk: the files come with the first timer. Reading starts now.
    const int64_t now = store->FloorToPrecision(store->clock_.WallMillis());
    store->curr_read_time_ms_ = now;
    store->commit_read_time_ms_ = now;
    return store;
  }
  MQ_RETURN_IF_ERROR(store->OpenFiles(/*create=*/false));
  MQ_RETURN_IF_ERROR(store->Recover());
  return store;
}

Status TimerMessageStore::OpenFiles(bool create) {
  if (create) MQ_RETURN_IF_ERROR(CreateDirectoriesDurably(fs_, options_.root));
  auto wheel = TimerWheel::Open(fs_, JoinPath(options_.root, "timerwheel"), options_.precision_ms);
  if (!wheel.ok()) return wheel.error();
  if (!create) {
    MQ_RETURN_IF_ERROR(log_->Load());
    MQ_RETURN_IF_ERROR(checkpoint_->Load());
    MQ_RETURN_IF_ERROR(metrics_->Load());
  }
  std::lock_guard lock(wheel_mu_);
  wheel_ = std::move(*wheel);
  return Status::Ok();
}

bool TimerMessageStore::has_files() const {
  std::lock_guard lock(wheel_mu_);
  return wheel_ != nullptr;
}

void TimerMessageStore::Start() {
  if (thread_.joinable()) return;
  stop_.store(false, std::memory_order_release);
  thread_ = std::thread([this] {
    NameThisThread("mq-timer");
    Run();
  });
  flush_thread_ = std::thread([this] {
    NameThisThread("mq-timer-flush");
    RunFlush();
  });
}

Status TimerMessageStore::Shutdown() {
  stop_.store(true, std::memory_order_release);
  {
    std::lock_guard lock(wait_mu_);
    wait_cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  if (flush_thread_.joinable()) flush_thread_.join();
  return FlushOnce();
}

void TimerMessageStore::Run() {
  const int64_t idle_ms = std::max<int64_t>(1, 100 * options_.precision_ms / 1000);
  int64_t next_cleanup = clock_.MonotonicMillis() + options_.cleanup_interval_ms;
  std::string last_error;
  while (!Stopping()) {
    bool busy = false;
    auto enqueued = EnqueueOnce();
    if (!enqueued.ok()) {
      if (enqueued.error().ToString() != last_error) {
        last_error = enqueued.error().ToString();
        StoreLog(LogLevel::kError, "timer store: enqueue: " + last_error);
      }
    } else {
      busy = *enqueued;
    }
    for (int i = 0; i < 10000 && !Stopping(); ++i) {
      const int r = DequeueOnce();
      if (r < 0) break;
      busy = true;
    }
    // Nothing due: build the next slot's records, a share at a time.
    if (!busy && !Stopping()) busy = StageOnce();
    const int64_t now = clock_.MonotonicMillis();
    if (now >= next_cleanup) {
      auto removed = Cleanup(commit_log_.MinOffset());
      if (!removed.ok()) StoreLog(LogLevel::kError, "timer store: cleanup: " + removed.error().ToString());
      next_cleanup = now + options_.cleanup_interval_ms;
    }
    if (busy) continue;
    // Up to the end of the next slot, not past it: that is when it fires.
    int64_t wait_ms = idle_ms;
    const int64_t slot_end = curr_read_time_ms() + options_.precision_ms;
    if (const int64_t wall = clock_.WallMillis(); slot_end > wall) wait_ms = std::min(wait_ms, slot_end - wall);
    std::unique_lock lock(wait_mu_);
    if (Stopping()) break;
    clock_.Wait(wait_cv_, lock, clock_.MonotonicNanos() + wait_ms * 1000000);
  }
}

// Every flush_interval_ms, on a thread of its own (FlushOnce).
void TimerMessageStore::RunFlush() {
  const int64_t interval_ns = options_.flush_interval_ms * 1000000;
  int64_t next = clock_.MonotonicNanos() + interval_ns;
  while (!Stopping()) {
    {
      std::unique_lock lock(wait_mu_);
      if (Stopping()) break;
      clock_.Wait(wait_cv_, lock, next);
    }
    if (Stopping()) break;
    if (clock_.MonotonicNanos() < next) continue;  // woken early
    if (Status st = FlushOnce(); !st.ok()) StoreLog(LogLevel::kError, "timer store: flush: " + st.ToString());
    next = clock_.MonotonicNanos() + interval_ns;
  }
}

void TimerMessageStore::set_curr_write_time_ms(int64_t ms) { curr_write_time_ms_.store(ms, std::memory_order_release); }

void TimerMessageStore::AdvanceWriteTime() {
  const int64_t now = FloorToPrecision(clock_.WallMillis());
  if (now > curr_write_time_ms_.load(std::memory_order_relaxed)) curr_write_time_ms_.store(now, std::memory_order_release);
}

Result<bool> TimerMessageStore::EnqueueOnce() {
  std::lock_guard lock(mu_);
  if (curr_write_time_ms_.load(std::memory_order_relaxed) == 0) AdvanceWriteTime();
  const ConsumeQueue* q = queues_.Find(kTimerTopic, 0);
  if (options_.stop_enqueue || !options_.master || !q) {
    AdvanceWriteTime();
    return false;
  }
  int64_t offset = std::max(curr_queue_offset_.load(std::memory_order_relaxed), q->MinOffset());
  const int64_t end = std::min<int64_t>(q->MaxOffset(), offset + static_cast<int64_t>(kEnqueueBatch));
  bool took = false;
  Status failed;
  for (; offset < end; ++offset) {
    auto cq = q->GetUnit(offset);
    if (!cq) break;
    auto record = commit_log_.LookMessage(cq->commit_log_offset);
    std::optional<int64_t> out_ms;
    if (record.ok()) out_ms = ParseTimerLong(record->message.properties().Get(property::kTimerOutMs));
    if (!out_ms) {
      const std::string why = "timer topic unit " + std::to_string(offset) + " (commit-log offset " +
                              std::to_string(cq->commit_log_offset) + "): " +
                              (record.ok() ? "no valid TIMER_OUT_MS" : record.error().ToString());
      if (options_.skip_unknown_error) {
        StoreLog(LogLevel::kWarn, "timer store: skipping " + why + " (timerSkipUnknownError)");
        continue;
      }
      // As RocketMQ: the same unit is tried again and again.
      if (!logged_stuck_) StoreLog(LogLevel::kError, "timer store: cannot enqueue " + why + "; retrying");
      logged_stuck_ = true;
      break;
    }
    logged_stuck_ = false;
    if (!has_files()) {
      if (Status st = OpenFiles(/*create=*/true); !st.ok()) {
        failed = st;
        break;
      }
    }
    const PropertiesView props = record->message.properties();
    if (*out_ms < curr_write_time_ms_.load(std::memory_order_relaxed)) {
      // Already due: straight to delivery, never in the wheel.
      Request r{cq->commit_log_offset, cq->size, INT64_MAX, kTimerMagicDefault};
      if (Deliver(r, nullptr) == Outcome::kGaveUp) break;
    } else {
      const bool is_delete = props.Get(property::kTimerDelUniqKey).has_value();
      auto pos = EnqueueUnit(cq->commit_log_offset, cq->size, *out_ms, is_delete,
                             props.Get(property::kRealTopic).value_or(std::string_view()));
      if (!pos.ok()) {
        failed = pos.error();
        break;
      }
    }
    took = true;
    curr_queue_offset_.store(offset + 1, std::memory_order_release);
  }
  if (curr_queue_offset_.load(std::memory_order_relaxed) < q->MinOffset()) curr_queue_offset_ = q->MinOffset();
  commit_queue_offset_.store(curr_queue_offset_.load(std::memory_order_relaxed), std::memory_order_release);
  AdvanceWriteTime();
  if (!failed.ok()) return failed;
  return took;
}

Result<int64_t> TimerMessageStore::EnqueueUnit(int64_t offset_py, int32_t size_py, int64_t delayed_ms, bool is_delete,
                                               std::string_view real_topic) {
  if (!has_files()) MQ_RETURN_IF_ERROR(OpenFiles(/*create=*/true));
  const int64_t w = curr_write_time_ms_.load(std::memory_order_relaxed);
  const int64_t p = options_.precision_ms;
  const int64_t slots = options_.roll_window_slots;
  int32_t magic = kTimerMagicDefault;
  if (delayed_ms - w >= slots * p) {
    // Beyond the roll window: parked at an intermediate slot, re-put to the
    // timer topic when that fires, and enqueued again (doEnqueue).
    magic |= kTimerMagicRoll;
    delayed_ms = delayed_ms - w - slots * p < slots / 3 * p ? w + slots / 2 * p : w + slots * p;
  }
  if (is_delete) magic |= kTimerMagicDelete;
  const TimerWheelSlot slot = wheel_->GetSlot(delayed_ms);
  TimerLogUnit unit;
  unit.prev_pos = slot.last_pos;
  unit.magic = magic;
  unit.write_time_ms = w;
  unit.delay_ms = static_cast<int32_t>(delayed_ms - w);
  unit.offset_py = offset_py;
  unit.size_py = size_py;
  unit.topic_hash = real_topic.empty() ? 0 : JavaStringHashCode(real_topic);
  auto pos = log_->Append(unit);
  if (!pos.ok()) return pos.error();
  {
    std::lock_guard lock(wheel_mu_);
    wheel_->PutSlot(delayed_ms, slot.first_pos == -1 ? *pos : slot.first_pos, *pos,
                    is_delete ? slot.num - 1 : slot.num + 1, slot.magic);
  }
  if (delayed_ms >= curr_read_time_ms_.load(std::memory_order_relaxed)) pending_ += is_delete ? -1 : 1;
  metrics_->Add(real_topic, is_delete ? -1 : 1, clock_.WallMillis());
  enqueued_.fetch_add(1, std::memory_order_relaxed);
  return *pos;
}

int TimerMessageStore::DequeueOnce() {
  std::lock_guard lock(mu_);
  if (options_.stop_dequeue || !options_.master || !has_files()) return -1;
  if (!overdue_.empty()) {
    if (!FireUnits(overdue_.front().slot_ms, overdue_.front().units)) return -1;
    overdue_fired_ += overdue_.front().units.size();
    overdue_.pop_front();
    return 1;
  }
  const int64_t read = curr_read_time_ms_.load(std::memory_order_relaxed);
  if (read >= curr_write_time_ms_.load(std::memory_order_relaxed)) return -1;
  const TimerWheelSlot slot = wheel_->GetSlot(read);
  int result = 0;
  if (slot.time_units != 0 && slot.last_pos >= 0 && CanStage(clock_.WallMillis())) {
    if (staging_.slot_ms != read) ResetStaging(read);
    if (!FireStaged()) return -1;
    pending_ -= slot.num;
    result = 1;
  } else if (slot.time_units != 0 && slot.last_pos >= 0) {
    // The chain runs back from the newest unit; units are appended in
    // order, so a prevPos that does not go back is damage and ends it.
    std::vector<TimerLogUnit> units;
    for (int64_t pos = slot.last_pos; pos >= 0;) {
      if (pos < log_->MinOffset()) break;  // cleanup took the file (see Cleanup)
      auto unit = log_->ReadUnit(pos);
      if (!unit.ok()) {
        StoreLog(LogLevel::kError, "timer store: slot " + std::to_string(read) + ": " + unit.error().ToString());
        break;
      }
      units.push_back(*unit);
      if (unit->prev_pos >= pos) break;
      pos = unit->prev_pos;
    }
    std::reverse(units.begin(), units.end());
    if (!FireUnits(read, units)) return -1;
    pending_ -= slot.num;
    result = 1;
  }
  curr_read_time_ms_.store(read + options_.precision_ms, std::memory_order_release);
  commit_read_time_ms_.store(read + options_.precision_ms, std::memory_order_release);
  return result;
}

Status TimerMessageStore::RunDue() {
  auto enqueued = EnqueueOnce();
  if (!enqueued.ok()) return enqueued.error();
  while (DequeueOnce() >= 0) {
  }
  return Status::Ok();
}

// Delete markers first (their keys), then the rest in append order (dequeue).
bool TimerMessageStore::FireUnits(int64_t slot_ms, const std::vector<TimerLogUnit>& units) {
  std::unordered_set<std::string> deletes;
  for (const TimerLogUnit& u : units) {
    if (!u.deletes() || u.roll()) continue;
    auto record = commit_log_.LookMessage(u.offset_py);
    if (!record.ok()) continue;
    if (auto key = record->message.properties().Get(property::kTimerDelUniqKey)) deletes.emplace(*key);
  }
  for (const TimerLogUnit& u : units) {
    if (u.deletes() && !u.roll()) continue;  // a marker is never put
    if (Deliver(Request{u.offset_py, u.size_py, u.write_time_ms, u.magic}, &deletes) == Outcome::kGaveUp) {
      StoreLog(LogLevel::kWarn, "timer store: slot " + std::to_string(slot_ms) +
                                    " stopped before all its timers were re-put; it fires again");
      return false;
    }
  }
  return true;
}

TimerMessageStore::Outcome TimerMessageStore::Deliver(const Request& request,
                                                      const std::unordered_set<std::string>* deletes) {
  auto record = commit_log_.LookMessage(request.offset_py);
  if (!record.ok()) {
    // Cleanup deleted the record under a pending timer, or damage.
    StoreLog(LogLevel::kWarn, "timer store: dropping the timer at commit-log offset " +
                                  std::to_string(request.offset_py) + ": " + record.error().ToString());
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return Outcome::kDropped;
  }
  const MessageRecordView& m = record->message;
  const FiredTimerProperties props = FiredTimerProperties::Of(m.properties());
  const bool roll = (request.magic & kTimerMagicRoll) != 0;
  const std::string_view real_topic = props.real_topic;
  if (request.enqueue_time_ms != INT64_MAX) metrics_->Add(real_topic, -1, clock_.WallMillis());
  if (!roll && props.del_key) return Outcome::kCancelled;  // a marker is never put
  if (deletes && !deletes->empty()) {
    std::string key(real_topic);
    key += '+';
    key += props.uniq;
    if (deletes->count(key) != 0) {
      cancelled_.fetch_add(1, std::memory_order_relaxed);
      return Outcome::kCancelled;
    }
  }
  const int64_t now = clock_.WallMillis();
  const auto real_qid = ParseTimerLong(props.real_qid);
  const bool built = BuildFiredProperties(m.properties(), props, request.enqueue_time_ms, now, roll, reput_properties_);
  if (!built || (!roll && (real_topic.empty() || !real_qid))) {
    StoreLog(LogLevel::kWarn, "timer store: dropping the timer at commit-log offset " +
                                  std::to_string(request.offset_py) + ": " +
                                  (built ? "no REAL_TOPIC/REAL_QID" : "its properties cannot be written again"));
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return Outcome::kDropped;
  }
  const Message out =
      FiredMessage(m, props, roll, roll ? 0 : static_cast<int32_t>(*real_qid), reput_properties_);
  bool gave_up = false;
  const PutResult r = PutWithRetries(out, gave_up);
  if (gave_up) return Outcome::kGaveUp;
  if (!r.ok()) {
    StoreLog(LogLevel::kWarn, "timer store: dropping the timer at commit-log offset " +
                                  std::to_string(request.offset_py) + ": re-put answered " +
                                  std::string(PutStatusName(r.status)) + (r.reason.empty() ? "" : " (" + r.reason + ")"));
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return Outcome::kDropped;
  }
  if (roll) {
    rolled_.fetch_add(1, std::memory_order_relaxed);
    return Outcome::kRolled;
  }
  fired_.fetch_add(1, std::memory_order_relaxed);
  if (auto out_ms = ParseTimerLong(props.out_ms))
    lateness_ms_.Record(static_cast<uint64_t>(std::max<int64_t>(0, now - *out_ms)));
  return Outcome::kDelivered;
}

// The dequeue-put service's status rules: retryable statuses every 500 x p / 1000 ms, three
// tries unless timerEnableRetryUntilSuccess; unknown ones retried unless
// timerSkipUnknownError. A stop while retrying gives up the slot
// (`gave_up`), which fires again later.
PutResult TimerMessageStore::PutWithRetries(const Message& message, bool& gave_up) {
  const int64_t pause_ms = std::max<int64_t>(1, 500 * options_.precision_ms / 1000);
  for (int tries = 1;; ++tries) {
    PutResult r = reput_(message);
    PutVerdict v = Classify(r.status);
    if (v == PutVerdict::kUnknown) v = options_.skip_unknown_error ? PutVerdict::kDrop : PutVerdict::kRetry;
    if (v != PutVerdict::kRetry) return r;
    if (tries >= kReputTries && !options_.retry_until_success) return r;
    if (Stopping()) {
      gave_up = true;
      return r;
    }
    std::unique_lock lock(wait_mu_);
    clock_.Pause(pause_ms, wait_cv_, lock, [this] { return Stopping(); });
  }
}

// The checkpoint's values are taken first, then the timer log and the
// wheel are synced, then the checkpoint written: it never claims more than
// is on disk (RocketMQ prepares it first and relies on the rescan). Only
// the taking holds the steps' lock: the syncs (tens of ms, more while the
// commit log is being written) run beside the enqueue and firing, so a
// slot never waits for them.
Status TimerMessageStore::FlushOnce() {
  std::lock_guard flush_lock(flush_mu_);
  int64_t read_time = 0, queue_offset = 0;
  std::optional<std::string> metrics;
  TimerWheel* wheel = nullptr;
  {
    std::lock_guard lock(mu_);
    if (!has_files()) return Status::Ok();
    read_time = commit_read_time_ms_.load(std::memory_order_acquire);
    queue_offset = commit_queue_offset_.load(std::memory_order_acquire);
    metrics = metrics_->TakeChange(clock_.WallMillis());
    std::lock_guard wheel_lock(wheel_mu_);
    wheel = wheel_.get();  // set once, never replaced
  }
  // Units below the taken queue offset were appended before it was taken:
  // the sync covers them.
  MQ_RETURN_IF_ERROR(log_->Flush());
  MQ_RETURN_IF_ERROR(wheel->Flush());
  TimerCheckpoint& cp = checkpoint_->mutable_value();
  cp.last_timer_log_flush_pos = log_->FlushedWhere();
  cp.last_read_time_ms = read_time;
  if (options_.master) {
    if (cp.master_timer_queue_offset != queue_offset) {
      cp.master_timer_queue_offset = queue_offset;
      cp.data_version_counter++;
      cp.data_version_timestamp = clock_.WallMillis();
    }
  }
  cp.last_timer_queue_offset = std::min(queue_offset, cp.master_timer_queue_offset);
  MQ_RETURN_IF_ERROR(checkpoint_->Flush());
  if (metrics) {
    if (Status st = metrics_->Write(*metrics); !st.ok()) {
      std::lock_guard lock(mu_);
      metrics_->MarkDirty();
      return st;
    }
  }
  flushes_.fetch_add(1, std::memory_order_relaxed);
  return Status::Ok();
}

Result<size_t> TimerMessageStore::Cleanup(int64_t commit_log_min_offset) {
  std::lock_guard lock(mu_);
  if (!has_files()) return size_t{0};
  const int64_t last_unit = TimerLogLastUnitOffset(log_->file_size());
  auto removed = log_->RemoveFilesWhile([&](const Segment& f) {
    auto entry = DecodeTimerLogEntry(std::span<const uint8_t>(f.data()).subspan(static_cast<size_t>(last_unit)));
    if (!entry.ok() || !std::holds_alternative<TimerLogUnit>(*entry)) return false;
    return std::get<TimerLogUnit>(*entry).offset_py < commit_log_min_offset;
  });
  if (removed.ok() && *removed > 0)
    StoreLog(LogLevel::kInfo, "timer store: deleted " + std::to_string(*removed) +
                                  " timer-log files whose records the commit log no longer holds");
  return removed;
}

bool TimerMessageStore::IsSlotCongested(int64_t deliver_ms) const {
  if (options_.congest_num_each_slot == INT32_MAX) return false;
  std::lock_guard lock(wheel_mu_);
  if (!wheel_) return false;
  return wheel_->GetSlot(deliver_ms).num >= options_.congest_num_each_slot;
}

int64_t TimerMessageStore::PendingCount() const { return pending_.load(std::memory_order_acquire); }

TimerCheckpoint TimerMessageStore::checkpoint() const {
  std::lock_guard lock(flush_mu_);
  return checkpoint_->value();
}

TimerStats TimerMessageStore::Stats() const {
  TimerStats s;
  s.files = has_files();
  s.pending = PendingCount();
  s.enqueued = enqueued_.load(std::memory_order_relaxed);
  s.fired = fired_.load(std::memory_order_relaxed);
  s.cancelled = cancelled_.load(std::memory_order_relaxed);
  s.rolled = rolled_.load(std::memory_order_relaxed);
  s.dropped = dropped_.load(std::memory_order_relaxed);
  s.overdue_fired = overdue_fired_.load(std::memory_order_relaxed);
  s.curr_read_time_ms = curr_read_time_ms();
  s.curr_write_time_ms = curr_write_time_ms();
  s.curr_queue_offset = curr_queue_offset();
  s.timer_log_max_offset = log_->MaxOffset();
  s.lateness_ms = lateness_ms_.Take();
  return s;
}

}  // namespace mqstore
