#include "storage/io/fake_clock.h"

#include <algorithm>
#include <chrono>

namespace mqstore {
namespace {

// How long a fake wait blocks in real time before it looks at the clock
// again (see the header: a wake-up that raced the wait is late by this much).
constexpr int64_t kRealSliceNs = 2 * 1000000;

template <typename T>
void EraseOne(std::vector<T*>& v, T* p) {
  auto it = std::find(v.begin(), v.end(), p);
  if (it != v.end()) v.erase(it);
}

}  // namespace

FakeClock::FakeClock(int64_t wall_ms) : wall_ms_(wall_ms) {}

int FakeClock::LocalHour(int64_t wall_ms) const {
  const int pinned = pinned_hour_.load(std::memory_order_acquire);
  if (pinned >= 0) return pinned;
  constexpr int64_t kHourMs = 3600 * 1000;
  return static_cast<int>(((wall_ms / kHourMs) % 24 + 24) % 24);
}

void FakeClock::Wait(std::condition_variable& cv, std::unique_lock<std::mutex>& lock, int64_t deadline_ns) {
  {
    std::lock_guard l(mu_);
    if (MonotonicNanos() >= deadline_ns) return;
    cv_waiters_.push_back(&cv);
  }
  cv.wait_for(lock, std::chrono::nanoseconds(kRealSliceNs));
  std::lock_guard l(mu_);
  EraseOne(cv_waiters_, &cv);
}

void FakeClock::WaitOnWord(std::atomic<uint32_t>& word, uint32_t expected, int64_t deadline_ns) {
  {
    std::lock_guard l(mu_);
    if (MonotonicNanos() >= deadline_ns) return;
    word_waiters_.push_back(&word);
  }
  FutexWaitFor(word, expected, kRealSliceNs);
  std::lock_guard l(mu_);
  EraseOne(word_waiters_, &word);
}

void FakeClock::Pause(int64_t ms, std::condition_variable& /*cv*/, std::unique_lock<std::mutex>& lock,
                      const std::function<bool()>& /*cut_short*/) {
  std::function<void(int64_t)> hook;
  {
    std::lock_guard l(mu_);
    pauses_.push_back(ms);
    hook = pause_hook_;
  }
  if (!hook) return;
  lock.unlock();
  hook(ms);
  lock.lock();
}

void FakeClock::WakeAll() {
  for (std::condition_variable* cv : cv_waiters_) cv->notify_all();
  for (std::atomic<uint32_t>* word : word_waiters_) WakeWord(*word);
}

void FakeClock::Advance(int64_t ms) {
  std::lock_guard l(mu_);
  wall_ms_.fetch_add(ms, std::memory_order_acq_rel);
  mono_ns_.fetch_add(ms * 1000000, std::memory_order_acq_rel);
  WakeAll();
}

void FakeClock::SetWallMillis(int64_t ms) {
  std::lock_guard l(mu_);
  wall_ms_.store(ms, std::memory_order_release);
  WakeAll();
}

void FakeClock::PinLocalHour(std::optional<int> hour) {
  pinned_hour_.store(hour ? *hour : -1, std::memory_order_release);
}

std::vector<int64_t> FakeClock::pauses() const {
  std::lock_guard l(mu_);
  return pauses_;
}

void FakeClock::SetPauseHook(std::function<void(int64_t ms)> hook) {
  std::lock_guard l(mu_);
  pause_hook_ = std::move(hook);
}

}  // namespace mqstore
