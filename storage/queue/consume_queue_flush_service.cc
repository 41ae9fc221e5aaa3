#include "storage/queue/consume_queue_flush_service.h"

#include "storage/store_log.h"

namespace mqstore {

ConsumeQueueFlushService::ConsumeQueueFlushService(ConsumeQueueStore& queues, IndexService* index,
                                                   StoreCheckpoint& checkpoint, Clock& clock, Options options)
    : queues_(queues), index_(index), checkpoint_(checkpoint), clock_(clock), options_(options) {}

ConsumeQueueFlushService::~ConsumeQueueFlushService() { (void)Stop(); }

void ConsumeQueueFlushService::Start() {
  std::lock_guard lock(mu_);
  if (running_) return;
  running_ = true;
  thread_ = std::thread([this] { Run(); });
}

Status ConsumeQueueFlushService::Stop() {
  {
    std::lock_guard lock(mu_);
    if (!running_) return Status::Ok();
    running_ = false;
  }
  cv_.notify_all();
  thread_.join();
  Status st = FlushRound(/*thorough=*/true);
  if (st.ok() && index_) st = index_->FlushAll();
  if (st.ok()) st = checkpoint_.Flush();
  return st;
}

Status ConsumeQueueFlushService::FlushRound(bool thorough) {
  std::lock_guard round(round_mu_);
  bool checkpoint_moved = false;
  // Captured first: units written after this may not be covered by the syncs.
  const int64_t logics = queues_.last_store_timestamp();
  auto all_synced = queues_.Flush(thorough ? 0 : options_.least_pages);
  if (!all_synced.ok()) return all_synced.error();
  if (thorough && *all_synced && logics > 0) {
    checkpoint_.set_logics_msg_timestamp(logics);
    checkpoint_moved = true;
  }
  if (index_) {
    MQ_RETURN_IF_ERROR(index_->FlushFullFiles([&](int64_t end_timestamp) {
      checkpoint_.set_index_msg_timestamp(end_timestamp);
      checkpoint_moved = true;
    }));
  }
  return checkpoint_moved ? checkpoint_.Flush() : Status::Ok();
}

void ConsumeQueueFlushService::Run() {
  NameThisThread("mq-flush-cq");
  int64_t last_thorough = clock_.MonotonicMillis();
  std::unique_lock lock(mu_);
  while (running_) {
    const int64_t deadline_ns = clock_.MonotonicNanos() + int64_t{options_.interval_ms} * 1000000;
    clock_.WaitUntil(cv_, lock, deadline_ns, [this] { return !running_; });
    if (!running_) break;
    lock.unlock();
    const int64_t now = clock_.MonotonicMillis();
    const bool thorough = now - last_thorough >= options_.thorough_interval_ms;
    if (thorough) last_thorough = now;
    Status st = FlushRound(thorough);
    if (!st.ok()) StoreLog(LogLevel::kError, "consume queue flush: " + st.ToString());
    lock.lock();
  }
}

}  // namespace mqstore
