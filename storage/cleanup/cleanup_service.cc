#include "storage/cleanup/cleanup_service.h"

#include "storage/store_log.h"

namespace mqstore {
namespace {

std::string Hours(int64_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f h", static_cast<double>(ms) / 3600000.0);
  return buf;
}

}  // namespace

DiskUseProbe SystemDiskUse(FileSystem& fs) {
  // A directory not made yet (consumequeue/ before the first queue) is on
  // its parent's partition: weigh the nearest one that exists.
  return [&fs](const std::string& dir) {
    // Up the path it names, not into the working directory ("a" alone
    // has no parent here). No copy while the directory exists: limit
    // rounds weigh the disk each time the log grows.
    std::string parent;
    for (const std::string* d = &dir;; d = &(parent = ParentPath(*d))) {
      if (fs.Exists(*d)) {
        auto space = fs.SpaceOf(*d);
        return space.ok() ? DiskUsedRatio(*space) : -1.0;
      }
      if (d->find('/') == std::string::npos) return -1.0;
    }
  };
}

Result<CleanupOptions> CleanupOptions::From(const StoreConfig& c, const std::string& commit_log_dir,
                                            const std::string& queue_dir) {
  auto policy = CleanupPolicy::From(c);
  if (!policy.ok()) return policy.error();
  CleanupOptions o;
  o.policy = std::move(*policy);
  o.interval_ms = std::max(c.cleanResourceInterval, 1);
  o.delete_interval_ms = c.deleteCommitLogFilesInterval;
  o.queue_delete_interval_ms = c.deleteConsumeQueueFilesInterval;
  o.force_release_ms = c.destroyMapedFileIntervalForcibly;
  o.manual_rounds = c.manualDeleteFileSeveralTimes;
  o.commit_log_dir = commit_log_dir;
  o.queue_dir = queue_dir;
  return o;
}

CleanupService::CleanupService(const Env& env, CommitLog& log, ConsumeQueueStore& queues, IndexService* index,
                               CleanupOptions options, DiskUseProbe disk_used)
    : fs_(env.fs()),
      log_(log),
      queues_(queues),
      index_(index),
      clock_(env.clock()),
      options_(std::move(options)),
      disk_used_(std::move(disk_used)),
      retired_(options_.force_release_ms) {}

CleanupService::~CleanupService() { Stop(); }

void CleanupService::Start() {
  if (thread_.joinable()) return;
  {
    // A store opened on a full disk refuses puts from the start, not from
    // the first round.
    std::lock_guard round(round_mu_);
    DecideNow(clock_.WallMillis());
  }
  {
    std::lock_guard lock(stop_mu_);
    stopping_ = false;
  }
  // A store opened past a hard limit (a lowered maxStoreSizeBytes, a full
  // disk) gets back under it at once, not one interval later.
  wake_pending_.store(true, std::memory_order_release);
  thread_ = std::thread([this] { Loop(); });
}

void CleanupService::Stop() {
  {
    std::lock_guard lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void CleanupService::WakeForLimits() {
  if (wake_pending_.exchange(true, std::memory_order_acq_rel)) return;
  // Through the mutex: the thread cannot be between its check of the flag
  // and its wait, so the notification is not lost.
  { std::lock_guard lock(stop_mu_); }
  stop_cv_.notify_all();
}

// Full rounds on the interval (the clock's monotonic time), limit rounds in
// between whenever the log grew.
void CleanupService::Loop() {
  NameThisThread("mq-cleanup");
  const int64_t interval_ns = options_.interval_ms * 1000000;
  int64_t next_round = clock_.MonotonicNanos() + interval_ns;
  std::unique_lock lock(stop_mu_);
  while (true) {
    clock_.WaitUntil(stop_cv_, lock, next_round,
                     [this] { return stopping_ || wake_pending_.load(std::memory_order_acquire); });
    if (stopping_) return;
    const bool round_due = clock_.MonotonicNanos() >= next_round;
    lock.unlock();
    Status st = round_due ? RunOnce() : RunLimitsOnce();
    if (!st.ok()) StoreLog(LogLevel::kError, "cleanup: " + st.ToString());
    if (round_due) next_round = clock_.MonotonicNanos() + interval_ns;
    lock.lock();
  }
}

bool CleanupService::StopRequested() {
  std::lock_guard lock(stop_mu_);
  return stopping_;
}

void CleanupService::Pause(int64_t ms) {
  // A wake-up is pending: the caller checks the hard limits first.
  if (ms <= 0 || wake_pending_.load(std::memory_order_acquire)) return;
  std::unique_lock lock(stop_mu_);
  clock_.Pause(ms, stop_cv_, lock, [this] { return stopping_ || wake_pending_.load(std::memory_order_acquire); });
}

Status CleanupService::RunOnce() {
  std::lock_guard round(round_mu_);
  wake_pending_.store(false, std::memory_order_release);  // this round checks the limits first
  const int64_t now = clock_.WallMillis();
  round_manual_ = TakeManualRound();
  CleanupDecision d = DecideNow(now);
  bool hard = false;
  Status st = EnforceLimits(d, now, hard);
  if (st.ok()) st = DeleteExpired(d, now, hard);
  // Queue pauses would hold the next limit round back behind this one.
  if (st.ok()) st = CleanQueuesAndIndex(log_.MinOffset(), now, /*paced=*/!hard);
  Sweep(clock_.WallMillis());
  return EndRound(std::move(st), /*limit_round=*/false);
}

Status CleanupService::RunLimitsOnce() {
  std::lock_guard round(round_mu_);
  wake_pending_.store(false, std::memory_order_release);
  const int64_t now = clock_.WallMillis();
  round_manual_ = false;
  CleanupDecision d = DecideNow(now);
  bool deleted = false;
  Status st = EnforceLimits(d, now, deleted);
  if (st.ok()) st = CleanQueuesAndIndex(log_.MinOffset(), now, /*paced=*/false);
  Sweep(clock_.WallMillis());
  return EndRound(std::move(st), /*limit_round=*/true);
}

Status CleanupService::EndRound(Status st, bool limit_round) {
  deleting_.store(false, std::memory_order_relaxed);
  std::lock_guard lock(mu_);
  ++(limit_round ? stats_.limit_rounds : stats_.rounds);
  if (!st.ok()) {
    ++stats_.errors;
    stats_.last_error = st.ToString();
  }
  return st;
}

void CleanupService::Sweep(int64_t now) {
  const RetiredFiles::SweepResult swept = retired_.Sweep(now);
  std::lock_guard lock(mu_);
  stats_.files_released_forcibly += swept.forced;
  stats_.files_held_by_readers = retired_.held();
}

// One manual round used up per round, as RocketMQ counts them.
bool CleanupService::TakeManualRound() {
  int32_t left = manual_rounds_left_.load(std::memory_order_acquire);
  while (left > 0 && !manual_rounds_left_.compare_exchange_weak(left, left - 1)) {
  }
  return left > 0;
}

CleanupDecision CleanupService::DecideNow(int64_t now) {
  CleanupInputs in;
  in.local_hour = clock_.LocalHour(now);
  in.commit_log_used = disk_used_(options_.commit_log_dir);
  in.queue_used = disk_used_(options_.queue_dir);
  in.manual = round_manual_;
  in.was_disk_full = disk_full();
  CleanupDecision d = Decide(options_.policy, in);
  if (d.disk_full != in.was_disk_full) {
    StoreLog(d.disk_full ? LogLevel::kError : LogLevel::kInfo,
             d.disk_full ? "cleanup: disk full, refusing puts: " + d.why
                         : "cleanup: disk use is back under diskSpaceCleanForciblyRatio, accepting puts");
  }
  std::lock_guard lock(mu_);
  disk_full_reason_ = d.disk_full ? "disk full: " + d.why : "";
  disk_full_.store(d.disk_full, std::memory_order_release);
  stats_.disk_full = d.disk_full;
  stats_.commit_log_disk_used = in.commit_log_used;
  stats_.queue_disk_used = in.queue_used;
  return d;
}

// A hard limit is not paced: a writer refills a limit faster than pauses
// and batches let deletion go. Oldest first, never the newest, stopping at
// one that cannot go yet (not flushed: the limit round its sync wakes).
Status CleanupService::EnforceLimits(CleanupDecision& d, int64_t now, bool& deleted) {
  const CleanupPolicy& p = options_.policy;
  const int64_t segment_size = log_.options().segment_size;
  while (!StopRequested()) {
    const size_t count = log_.SegmentCount();
    std::shared_ptr<Segment> oldest = log_.OldestSegment();
    if (oldest == nullptr || count < 2) break;
    const bool over_size = p.max_store_bytes > 0 && static_cast<int64_t>(count) * segment_size > p.max_store_bytes;
    if (!over_size && !d.clean_at_once) break;
    auto info = fs_.Stat(oldest->path());
    if (!info.ok()) return info.error();
    // Above the forcing ratio every segment may go; one that has expired
    // counts under the round's reason, as RocketMQ counts it.
    const DeleteReason reason =
        over_size ? DeleteReason::kSize : JudgeSegment(p, d, info->mtime_ms, now).reason;
    Status st = DeleteOne(oldest, reason, info->mtime_ms, now);
    if (st.code() == StatusCode::kBusy) break;
    MQ_RETURN_IF_ERROR(st);
    deleted = true;
    if (!over_size) {
      // Weigh the disk again once what the deletion frees is free: the
      // queue and index files it orphaned, the file's own blocks.
      MQ_RETURN_IF_ERROR(CleanQueuesAndIndex(log_.MinOffset(), now, /*paced=*/false));
      Sweep(now);
      d = DecideNow(now);
    }
  }
  return Status::Ok();
}

// Expired segments (a deleteWhen hour, the disk above
// diskMaxUsedSpaceRatio, a manual request), paced as RocketMQ paces them.
Status CleanupService::DeleteExpired(CleanupDecision& d, int64_t now, bool& hard_deleted) {
  const CleanupPolicy& p = options_.policy;
  for (int deleted = 0; deleted < p.batch_max;) {
    std::shared_ptr<Segment> s = log_.OldestSegment();
    if (s == nullptr || log_.SegmentCount() < 2) break;  // never the newest
    auto info = fs_.Stat(s->path());
    if (!info.ok()) return info.error();
    const SegmentVerdict v = JudgeSegment(p, d, info->mtime_ms, now);
    if (!v.delete_now) break;  // no holes
    if (deleted > 0) Pause(options_.delete_interval_ms);
    if (StopRequested()) break;  // the rest waits for the next open
    if (wake_pending_.exchange(false, std::memory_order_acq_rel)) {
      // The log grew during the pause: its limits first, then look again.
      MQ_RETURN_IF_ERROR(EnforceLimits(d, now, hard_deleted));
      continue;
    }
    Status st = DeleteOne(s, v.reason, info->mtime_ms, now);
    if (st.code() == StatusCode::kBusy) break;  // still being written: a later round
    MQ_RETURN_IF_ERROR(st);
    ++deleted;
  }
  return Status::Ok();
}

Status CleanupService::DeleteOne(const std::shared_ptr<Segment>& s, DeleteReason reason, int64_t mtime, int64_t now) {
  deleting_.store(true, std::memory_order_relaxed);
  auto removed = log_.RemoveOldestSegment(s->start_offset());
  if (!removed.ok()) return removed.error();
  StoreLog(LogLevel::kInfo, "cleanup: deleted commit-log segment " + s->path() + " (" +
                                std::string(DeleteReasonName(reason)) + ", last written " + Hours(now - mtime) +
                                " ago, fileReservedTime " + Hours(options_.policy.file_reserved_ms) + ")");
  retired_.Add(std::move(*removed), now);
  std::lock_guard lock(mu_);
  ++stats_.segments_deleted[static_cast<size_t>(reason)];
  stats_.bytes_deleted += static_cast<uint64_t>(s->size());
  return Status::Ok();
}

Status CleanupService::CleanQueuesAndIndex(int64_t log_min, int64_t now, bool paced) {
  if (log_min <= cleaned_below_) return Status::Ok();
  uint64_t queue_files = 0;
  for (ConsumeQueue* q : queues_.All()) {
    auto removed = q->DeleteFilesBelow(log_min);
    if (!removed.ok()) return removed.error();
    if (removed->empty()) continue;
    for (const auto& f : *removed)
      StoreLog(LogLevel::kInfo, "cleanup: deleted consume-queue file " + f->path() +
                                    " (its last unit is below the commit log's min offset " +
                                    std::to_string(log_min) + ")");
    queue_files += removed->size();
    retired_.Add(std::move(*removed), now);
    if (paced) Pause(options_.queue_delete_interval_ms);
  }
  queues_.CorrectMinOffset(log_min);
  size_t index_files = 0;
  if (index_ != nullptr) {
    auto n = index_->DeleteFilesBelow(log_min);
    if (!n.ok()) return n.error();
    index_files = *n;
  }
  cleaned_below_ = log_min;
  std::lock_guard lock(mu_);
  stats_.queue_files_deleted += queue_files;
  stats_.index_files_deleted += index_files;
  return Status::Ok();
}

std::string CleanupService::disk_full_reason() const {
  std::lock_guard lock(mu_);
  return disk_full_reason_;
}

CleanupStats CleanupService::Stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace mqstore
