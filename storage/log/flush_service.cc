#include "storage/log/flush_service.h"

#include <algorithm>
#include <chrono>

#include "storage/store_log.h"

namespace mqstore {
namespace {

constexpr int kStopFlushRounds = 10;  // as RocketMQ's services on shutdown

constexpr int64_t kNsPerMs = 1000000;

}  // namespace

// A put waiting for the flushed position to pass `end`. Completed exactly
// once, by whoever removed it from the queue (under mu_), outside the lock.
struct FlushService::Waiter {
  PutResult result;
  int64_t end = 0;
  int64_t deadline_ms = 0;
  uint32_t wake_word = 0;  // the wake word a blocking put sleeps on (set under mu_)
  virtual ~Waiter() = default;
  // Whether the put sleeps on its wake word (and must be woken once completed).
  virtual bool sleeps() const { return false; }
  virtual void Complete(PutStatus status, std::string reason) = 0;
};

// Sleeps on one of the service's wake words, shared by the puts that were
// queued between the same two answers: the flush thread wakes them all with
// one system call after completing them (CompleteAndWake), not one a put.
struct FlushService::BlockingWaiter final : Waiter {
  std::atomic<uint32_t> done{0};
  bool sleeps() const override { return true; }
  void Complete(PutStatus status, std::string reason) override {
    result.status = status;
    result.reason = std::move(reason);
    done.store(1, std::memory_order_release);  // from here on the put may return: nothing of it is touched
  }
  // Waits for Complete() and the wake that follows it, or the deadline (on
  // `clock`'s monotonic scale, in ms; Clock::kNever: no deadline); false on
  // timeout. A wake meant for other puts on the same word only loops.
  bool WaitUntil(Clock& clock, std::atomic<uint32_t>& word, int64_t deadline_ms) {
    const int64_t deadline_ns = deadline_ms == Clock::kNever ? Clock::kNever : deadline_ms * kNsPerMs;
    while (done.load(std::memory_order_acquire) == 0) {
      if (clock.MonotonicNanos() >= deadline_ns) return false;
      // The word before `done`: a completion after this read changes the
      // word before its wake, so the wait below cannot miss it.
      const uint32_t seen = word.load(std::memory_order_acquire);
      if (done.load(std::memory_order_acquire) != 0) break;
      clock.WaitOnWord(word, seen, deadline_ns);
    }
    return true;
  }
};

struct FlushService::CallbackWaiter final : Waiter {
  PutCallback done;
  void Complete(PutStatus status, std::string reason) override {
    result.status = status;
    result.reason = std::move(reason);
    done(std::move(result));
    delete this;
  }
};

FlushService::FlushService(CommitLog& log, StoreCheckpoint& checkpoint, std::unique_ptr<IoQueue> io, Clock& clock,
                           Options options)
    : log_(log), checkpoint_(checkpoint), io_(std::move(io)), clock_(clock), options_(options) {}

FlushService::~FlushService() {
  if (Status st = Stop(); !st.ok()) StoreLog(LogLevel::kError, "final commit-log flush failed: " + st.ToString());
}

void FlushService::Start() {
  std::lock_guard lock(mu_);
  if (running_ || stop_) return;
  running_ = true;
  thread_ = std::thread([this] {
    NameThisThread("mq-flush");
    Run();
  });
}

Status FlushService::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stop_) return stop_status_;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) {
    thread_.join();  // the thread flushed everything on its way out
  } else {
    std::lock_guard inline_lock(inline_mu_);
    Status st = FlushEverything();
    AnswerAll();
    std::lock_guard lock(mu_);
    stop_status_ = st;
  }
  std::lock_guard lock(mu_);
  return stop_status_;
}

int64_t FlushService::NowMs() const { return clock_.MonotonicMillis(); }

void FlushService::Wakeup(bool commit) {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
    if (commit) commit_now_ = true;
  }
  cv_.notify_one();
}

void FlushService::CommitSoon() { Wakeup(/*commit=*/true); }

void FlushService::OnAppend() {
  if (!options_.sync_flush && !options_.timed) Wakeup(false);
}

// ---- waiting puts ----------------------------------------------------------

bool FlushService::Enqueue(Waiter* w) {
  const int64_t end = w->result.wrote_offset + w->result.wrote_bytes;
  w->end = end;
  w->deadline_ms = NowMs() + options_.sync_flush_timeout_ms;
  if (log_.FlushedOffset() >= end) return false;  // already durable
  bool wake;
  {
    std::lock_guard lock(mu_);
    if (!running_ || stop_) return false;
    w->wake_word = answers_ % kWakeWords;
    waiters_.push_back(w);
    wake = hold_for_ == 0 || waiters_.size() >= hold_for_;
  }
  if (wake) cv_.notify_one();
  return true;
}

