#include "storage/ha/replica_waiter.h"

#include <algorithm>
#include <future>
#include <vector>

#include "storage/store_log.h"

namespace mqstore {

ReplicaWaiter::ReplicaWaiter(std::function<int64_t()> acked) : acked_(std::move(acked)) {}

ReplicaWaiter::~ReplicaWaiter() { Stop(); }

void ReplicaWaiter::Start() { thread_ = std::thread([this] { Run(); }); }

void ReplicaWaiter::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::deque<Request> left;
  {
    std::lock_guard lock(mu_);
    left.swap(requests_);
  }
  for (Request& r : left) r.done(acked_() >= r.end ? PutStatus::kPutOk : PutStatus::kFlushSlaveTimeout);
}

void ReplicaWaiter::Submit(int64_t end, std::chrono::milliseconds timeout, Done done) {
  if (acked_() >= end) return done(PutStatus::kPutOk);
  {
    std::lock_guard lock(mu_);
    // Looked at again under the lock: an ack that OnAck took the lock for
    // before this request was queued is seen here, a later one sees the
    // request.
    if (!stop_ && acked_() < end) {
      const auto deadline = std::chrono::steady_clock::now() + timeout;
      requests_.push_back({end, deadline, std::move(done)});
      // The thread is woken only when this deadline comes before the one
      // it sleeps until (with one slaveTimeout for all: when it was idle).
      if (deadline < sleeps_until_) {
        sleeps_until_ = deadline;
        ++submitted_;
        cv_.notify_one();
      }
      return;
    }
  }
  done(acked_() >= end ? PutStatus::kPutOk : PutStatus::kFlushSlaveTimeout);
}

PutStatus ReplicaWaiter::Wait(int64_t end, std::chrono::milliseconds timeout) {
  std::promise<PutStatus> answer;
  std::future<PutStatus> f = answer.get_future();
  Submit(end, timeout, [&answer](PutStatus s) { answer.set_value(s); });
  return f.get();
}

// On the ack's own thread: the puts it covers end here, without a hop
// through the waiter's thread (which is left with the deadlines).
void ReplicaWaiter::OnAck() {
  const int64_t acked = acked_();
  std::vector<Request> covered;
  {
    std::lock_guard lock(mu_);
    for (auto it = requests_.begin(); it != requests_.end();) {
      if (it->end <= acked) {
        covered.push_back(std::move(*it));
        it = requests_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (Request& r : covered) r.done(PutStatus::kPutOk);
}

void ReplicaWaiter::Run() {
  NameThisThread("mq-ha-wait");
  std::vector<Request> ready;
  std::vector<PutStatus> statuses;
  std::unique_lock lock(mu_);
  while (!stop_) {
    // Puts from many threads arrive nearly, not exactly, in offset order:
    // every request is looked at (one per waiting producer at most).
    const int64_t acked = acked_();
    const auto now = std::chrono::steady_clock::now();
    auto earliest = std::chrono::steady_clock::time_point::max();
    for (auto it = requests_.begin(); it != requests_.end();) {
      if (it->end <= acked || it->deadline <= now) {
        statuses.push_back(it->end <= acked ? PutStatus::kPutOk : PutStatus::kFlushSlaveTimeout);
        ready.push_back(std::move(*it));
        it = requests_.erase(it);
      } else {
        earliest = std::min(earliest, it->deadline);
        ++it;
      }
    }
    if (!ready.empty()) {
      lock.unlock();
      for (size_t i = 0; i < ready.size(); ++i) ready[i].done(statuses[i]);
      ready.clear();
      statuses.clear();
      lock.lock();
      continue;
    }
    // A new request may come due before the earliest (a shorter timeout).
    sleeps_until_ = earliest;
    const uint64_t seen = submitted_;
    auto woken = [&] { return stop_ || submitted_ != seen; };
    if (requests_.empty()) cv_.wait(lock, woken);
    else cv_.wait_until(lock, earliest, woken);
  }
}

}  // namespace mqstore
