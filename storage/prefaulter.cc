#include "storage/prefaulter.h"

#include "storage/store_log.h"

namespace mqstore {

Prefaulter::~Prefaulter() { Stop(); }

void Prefaulter::Start() {
  std::lock_guard lock(mu_);
  if (running_) return;
  running_ = true;
  thread_ = std::thread([this] { Run(); });
}

void Prefaulter::Stop() {
  {
    std::lock_guard lock(mu_);
    if (!running_) return;
    running_ = false;
    jobs_.clear();
  }
  cv_.notify_all();
  thread_.join();
}

void Prefaulter::Request(std::shared_ptr<const void> owner, FileMapping& mapping, uint64_t offset, uint64_t len) {
  if (len == 0) return;
  {
    std::lock_guard lock(mu_);
    if (running_) {
      jobs_.push_back(Job{std::move(owner), &mapping, offset, len});
      cv_.notify_one();
      return;
    }
  }
  mapping.Populate(offset, len, /*for_write=*/true);
  std::lock_guard lock(mu_);
  ++done_;
}

uint64_t Prefaulter::requests_done() const {
  std::lock_guard lock(mu_);
  return done_;
}

void Prefaulter::Run() {
  NameThisThread("mq-prefault");
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return !running_ || !jobs_.empty(); });
    if (!running_) return;
    Job job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    job.mapping->Populate(job.offset, job.len, /*for_write=*/true);
    job.owner.reset();  // may unmap: outside the lock
    lock.lock();
    ++done_;
  }
}

}  // namespace mqstore
