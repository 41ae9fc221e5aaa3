// FakeClock: a Clock for tests and fuzz targets whose time moves only when
// told (Advance, SetWallMillis), so that timeouts, intervals, file ages and
// the hour are set by the test instead of waited for. Beside
// FaultInjectionFileSystem in storage/io because fuzz targets, which link
// only the library, need a fixed clock too.
//
//   FakeClock clock;                         // a fixed wall time, UTC hours
//   MessageStore::Open(config, Env(FileSystem::Default(), clock));
//   clock.Advance(600);                      // 600 ms pass on both scales;
//                                            // waits whose deadline passed end
//
// Waits: a thread waiting through this clock is woken when the clock moves.
// A move can fall between a waiter's look at the time and the start of its
// wait; so that such a wake-up is not lost, every wait also returns after a
// short slice of real time (callers re-check, as the Clock contract says).
//
// Pauses (Clock::Pause, pacing that waits for nothing but time) do not
// block: each is recorded (pauses()), passed to the pause hook, and returns
// at once without moving the clock. A pause on the thread the test runs a
// cleanup round on could otherwise only wait for the test, and moving the
// clock for it would move every age and deadline the test set up.
#pragma once

#include <optional>
#include <vector>

#include "storage/io/clock.h"

namespace mqstore {

class FakeClock final : public Clock {
 public:
  // 2026-01-01T00:00:00Z.
  static constexpr int64_t kDefaultWallMillis = 1767225600000;

  explicit FakeClock(int64_t wall_ms = kDefaultWallMillis);

  int64_t WallMillis() const override { return wall_ms_.load(std::memory_order_acquire); }
  int64_t MonotonicNanos() const override { return mono_ns_.load(std::memory_order_acquire); }
  // The pinned hour if there is one, else the wall time's hour in UTC (the
  // same on every machine).
  int LocalHour(int64_t wall_ms) const override;
  void Wait(std::condition_variable& cv, std::unique_lock<std::mutex>& lock, int64_t deadline_ns) override;
  void WaitOnWord(std::atomic<uint32_t>& word, uint32_t expected, int64_t deadline_ns) override;
  void Pause(int64_t ms, std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
             const std::function<bool()>& cut_short) override;

  // `ms` pass on both scales; every waiting thread wakes to look.
  void Advance(int64_t ms);
  // The wall clock jumps to `ms` (either way); monotonic time stays.
  void SetWallMillis(int64_t ms);
  // The hour LocalHour answers whatever the time (deleteWhen tests);
  // nullopt: the wall time's UTC hour again.
  void PinLocalHour(std::optional<int> hour);

  // The length of every pause so far, in order.
  std::vector<int64_t> pauses() const;
  // Called on each pause, on the pausing thread, without its lock (the hook
  // may put messages, as a writer would during a real pause).
  void SetPauseHook(std::function<void(int64_t ms)> hook);

 private:
  void WakeAll();  // under mu_

  std::atomic<int64_t> wall_ms_;
  // Starts well past zero, as a machine's does, so that "at 0" is long ago.
  std::atomic<int64_t> mono_ns_{int64_t{1000} * 1000000000};
  std::atomic<int> pinned_hour_{-1};

  mutable std::mutex mu_;  // guards what follows; taken inside a waiter's own lock, never around it
  std::vector<std::condition_variable*> cv_waiters_;  // one entry per waiting thread
  std::vector<std::atomic<uint32_t>*> word_waiters_;
  std::vector<int64_t> pauses_;
  std::function<void(int64_t)> pause_hook_;
};

}  // namespace mqstore
