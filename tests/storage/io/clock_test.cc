// The clocks on their own. FakeClock: its time moves only when told, both
// scales as set, and a timed wait through it (condition variable or futex
// word) ends once the clock is moved past its deadline and not before,
// however much real time passes; an event still ends it early. Pauses
// return at once and are recorded. SystemClock: monotonic time never goes
// back, and a timed wait ends by its deadline.
#include "storage/io/fake_clock.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace mqstore {
namespace {

using namespace std::chrono_literals;

constexpr int64_t kMs = 1000000;

// Lets a thread that should still be waiting run for a while in real time:
// long enough for a wait on the real clock of the same length to end.
void LetRealTimePass() { std::this_thread::sleep_for(30ms); }

TEST(FakeClock, WallAndMonotonicTimeMoveOnlyAsSet) {
  FakeClock clock;
  EXPECT_EQ(clock.WallMillis(), FakeClock::kDefaultWallMillis);
  const int64_t mono = clock.MonotonicNanos();
  EXPECT_GT(mono, 0) << "starts past zero, so that time 0 is long ago";
  LetRealTimePass();
  EXPECT_EQ(clock.WallMillis(), FakeClock::kDefaultWallMillis) << "real time does not move it";
  EXPECT_EQ(clock.MonotonicNanos(), mono);
  clock.Advance(600);
  EXPECT_EQ(clock.WallMillis(), FakeClock::kDefaultWallMillis + 600);
  EXPECT_EQ(clock.MonotonicNanos(), mono + 600 * kMs);
  EXPECT_EQ(clock.MonotonicMillis(), (mono + 600 * kMs) / kMs);
  clock.SetWallMillis(FakeClock::kDefaultWallMillis - 3600 * 1000);
  EXPECT_EQ(clock.WallMillis(), FakeClock::kDefaultWallMillis - 3600 * 1000) << "the wall clock may go back";
  EXPECT_EQ(clock.MonotonicNanos(), mono + 600 * kMs) << "monotonic time stays";
  EXPECT_EQ(FakeClock(42).WallMillis(), 42);
}

TEST(FakeClock, TheLocalHourIsTheUtcHourUnlessPinned) {
  FakeClock clock;  // midnight UTC
  EXPECT_EQ(clock.LocalHour(clock.WallMillis()), 0);
  EXPECT_EQ(clock.LocalHour(clock.WallMillis() + 5 * 3600 * 1000 + 59 * 60 * 1000), 5);
  EXPECT_EQ(clock.LocalHour(clock.WallMillis() - 1), 23) << "the hour before midnight";
  clock.PinLocalHour(4);
  EXPECT_EQ(clock.LocalHour(clock.WallMillis()), 4);
  clock.PinLocalHour(std::nullopt);
  EXPECT_EQ(clock.LocalHour(clock.WallMillis()), 0);
}

TEST(FakeClock, ATimedWaitEndsWhenTheClockPassesItsDeadlineAndNotBefore) {
  FakeClock clock;
  std::mutex mu;
  std::condition_variable cv;
  const int64_t deadline = clock.MonotonicNanos() + 20 * kMs;
  std::atomic<int> result{-1};
  std::thread waiter([&] {
    std::unique_lock lock(mu);
    result.store(clock.WaitUntil(cv, lock, deadline, [] { return false; }) ? 1 : 0);
  });
  LetRealTimePass();
  EXPECT_EQ(result.load(), -1) << "20 ms of real time are not the clock's";
  clock.Advance(19);
  LetRealTimePass();
  EXPECT_EQ(result.load(), -1) << "1 ms short of the deadline";
  clock.Advance(1);
  waiter.join();
  EXPECT_EQ(result.load(), 0) << "timed out";
}

TEST(FakeClock, ANotifiedConditionEndsATimedWaitBeforeItsDeadline) {
  FakeClock clock;
  std::mutex mu;
  std::condition_variable cv;
  bool ready = false;
  std::atomic<int> result{-1};
  std::thread waiter([&] {
    std::unique_lock lock(mu);
    result.store(clock.WaitUntil(cv, lock, clock.MonotonicNanos() + 20 * kMs, [&] { return ready; }) ? 1 : 0);
  });
  LetRealTimePass();
  {
    std::lock_guard lock(mu);
    ready = true;
  }
  cv.notify_all();
  waiter.join();
  EXPECT_EQ(result.load(), 1);
}

TEST(FakeClock, AWaitOnAWordEndsWhenTheClockPassesItsDeadlineOrTheWordIsWoken) {
  FakeClock clock;
  std::atomic<uint32_t> word{0};
  // Waits as the flush service does: until the word changes or the deadline.
  const auto wait = [&](int64_t deadline, std::atomic<int>& result) {
    while (word.load() == 0 && clock.MonotonicNanos() < deadline) clock.WaitOnWord(word, 0, deadline);
    result.store(word.load() != 0 ? 1 : 0);
  };
  std::atomic<int> timed_out{-1};
  std::thread waiter(wait, clock.MonotonicNanos() + 20 * kMs, std::ref(timed_out));
  clock.Advance(19);
  LetRealTimePass();
  EXPECT_EQ(timed_out.load(), -1) << "1 ms short of the deadline";
  clock.Advance(1);
  waiter.join();
  EXPECT_EQ(timed_out.load(), 0);

  std::atomic<int> woken{-1};
  std::thread sleeper(wait, clock.MonotonicNanos() + 20 * kMs, std::ref(woken));
  LetRealTimePass();
  word.store(1);
  Clock::WakeWord(word);
  sleeper.join();
  EXPECT_EQ(woken.load(), 1);
}

TEST(SystemClock, WakeAllOnWordWakesEveryThreadWaitingOnTheWordInOneCall) {
  Clock& clock = Clock::System();
  std::atomic<uint32_t> word{0};
  constexpr int kWaiters = 8;
  std::atomic<int> started{0}, woken{0};
  std::vector<std::thread> waiters;
  for (int i = 0; i < kWaiters; ++i)
    waiters.emplace_back([&] {
      const auto began = std::chrono::steady_clock::now();
      const int64_t deadline = clock.MonotonicNanos() + 30 * 1000 * kMs;
      ++started;
      while (word.load() == 0 && clock.MonotonicNanos() < deadline) clock.WaitOnWord(word, 0, deadline);
      // Woken, not timed out: one left asleep would wait out its 30 s.
      if (word.load() != 0 && std::chrono::steady_clock::now() - began < 10s) ++woken;
    });
  while (started.load() < kWaiters) std::this_thread::sleep_for(1ms);
  std::this_thread::sleep_for(50ms);  // all asleep on the word by now, most likely
  word.store(1);
  Clock::WakeAllOnWord(word);
  for (auto& t : waiters) t.join();
  EXPECT_EQ(woken.load(), kWaiters);
}

TEST(FakeClock, APauseReturnsAtOnceWithoutMovingTheClockAndIsRecorded) {
  FakeClock clock;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<int64_t> hooked;
  clock.SetPauseHook([&](int64_t ms) { hooked.push_back(ms); });
  const int64_t mono = clock.MonotonicNanos();
  const auto real_start = std::chrono::steady_clock::now();
  {
    std::unique_lock lock(mu);
    clock.Pause(60000, cv, lock, [] { return false; });
    clock.Pause(5, cv, lock, [] { return false; });
    EXPECT_TRUE(lock.owns_lock()) << "returns with the lock held";
  }
  EXPECT_LT(std::chrono::steady_clock::now() - real_start, 30s) << "a minute's pause did not wait";
  EXPECT_EQ(clock.MonotonicNanos(), mono);
  EXPECT_EQ(clock.pauses(), (std::vector<int64_t>{60000, 5}));
  EXPECT_EQ(hooked, (std::vector<int64_t>{60000, 5}));
}

TEST(SystemClock, MonotonicTimeNeverGoesBack) {
  SystemClock clock;
  int64_t last = clock.MonotonicNanos();
  for (int i = 0; i < 100000; ++i) {
    const int64_t now = clock.MonotonicNanos();
    ASSERT_GE(now, last) << "read " << i;
    last = now;
  }
  // And across threads: each thread's reads after another's are not earlier.
  std::atomic<int64_t> shared{clock.MonotonicNanos()};
  std::atomic<int> back{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&] {
      for (int i = 0; i < 20000; ++i) {
        const int64_t seen = shared.load();
        const int64_t now = clock.MonotonicNanos();
        if (now < seen) back.fetch_add(1);
        int64_t expected = seen;
        while (expected < now && !shared.compare_exchange_weak(expected, now)) {
        }
      }
    });
  }
  for (auto& t : readers) t.join();
  EXPECT_EQ(back.load(), 0);
}

TEST(SystemClock, ATimedWaitEndsByItsDeadline) {
  Clock& clock = Clock::System();
  std::mutex mu;
  std::condition_variable cv;
  std::unique_lock lock(mu);
  const int64_t deadline = clock.MonotonicNanos() + 5 * kMs;
  EXPECT_FALSE(clock.WaitUntil(cv, lock, deadline, [] { return false; }));
  EXPECT_GE(clock.MonotonicNanos(), deadline);
}

}  // namespace
}  // namespace mqstore