bool FlushService::RemoveIfQueued(Waiter* w) {
  std::lock_guard lock(mu_);
  auto it = std::find(waiters_.begin(), waiters_.end(), w);
  if (it == waiters_.end()) return false;
  waiters_.erase(it);
  return true;
}

// A put that could not be queued (flushed already, or no flush thread): its
// outcome is what the log says now.
PutResult FlushService::DecideNow(PutResult put) const {
  if (log_.FlushedOffset() >= put.wrote_offset + put.wrote_bytes) return put;
  put.status = PutStatus::kServiceNotAvailable;
  put.reason = "the flush service has stopped before the put was flushed";
  return put;
}

PutResult FlushService::WaitDurable(PutResult put) {
  BlockingWaiter w;
  w.result = std::move(put);
  if (!Enqueue(&w)) return DecideNow(std::move(w.result));
  std::atomic<uint32_t>& word = wake_words_[w.wake_word];
  if (!w.WaitUntil(clock_, word, w.deadline_ms) && RemoveIfQueued(&w)) {
    wait_timeouts_.fetch_add(1, std::memory_order_relaxed);
    w.result.status = PutStatus::kFlushDiskTimeout;
    w.result.reason = "not flushed within syncFlushTimeout";
    return std::move(w.result);
  }
  // The flush thread took it: it completes it imminently.
  w.WaitUntil(clock_, word, Clock::kNever);
  return std::move(w.result);
}

void FlushService::WaitDurableAsync(PutResult put, PutCallback done) {
  auto* w = new CallbackWaiter;
  w->result = std::move(put);
  w->done = std::move(done);
  if (Enqueue(w)) return;
  PutCallback cb = std::move(w->done);
  PutResult r = DecideNow(std::move(w->result));
  delete w;
  cb(std::move(r));
}

// Completes every waiter whose end is durable, and those past their deadline.
size_t FlushService::AnswerWaiters() {
  const int64_t flushed = log_.FlushedOffset();
  const int64_t now = NowMs();
  std::vector<Waiter*> durable, late;
  {
    std::lock_guard lock(mu_);
    // Past its deadline is late even if durable by now: the answer a
    // blocking put got at its deadline, so both kinds of put agree.
    auto keep = std::partition(waiters_.begin(), waiters_.end(), [&](Waiter* w) {
      if (w->deadline_ms <= now) late.push_back(w);
      else if (w->end <= flushed) durable.push_back(w);
      else return true;
      return false;
    });
    waiters_.erase(keep, waiters_.end());
    if (!durable.empty() || !late.empty()) ++answers_;  // puts queued from now on sleep on the next word
  }
  if (!durable.empty()) {
    group_commits_.fetch_add(1, std::memory_order_relaxed);
    waits_completed_.fetch_add(durable.size(), std::memory_order_relaxed);
  }
  wait_timeouts_.fetch_add(late.size(), std::memory_order_relaxed);
  CompleteAndWake(durable, PutStatus::kPutOk, {});
  CompleteAndWake(late, PutStatus::kFlushDiskTimeout, "not flushed within syncFlushTimeout");
  return durable.size();
}

// Completes `ws`, then wakes the blocking ones: one FUTEX_WAKE for each
// wake word they sleep on. Waking sixty puts one by one costs the flush
// thread sixty system calls (~4 us each on a 2-core VM) while the disk idles.
void FlushService::CompleteAndWake(const std::vector<Waiter*>& ws, PutStatus status, const std::string& reason) {
  uint32_t words = 0;  // a bit per wake word
  for (Waiter* w : ws) {
    if (w->sleeps()) words |= 1u << w->wake_word;  // before Complete: the put may return at once
    w->Complete(status, reason);
  }
  for (uint32_t i = 0; i < kWakeWords; ++i) {
    if ((words & (1u << i)) == 0) continue;
    wake_words_[i].fetch_add(1, std::memory_order_release);
    Clock::WakeAllOnWord(wake_words_[i]);
  }
}

// On stop or after a failed sync: whatever is durable is answered PUT_OK,
// the rest SERVICE_NOT_AVAILABLE.
void FlushService::AnswerAll() {
  AnswerWaiters();
  std::vector<Waiter*> rest;
  {
    std::lock_guard lock(mu_);
    rest.swap(waiters_);
  }
  const std::string why = log_.writeable() ? "the store stopped before the put was flushed"
                                           : "the commit log is not writeable after an I/O error";
  CompleteAndWake(rest, PutStatus::kServiceNotAvailable, why);
}

