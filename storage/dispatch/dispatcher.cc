#include "storage/dispatch/dispatcher.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include "storage/store_log.h"

namespace mqstore {
namespace {

RecordDecodeOptions ReputDecodeOptions(const CommitLog& log) {
  RecordDecodeOptions o;  // no CRC: recovery checked it, the put path wrote it
  o.max_record_size = log.options().limits.max_record_size;
  return o;
}

}  // namespace

Dispatcher::Dispatcher(const CommitLog& log, Clock& clock, DispatcherOptions options)
    : log_(log), clock_(clock), options_(std::move(options)), reader_(log, 0, ReputDecodeOptions(log)) {
  requests_.reserve(CommitLogBatchReader::kDefaultMaxRecords);
  event_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (event_fd_ < 0) StoreLog(LogLevel::kWarn, "dispatcher: eventfd failed; event_fd() is -1");
}

Dispatcher::~Dispatcher() {
  Stop();
  if (event_fd_ >= 0) close(event_fd_);
}

void Dispatcher::SetReputOffset(int64_t offset) {
  std::lock_guard lock(round_mu_);
  reput_.store(offset, std::memory_order_release);
  reader_.Seek(offset);
}

int64_t Dispatcher::DispatchEnd() const { return options_.only_flushed ? log_.FlushedOffset() : log_.MaxOffset(); }

size_t Dispatcher::DispatchBatch(Status& failed) {
  size_t n = requests_.size();
  for (DispatchSink* sink : sinks_) {
    size_t taken = 0;
    Status st = sink->DispatchBatch(std::span<const DispatchRequest>(requests_.data(), n), taken);
    if (!st.ok()) {
      const DispatchRequest& r = requests_[std::min(taken, n - 1)];
      failed = Status(st.code(), "dispatching the record at " + std::to_string(r.commit_log_offset) + ": " +
                                     st.message());
    }
    n = std::min(n, taken);  // later sinks get only what this one took
    if (n == 0) break;
  }
  return n;
}

void Dispatcher::NotifyArrivals(size_t n) {
  if (!arrival_) return;
  for (size_t i = 0; i < n; ++i) {
    const DispatchRequest& r = requests_[i];
    if (r.GoesToConsumeQueue())
      arrival_(MessageArrival{r.topic, r.queue_id, r.queue_offset + 1, r.tags_code, r.store_timestamp});
  }
}

Result<Dispatcher::Progress> Dispatcher::DispatchOnce(int64_t max_bytes) {
  Progress p;
  Status stopped;
  {
    std::lock_guard lock(round_mu_);
    const int64_t end = DispatchEnd();
    // Cleanup may have removed what the reput offset points into.
    if (const int64_t min = log_.MinOffset(); reader_.offset() < min) {
      StoreLog(LogLevel::kWarn, "dispatch: commit-log offsets " + std::to_string(reader_.offset()) + " .. " +
                                    std::to_string(min) + " were deleted before they were dispatched; going on from " +
                                    std::to_string(min));
      reader_.Seek(min);
    }
    while (p.bytes < max_bytes && stopped.ok()) {
      const int64_t at = reader_.offset();
      const CommitLogBatchReader::Batch batch = reader_.Next(end, max_bytes - p.bytes);
      if (!batch.error.ok()) {
        stopped = Status(batch.error.code(), "the record at commit-log offset " + std::to_string(reader_.offset()) +
                                                 " does not decode: " + batch.error.message());
        break;
      }
      if (batch.records.empty()) {  // blanks stepped over, or nothing whole below `end`
        p.caught_up = reader_.offset() == at;
        reput_.store(reader_.offset(), std::memory_order_release);
        if (p.caught_up) break;
        continue;
      }
      requests_.clear();
      for (const CommitLogBatchReader::Record& r : batch.records)
        requests_.push_back(MakeDispatchRequest(r.message(), options_.delay_level_millis));
      const size_t n = DispatchBatch(stopped);
      if (n < batch.records.size()) reader_.Seek(batch.records[n].offset);
      const int64_t done = n == 0 ? at : batch.records[n - 1].offset + batch.records[n - 1].size();
      NotifyArrivals(n);
      p.records += n;
      p.bytes += done - at;
      reput_.store(done, std::memory_order_release);
    }
  }
  rounds_.fetch_add(1, std::memory_order_relaxed);
  if (p.records > 0) {
    records_.fetch_add(p.records, std::memory_order_relaxed);
    Notify();
  }
  SetError(stopped);
  if (!stopped.ok() && p.records == 0) return stopped;
  return p;
}

Status Dispatcher::CatchUp() {
  while (true) {
    auto p = DispatchOnce(options_.max_bytes_per_round);
    if (!p.ok()) return p.error();
    if (p->caught_up) return Status::Ok();
    if (p->records == 0) return Status::Corruption("dispatch makes no progress at " + std::to_string(reput_offset()));
  }
}

void Dispatcher::SetError(const Status& st) {
  const std::string why = st.ok() ? std::string() : st.ToString();
  std::lock_guard lock(error_mu_);
  if (why == error_) return;
  if (!why.empty()) StoreLog(LogLevel::kError, "dispatch stopped: " + why);
  error_ = why;
}

void Dispatcher::Notify() {
  if (event_fd_ >= 0) {
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t n = write(event_fd_, &one, sizeof one);  // EAGAIN only at the counter's max
  }
  if (waiters_.load(std::memory_order_acquire) > 0) {
    std::lock_guard lock(wait_mu_);
    wait_cv_.notify_all();
  }
}

bool Dispatcher::WaitFor(const std::function<bool()>& ready, std::chrono::milliseconds timeout) {
  constexpr int64_t kRecheckNs = 100 * 1000000;
  const int64_t deadline =
      clock_.MonotonicNanos() + std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count();
  std::unique_lock lock(wait_mu_);
  waiters_.fetch_add(1, std::memory_order_acq_rel);
  // ready() is re-checked at least every 100 ms: a round's notify can fall
  // between ready() and the wait when the round ran without this lock. (A
  // FakeClock's waits return every few real milliseconds anyway.)
  bool ok = ready();
  while (!ok && clock_.MonotonicNanos() < deadline) {
    clock_.Wait(wait_cv_, lock, std::min(deadline, clock_.MonotonicNanos() + kRecheckNs));
    ok = ready();
  }
  waiters_.fetch_sub(1, std::memory_order_acq_rel);
  return ok;
}

void Dispatcher::Start() {
  if (running_.exchange(true)) return;
  thread_ = std::thread([this] { Run(); });
}

void Dispatcher::Stop() {
  if (!running_.exchange(false)) return;
  // Through the mutex: the thread cannot be between its check of running_
  // and its wait, so the notification is not lost.
  { std::lock_guard lock(wait_mu_); }
  stop_cv_.notify_one();
  thread_.join();
}

void Dispatcher::Run() {
  NameThisThread("mq-dispatch");
  while (running_.load(std::memory_order_acquire)) {
    auto p = DispatchOnce(options_.max_bytes_per_round);
    if (p.ok() && !p->caught_up) continue;
    // Caught up: poll again after the idle wait. Stopped on an error: retry
    // a second later (a sink's disk may come back). Real time, not the
    // Env's clock: this only bounds how late new records are noticed, and a
    // fake clock standing still must not stop dispatch.
    const auto wait = p.ok() ? options_.idle_wait : std::chrono::milliseconds(1000);
    std::unique_lock lock(wait_mu_);
    stop_cv_.wait_for(lock, wait, [this] { return !running_.load(std::memory_order_acquire); });
  }
}

DispatcherStats Dispatcher::Stats() const {
  DispatcherStats s;
  s.reput_offset = reput_offset();
  s.dispatch_end = DispatchEnd();
  s.lag_bytes = std::max<int64_t>(0, s.dispatch_end - s.reput_offset);
  s.records = records_.load(std::memory_order_relaxed);
  s.rounds = rounds_.load(std::memory_order_relaxed);
  std::lock_guard lock(error_mu_);
  s.error = error_;
  return s;
}

}  // namespace mqstore
