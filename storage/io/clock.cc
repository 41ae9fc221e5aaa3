#include "storage/io/clock.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <ctime>
#include <mutex>

namespace mqstore {

namespace {
std::mutex& LibcTimeMutex() {
  static std::mutex mu;
  return mu;
}
}  // namespace

std::tm LocalTimeOf(int64_t epoch_seconds) {
  const std::time_t t = static_cast<std::time_t>(epoch_seconds);
  std::tm local{};
  std::lock_guard lock(LibcTimeMutex());
  localtime_r(&t, &local);
  return local;
}

std::optional<int64_t> EpochSecondsOfLocal(std::tm local) {
  local.tm_isdst = -1;
  std::lock_guard lock(LibcTimeMutex());
  const std::time_t secs = std::mktime(&local);
  if (secs == static_cast<std::time_t>(-1)) return std::nullopt;
  return int64_t{secs};
}

void FutexWaitFor(std::atomic<uint32_t>& word, uint32_t expected, int64_t timeout_ns) {
  timespec ts{static_cast<time_t>(timeout_ns / 1000000000), static_cast<long>(timeout_ns % 1000000000)};
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAIT_PRIVATE, expected, timeout_ns < 0 ? nullptr : &ts,
          nullptr, 0);
}

// By address only: a waiter that already returned is not harmed.
void Clock::WakeWord(std::atomic<uint32_t>& word) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
}

void Clock::WakeAllOnWord(std::atomic<uint32_t>& word) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr, 0);
}

void Clock::Pause(int64_t ms, std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                  const std::function<bool()>& cut_short) {
  WaitUntil(cv, lock, MonotonicNanos() + ms * 1000000, cut_short);
}

Clock& Clock::System() {
  static SystemClock clock;
  return clock;
}

int64_t SystemClock::WallMillis() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t SystemClock::MonotonicNanos() const {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int SystemClock::LocalHour(int64_t wall_ms) const { return LocalTimeOf(wall_ms / 1000).tm_hour; }

void SystemClock::Wait(std::condition_variable& cv, std::unique_lock<std::mutex>& lock, int64_t deadline_ns) {
  if (deadline_ns == kNever) return cv.wait(lock);
  // MonotonicNanos() is steady_clock's count, so the deadline is one of its points.
  cv.wait_until(lock, std::chrono::steady_clock::time_point(std::chrono::nanoseconds(deadline_ns)));
}

void SystemClock::WaitOnWord(std::atomic<uint32_t>& word, uint32_t expected, int64_t deadline_ns) {
  if (deadline_ns == kNever) return FutexWaitFor(word, expected, -1);
  const int64_t left = deadline_ns - MonotonicNanos();
  if (left > 0) FutexWaitFor(word, expected, left);
}

}  // namespace mqstore