// ---- I/O -------------------------------------------------------------------

// By pwrite on this thread, not through io_uring: a commit is waited for at
// once (the ring's bytes must stay put until written), so the ring could
// only add a hand-off, and ext4 has no non-blocking buffered writes, so
// io_uring gives each to a worker thread (80 us against 15 us for 32 KiB
// on a 2-core VM).
Status FlushService::CommitRing() {
  auto range = log_.Commit(*blocking_io_);
  if (!range.ok()) return range.error();
  if (range->to > range->from) {
    commits_.fetch_add(1, std::memory_order_relaxed);
    bytes_committed_.fetch_add(static_cast<uint64_t>(range->to - range->from), std::memory_order_relaxed);
  }
  return Status::Ok();
}

// Starts a sync: commits, plans the files holding unflushed bytes (with
// `least_pages` as flushCommitLogLeastPages) and queues their fdatasyncs.
// False when there is nothing to sync.
Result<bool> FlushService::BeginSync(int least_pages, InflightSync& sync, IoQueue& sync_io) {
  const CommitLog::WriteMark mark = log_.MarkNow();
  MQ_RETURN_IF_ERROR(CommitRing());
  log_.PlanSync(mark, least_pages, sync.plan);
  sync.tickets.clear();
  if (sync.plan.files.empty()) {
    log_.SyncDone(sync.plan);  // only whole segments already synced
    return false;
  }
  sync.began_ns = clock_.MonotonicNanos();
  sync.io = &sync_io;
  // Each file from what an earlier sync covered to the plan's position: not
  // the pages the allocator faulted in past the writer (DataSyncRange).
  for (const auto& f : sync.plan.files) {
    const int64_t from = std::min(f.segment->flushed(), f.position);
    sync.tickets.push_back(sync_io.DataSyncRange(f.segment->file(), static_cast<uint64_t>(from),
                                              static_cast<uint64_t>(f.position - from)));
  }
  return true;
}

// Waits for the sync and records it: the flushed position moves.
Status FlushService::FinishSync(InflightSync& sync) {
  Status failed;
  for (uint64_t t : sync.tickets) {
    Status st = sync.io->Wait(t);
    if (!st.ok() && failed.ok()) failed = st;
  }
  if (!failed.ok()) {
    log_.SyncFailed(failed);
    return failed;
  }
  syncs_.fetch_add(sync.plan.files.size(), std::memory_order_relaxed);
  sync_latency_us_.Record(static_cast<uint64_t>(std::max<int64_t>(0, clock_.MonotonicNanos() - sync.began_ns) / 1000));
  log_.SyncDone(sync.plan);
  if (sync.plan.store_timestamp > 0) checkpoint_.set_physic_msg_timestamp(sync.plan.store_timestamp);
  sync.plan.files.clear();  // unpins the segments; keeps the capacity
  return Status::Ok();
}

// One flush round, start to end. True when it synced something.
Result<bool> FlushService::FlushRound(int least_pages) {
  auto begun = BeginSync(least_pages, current_sync_, *io_);
  if (!begun.ok() || !*begun) return begun;
  MQ_RETURN_IF_ERROR(FinishSync(current_sync_));
  return true;
}

// ASYNC_FLUSH: asks the kernel to start writing back committed whole pages
// that no sync has covered yet, so the interval's fdatasync finds them
// (mostly) clean. Pages the writer may still touch are left alone: writing
// them back early would make its next store fault again.
void FlushService::StartWriteback() {
  if (!options_.start_writeback) return;
  const int64_t flushed = std::max(log_.FlushedOffset(), writeback_from_);
  std::shared_ptr<Segment> segment = log_.SegmentFor(flushed);
  if (!segment) return;
  const int64_t from = (flushed - segment->start_offset()) / kWritebackPage * kWritebackPage;
  const int64_t to = segment->committed() / kWritebackPage * kWritebackPage;
  if (to - from < kWritebackMinBytes) return;
  const uint64_t ticket =
      io_->StartWriteback(segment->file(), static_cast<uint64_t>(from), static_cast<uint64_t>(to - from));
  if (Status st = io_->Wait(ticket); !st.ok()) {
    StoreLog(LogLevel::kWarn, "sync_file_range: " + st.ToString());
    return;
  }
  writeback_from_ = segment->start_offset() + to;
}

Status FlushService::WriteCheckpoint() {
  last_checkpoint_ms_ = NowMs();
  return checkpoint_.Flush(*io_);
}

