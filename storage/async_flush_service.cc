#include "storage/async_flush_service.h"

#include "storage/store_log.h"

namespace mqstore {

AsyncFlushService::AsyncFlushService(CommitLog& log, StoreCheckpoint& checkpoint, Options options)
    : log_(log), checkpoint_(checkpoint), options_(options) {}

AsyncFlushService::~AsyncFlushService() {
  if (Status st = Stop(); !st.ok()) StoreLog(LogLevel::kError, "final commit-log flush failed: " + st.ToString());
}

void AsyncFlushService::Start() {
  if (!thread_.joinable()) thread_ = std::thread([this] {
    NameThisThread("mq-flush");
    Run();
  });
}

void AsyncFlushService::Wakeup() {
  if (options_.timed) return;
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_one();
}

Status AsyncFlushService::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stop_) return Status::Ok();
    stop_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
  return FlushAll();
}

Status AsyncFlushService::FlushAll() {
  Status st;
  for (int i = 0; i < 10; ++i) {
    st = FlushOnce(0, true);
    if (!st.ok() || log_.FlushedOffset() >= log_.WroteOffset()) break;
  }
  return st;
}

Status AsyncFlushService::FlushOnce(int least_pages, bool force_checkpoint) {
  std::lock_guard lock(flush_once_mu_);  // the thread and FlushAll() callers
  auto result = log_.Flush(least_pages);
  if (!result.ok()) return result.error();
  flushes_.fetch_add(1, std::memory_order_relaxed);
  if (result->store_timestamp > 0) checkpoint_.set_physic_msg_timestamp(result->store_timestamp);
  const auto now = std::chrono::steady_clock::now();
  if (force_checkpoint || (result->moved && now - last_checkpoint_ >= std::chrono::seconds(1))) {
    last_checkpoint_ = now;
    return checkpoint_.Flush();
  }
  return Status::Ok();
}

void AsyncFlushService::Run() {
  auto last_thorough = std::chrono::steady_clock::now();
  std::unique_lock lock(mu_);
  while (!stop_) {
    const auto interval = std::chrono::milliseconds(options_.interval_ms);
    if (options_.timed) cv_.wait_for(lock, interval, [&] { return stop_; });
    else cv_.wait_for(lock, interval, [&] { return stop_ || woken_; });
    woken_ = false;
    if (stop_) break;
    int least_pages = options_.least_pages;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_thorough >= std::chrono::milliseconds(options_.thorough_interval_ms)) {
      last_thorough = now;
      least_pages = 0;
    }
    lock.unlock();
    Status st = FlushOnce(least_pages, false);
    if (!st.ok()) StoreLog(LogLevel::kError, "commit-log flush failed: " + st.ToString());
    lock.lock();
  }
}

}  // namespace mqstore
