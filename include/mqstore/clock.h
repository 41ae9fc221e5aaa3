// Clock: the store's time, behind one interface so that a test can hold it
// still or move it (FakeClock, storage/io/fake_clock.h). Two scales, as Java has them:
//
//   wall       ms since the epoch (System.currentTimeMillis): STORETIMESTAMP,
//              index file names, file ages, deleteWhen's hour. May jump.
//   monotonic  never goes back: deadlines and intervals (syncFlushTimeout,
//              the flush, commit, checkpoint and cleanup intervals, long
//              polling, how long a sync or a recovery took).
//
// A clock also owns the engine's timed waits: a thread that waits for an
// event or a deadline waits through its clock, so that moving a fake clock
// past the deadline ends the wait. Polls that only bound how late a thread
// notices new work (the dispatcher's 1 ms idle wait) are not deadlines and
// stay in real time.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>

namespace mqstore {

class Clock {
 public:
  // A deadline that never comes.
  static constexpr int64_t kNever = INT64_MAX;

  virtual ~Clock() = default;

  virtual int64_t WallMillis() const = 0;
  virtual int64_t MonotonicNanos() const = 0;
  int64_t MonotonicMillis() const { return MonotonicNanos() / 1000000; }
  // The hour (0-23) of a wall time where the store runs (local time):
  // deleteWhen's hours are local hours.
  virtual int LocalHour(int64_t wall_ms) const = 0;

  // Blocks on `cv` (the caller holds `lock`) until it is notified or the
  // monotonic clock reaches `deadline_ns`. It may return earlier, as any
  // condition variable may: callers check their condition and the time
  // again (or use WaitUntil below).
  virtual void Wait(std::condition_variable& cv, std::unique_lock<std::mutex>& lock, int64_t deadline_ns) = 0;
  // Waits until `done()` holds or the deadline passes; returns done().
  template <typename Done>
  bool WaitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock, int64_t deadline_ns, Done done) {
    while (!done()) {
      if (MonotonicNanos() >= deadline_ns) return false;
      Wait(cv, lock, deadline_ns);
    }
    return true;
  }
  // A futex wait (the flush service's per-put wait, cheaper than a
  // condition variable): blocks while `word` holds `expected`, until
  // WakeWord(word) or the deadline. May return earlier; callers loop.
  virtual void WaitOnWord(std::atomic<uint32_t>& word, uint32_t expected, int64_t deadline_ns) = 0;
  // Wakes one thread in WaitOnWord(word); harmless when none waits.
  static void WakeWord(std::atomic<uint32_t>& word);
  // Wakes every thread in WaitOnWord(word), in one system call.
  static void WakeAllOnWord(std::atomic<uint32_t>& word);

  // A pause that paces work and waits for nothing but time (cleanup between
  // deletions: RocketMQ's Thread.sleep): `ms`, cut short once `cv` is
  // notified and `cut_short()` holds. Called and returns with `lock` held.
  virtual void Pause(int64_t ms, std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                     const std::function<bool()>& cut_short);

  // The machine's clocks (a SystemClock).
  static Clock& System();
};

// CLOCK_REALTIME, CLOCK_MONOTONIC (std::chrono's system and steady clocks),
// the local time zone, condition-variable and futex waits.
class SystemClock final : public Clock {
 public:
  int64_t WallMillis() const override;
  int64_t MonotonicNanos() const override;
  int LocalHour(int64_t wall_ms) const override;
  void Wait(std::condition_variable& cv, std::unique_lock<std::mutex>& lock, int64_t deadline_ns) override;
  void WaitOnWord(std::atomic<uint32_t>& word, uint32_t expected, int64_t deadline_ns) override;
};

}  // namespace mqstore