void FlushService::MaybeWriteCheckpoint(bool moved) {
  if (!moved || NowMs() - last_checkpoint_ms_ < 1000) return;
  if (Status st = WriteCheckpoint(); !st.ok()) StoreLog(LogLevel::kError, "checkpoint flush failed: " + st.ToString());
}

// Everything appended so far, then the checkpoint.
Status FlushService::FlushEverything() {
  for (int i = 0; i < kStopFlushRounds; ++i) {
    auto round = FlushRound(0);
    if (!round.ok()) return round.error();
    if (log_.FlushedOffset() >= log_.WroteOffset()) break;
  }
  return WriteCheckpoint();
}

Status FlushService::FlushAll() {
  std::unique_lock lock(mu_);
  if (!running_) {
    lock.unlock();
    std::lock_guard inline_lock(inline_mu_);  // no flush thread uses the queue now
    return FlushEverything();
  }
  if (stop_) {  // the thread is on its final flush
    flush_all_cv_.wait(lock, [&] { return !running_; });
    return stop_status_;
  }
  const uint64_t ticket = ++flush_all_requested_;
  cv_.notify_one();
  flush_all_cv_.wait(lock, [&] { return flush_all_done_ >= ticket || !running_; });
  return flush_all_done_ >= ticket ? flush_all_status_ : stop_status_;
}

// ---- the thread ------------------------------------------------------------

void FlushService::Run() {
  int64_t next_flush = NowMs() + options_.interval_ms;
  int64_t next_commit = NowMs() + options_.commit_interval_ms;
  int64_t last_thorough = NowMs();
  std::unique_lock lock(mu_);
  while (!stop_) {
    const bool waiting_puts = !waiters_.empty();
    const bool flush_all = flush_all_requested_ > flush_all_done_;
    if (!waiting_puts && !flush_all) {
      const int64_t wake_at = log_.has_append_ring() ? std::min(next_flush, next_commit) : next_flush;
      const auto pending = [&] {
        return stop_ || !waiters_.empty() || flush_all_requested_ > flush_all_done_ || commit_now_ ||
               (woken_ && !options_.timed);
      };
      clock_.WaitUntil(cv_, lock, wake_at * kNsPerMs, pending);
      if (stop_) break;
    }
    const uint64_t flush_all_ticket = flush_all_requested_;
    const bool woken = woken_, commit_now = commit_now_;
    woken_ = commit_now_ = false;
    const bool group = !waiters_.empty() || flush_all_ticket > flush_all_done_;
    lock.unlock();

    const int64_t now = NowMs();
    if (group) {
      GroupCommit(flush_all_ticket);
      // It synced everything appended before it began: the flush interval
      // starts again from then (else a flush that fell due meanwhile would
      // run at once after it).
      next_flush = now + options_.interval_ms;
    } else {
      if (log_.has_append_ring() && (commit_now || now >= next_commit)) {
        next_commit = now + options_.commit_interval_ms;
        LogIfFailed(CommitRing(), "commit");
        StartWriteback();
      }
      if (now >= next_flush || (woken && !options_.timed)) {
        next_flush = now + options_.interval_ms;
        const bool thorough = now - last_thorough >= options_.thorough_interval_ms;
        if (thorough) last_thorough = now;
        if (!log_.has_append_ring()) StartWriteback();
        auto round = FlushRound(thorough ? 0 : options_.least_pages);
        if (!round.ok()) LogIfFailed(round.error(), "flush");
        else MaybeWriteCheckpoint(*round);
      }
    }
    lock.lock();
  }
  lock.unlock();
  Status st = FlushEverything();
  AnswerAll();
  lock.lock();
  stop_status_ = st;
  running_ = false;
  flush_all_cv_.notify_all();
}

