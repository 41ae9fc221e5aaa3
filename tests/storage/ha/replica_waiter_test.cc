// ReplicaWaiter: SYNC_MASTER's wait for a slave's ack. An ack completes the
// requests it covers on the acking thread itself (the waiter's own thread
// only keeps the deadlines), and a request that races an ack is never left
// waiting for the next one.
#include "storage/ha/replica_waiter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <thread>
#include <vector>

namespace mqstore {
namespace {

using std::chrono::milliseconds;

TEST(ReplicaWaiter, AnAckCompletesWhatItCoversOnTheAckingThreadAndNothingElse) {
  std::atomic<int64_t> acked{0};
  ReplicaWaiter waiter([&] { return acked.load(); });
  // Not started: only OnAck can answer, so an answer proves it came from there.
  std::vector<std::thread::id> answered_on(3);
  std::vector<PutStatus> status(3, PutStatus::kServiceNotAvailable);
  const int64_t ends[] = {100, 200, 300};
  for (int i = 0; i < 3; ++i)
    waiter.Submit(ends[i], milliseconds(60'000), [&, i](PutStatus s) {
      status[i] = s;
      answered_on[i] = std::this_thread::get_id();
    });
  acked = 200;
  waiter.OnAck();
  EXPECT_EQ(status[0], PutStatus::kPutOk);
  EXPECT_EQ(status[1], PutStatus::kPutOk);
  EXPECT_EQ(answered_on[0], std::this_thread::get_id());
  EXPECT_EQ(status[2], PutStatus::kServiceNotAvailable) << "300 is past the ack: it still waits";
  acked = 300;
  waiter.OnAck();
  EXPECT_EQ(status[2], PutStatus::kPutOk);
}

TEST(ReplicaWaiter, AlreadyAckedIsAnsweredAtOnceOnTheCaller) {
  ReplicaWaiter waiter([] { return int64_t{500}; });
  std::thread::id on;
  PutStatus status = PutStatus::kServiceNotAvailable;
  waiter.Submit(500, milliseconds(60'000), [&](PutStatus s) {
    status = s;
    on = std::this_thread::get_id();
  });
  EXPECT_EQ(status, PutStatus::kPutOk);
  EXPECT_EQ(on, std::this_thread::get_id());
}

TEST(ReplicaWaiter, TheDeadlineAnswersFlushSlaveTimeoutAndAShorterOneIsNotMissed) {
  ReplicaWaiter waiter([] { return int64_t{0}; });
  waiter.Start();
  std::promise<PutStatus> slow, fast;
  const auto t0 = std::chrono::steady_clock::now();
  waiter.Submit(10, milliseconds(60'000), [&](PutStatus s) { slow.set_value(s); });
  // Submitted after a far deadline: the thread, asleep until then, is woken.
  waiter.Submit(10, milliseconds(50), [&](PutStatus s) { fast.set_value(s); });
  auto f = fast.get_future();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(20)), std::future_status::ready) << "the short deadline was missed";
  EXPECT_EQ(f.get(), PutStatus::kFlushSlaveTimeout);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, milliseconds(50));
  waiter.Stop();  // answers the other
  EXPECT_EQ(slow.get_future().get(), PutStatus::kFlushSlaveTimeout);
}

// The ack moves, and OnAck runs, between Submit's first look at the ack
// and its request being queued: OnAck finds nothing to answer, and no
// later ack comes. The look under the lock answers it.
TEST(ReplicaWaiter, AnAckHandledBetweenTheFirstLookAndTheQueueIsNotLost) {
  static thread_local bool ack_after_this_look = false;
  std::atomic<int64_t> acked{0};
  ReplicaWaiter* self = nullptr;
  ReplicaWaiter waiter([&]() -> int64_t {
    const int64_t seen = acked.load();
    if (!ack_after_this_look) return seen;
    ack_after_this_look = false;
    acked.store(seen + 100);
    self->OnAck();
    return seen;
  });
  self = &waiter;
  PutStatus status = PutStatus::kServiceNotAvailable;
  ack_after_this_look = true;
  waiter.Submit(50, milliseconds(600'000), [&](PutStatus s) { status = s; });
  EXPECT_EQ(status, PutStatus::kPutOk) << "left waiting for an ack that never comes";
}

// Producers submit while an acking thread moves the ack past them; the
// waiter's thread is not started and the deadlines are far: every put is
// answered PUT_OK, by an ack or by its own look.
TEST(ReplicaWaiter, ARequestRacingTheAckIsNeverLeftForALaterOne) {
  constexpr int kProducers = 4, kPuts = 2000;
  std::atomic<int64_t> acked{0}, appended{0};
  ReplicaWaiter waiter([&] { return acked.load(); });
  std::atomic<int> answered{0}, ok{0};
  std::atomic<bool> done{false};
  std::thread acker([&] {
    while (!done.load()) {
      const int64_t to = appended.load();
      if (to > acked.load()) {
        acked.store(to);
        waiter.OnAck();
      }
      std::this_thread::yield();
    }
  });
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p)
    producers.emplace_back([&] {
      for (int i = 0; i < kPuts; ++i) {
        const int64_t end = appended.fetch_add(1) + 1;
        auto answer = std::make_shared<std::promise<PutStatus>>();  // outlives a lost request
        waiter.Submit(end, milliseconds(600'000), [answer](PutStatus s) { answer->set_value(s); });
        auto f = answer->get_future();
        if (f.wait_for(std::chrono::seconds(30)) != std::future_status::ready) return;  // counted below
        answered.fetch_add(1);
        if (f.get() == PutStatus::kPutOk) ok.fetch_add(1);
      }
    });
  for (auto& t : producers) t.join();
  done = true;
  acker.join();
  EXPECT_EQ(answered.load(), kProducers * kPuts);
  EXPECT_EQ(ok.load(), kProducers * kPuts);
}

}  // namespace
}  // namespace mqstore
