#include "storage/log/prefaulter.h"

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
    running_ = false;  // the thread runs what is queued, then ends
  }
  cv_.notify_all();
  thread_.join();
}

void Prefaulter::Request(std::shared_ptr<const void> owner, FileMapping& mapping, uint64_t offset, uint64_t len) {
  if (len == 0) return;
  Submit([owner = std::move(owner), &mapping, offset, len]() mutable {
    mapping.Populate(offset, len, /*for_write=*/true);
    owner.reset();  // may unmap; before the request counts as done
  });
}

void Prefaulter::FaultIn(Prefaulter* prefaulter, std::shared_ptr<const void> owner, FileMapping& mapping,
                         uint64_t offset, uint64_t len) {
  if (prefaulter) {
    prefaulter->Request(std::move(owner), mapping, offset, len);
  } else {
    mapping.Populate(offset, len, /*for_write=*/true);
  }
}

void Prefaulter::Submit(std::function<void()> job) {
  {
    std::lock_guard lock(mu_);
    if (running_) {
      jobs_.push_back(std::move(job));
      cv_.notify_one();
      return;
    }
  }
  job();
  job = nullptr;
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
    if (jobs_.empty()) return;  // stopped, and nothing left to run
    std::function<void()> job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    job();
    job = nullptr;  // what it held goes now, outside the lock
    lock.lock();
    ++done_;
  }
}

}  // namespace mqstore