// SYNC_FLUSH, puts that asked to wait, and FlushAll(): sync everything
// appended so far (one fdatasync answers every put waiting by then), answer
// the waiters, and repeat while puts wait. Pipelined: while a sync runs,
// the write backend writes the next batch; when it ends, the next sync is
// started before the waiters are woken (CompleteAndWake), so waking them
// overlaps with the disk.
void FlushService::GroupCommit(uint64_t flush_all_ticket) {
  InflightSync* sync = &current_sync_;
  InflightSync* next = &next_sync_;
  bool moved = false;
  if (pacer_.ShouldHold(WaitersPast(log_.FlushedOffset()))) HoldForGroup(std::chrono::steady_clock::now());
  auto begun = BeginSync(0, *sync, SyncQueue(/*answering_meanwhile=*/false));
  Status st = begun.ok() ? Status::Ok() : begun.error();
  bool active = st.ok() && *begun;
  const auto begin_next = [&](bool answering_meanwhile) {
    begun = BeginSync(0, *next, SyncQueue(answering_meanwhile));
    if (!begun.ok()) st = begun.error();
    active = begun.ok() && *begun;
  };
  while (active) {
    if (log_.has_append_ring() && log_.WroteOffset() > sync->plan.target) st = CommitRing();
    if (st.ok()) st = FinishSync(*sync);
    if (!st.ok()) break;
    moved = true;
    active = false;
    const int64_t sync_us = (clock_.MonotonicNanos() - sync->began_ns) / 1000;
    const auto synced_at = std::chrono::steady_clock::now();
    const size_t left = WaitersPast(log_.FlushedOffset());
    const bool hold = left > 0 && pacer_.ShouldHold(left);
    if (left > 0 && !hold) begin_next(true);  // the next sync first, then this one's group woken while it runs
    pacer_.SyncEnded(AnswerWaiters(), left, sync_us,
                     std::chrono::duration_cast<std::chrono::microseconds>(synced_at.time_since_epoch()).count());
    if (hold) {
      HoldForGroup(synced_at);
      begin_next(false);
    }
    std::swap(sync, next);
  }
  if (st.ok() && flush_all_ticket > flush_all_done_) {
    st = FlushEverything();  // FlushAll wants everything appended before it asked, and the checkpoint
  } else if (st.ok()) {
    MaybeWriteCheckpoint(moved);
  }
  if (!st.ok()) {
    LogIfFailed(st, "flush");
    AnswerAll();
  } else {
    AnswerWaiters();
  }
  std::lock_guard lock(mu_);
  if (flush_all_ticket > flush_all_done_) {
    flush_all_done_ = flush_all_ticket;
    flush_all_status_ = st;
    flush_all_cv_.notify_all();
  }
}

// Through io_uring only a sync the flush thread overlaps with answering the
// group before it. Any other (a round's first, one after a hold) it has
// nothing to do beside, and handing it to io_uring costs a wake-up of a
// worker thread and of this one per sync (~30-80 us on a 2-core VM: one
// blocking producer 3.8-3.9 k puts/s against 5.5-6.0 k, 64 of them -3-8 %):
// it syncs on this thread instead. The write backend only: its files hold
// no dirty page past the committed bytes, so a whole-file fdatasync is the
// ranged one; the mmap backend's pages faulted in ahead of the writer would
// be written back with it.
IoQueue& FlushService::SyncQueue(bool answering_meanwhile) {
  return !answering_meanwhile && log_.has_append_ring() ? *blocking_io_ : *io_;
}

size_t FlushService::WaitersPast(int64_t flushed) const {
  std::lock_guard lock(mu_);
  return static_cast<size_t>(std::count_if(waiters_.begin(), waiters_.end(), [&](const Waiter* w) { return w->end > flushed; }));
}

// Waits until the group is back (as many waiters as the last sync answered
// plus those it left waiting) or the pacer's budget has passed since the
// sync ended. Real microseconds, as a spin's: a scheduling choice that no
// deadline or answer depends on.
void FlushService::HoldForGroup(std::chrono::steady_clock::time_point synced_at) {
  const size_t want = pacer_.group();
  std::unique_lock lock(mu_);
  hold_for_ = want;
  cv_.wait_until(lock, synced_at + std::chrono::microseconds(pacer_.hold_budget_us()), [&] {
    return waiters_.size() >= want || stop_ || flush_all_requested_ > flush_all_done_;
  });
  hold_for_ = 0;
}

void FlushService::LogIfFailed(const Status& st, const char* what) {
  if (!st.ok()) StoreLog(LogLevel::kError, std::string("commit-log ") + what + " failed: " + st.ToString());
}

FlushStats FlushService::Stats() const {
  FlushStats s;
  s.io_engine = std::string(io_->name());
  s.syncs = syncs_.load(std::memory_order_relaxed);
  s.commits = commits_.load(std::memory_order_relaxed);
  s.bytes_committed = bytes_committed_.load(std::memory_order_relaxed);
  s.waits_completed = waits_completed_.load(std::memory_order_relaxed);
  s.wait_timeouts = wait_timeouts_.load(std::memory_order_relaxed);
  s.group_commits = group_commits_.load(std::memory_order_relaxed);
  s.sync_latency_us = sync_latency_us_.Take();
  return s;
}

}  // namespace mqstore
