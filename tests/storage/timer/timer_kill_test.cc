// The timer store in a process killed with SIGKILL, once while timers are
// being enqueued and once while a slot is being delivered. After a reopen
// every acknowledged timer is delivered (nothing lost), none before its
// TIMER_OUT_MS. Duplicates can appear only where RocketMQ's also do: the
// slots fired after the last checkpoint (timerFlushIntervalMs) and the one
// cut short by the kill fire again.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "format/property_map.h"
#include "storage/store_log.h"
#include "tests/storage/engine_test_util.h"
#include "tests/storage/timer/timer_test_util.h"
#include "tests/support/golden.h"
#include "tests/support/reporting_child.h"

namespace mqstore {
namespace {

constexpr int kTimers = 400;

StoreConfig KillConfig(const std::string& root) {
  StoreConfig c = test::SmallStoreConfig(root, /*write_backend=*/false);  // a kill keeps the page cache
  c.timerPrecisionMs = 100;  // 100 ms slots: the test takes seconds, not minutes
  c.timerFlushIntervalMs = 100;
  c.mappedFileSizeTimerLog = 4096;
  return c;
}

// Child: puts kTimers timers due within ~2 s, acknowledging each on `ack`;
// with `same_slot` they are all due in one slot, and once one has fired the
// child says so (the parent kills it mid-delivery). Never returns.
[[noreturn]] void RunChild(const StoreConfig& config, int ack, bool same_slot) {
  auto opened = MessageStore::Open(config);
  if (!opened.ok()) _exit(3);
  MessageStore& store = **opened;
  const int64_t due = Clock::System().WallMillis() + 800;
  for (int i = 0; i < kTimers; ++i) {
    test::OwnedMessage m("TopicA", i % 4, 64, "K" + std::to_string(i));
    PropertyMap props = PropertyMap::Parse(m.properties);
    props.Set("TIMER_DELIVER_MS", std::to_string(same_slot ? due : due + (i * 37) % 1500));
    m.properties = *props.Serialize();
    if (!store.Put(m.message()).ok()) _exit(4);
    if (write(ack, &i, sizeof i) != sizeof i) _exit(5);
  }
  for (;;) {
    if (same_slot && store.Stats().timer.fired > 0) {
      const int fired = -1;
      if (write(ack, &fired, sizeof fired) != sizeof fired) _exit(6);
      pause();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

class TimerKillTest : public ::testing::TestWithParam<bool> {};

TEST_P(TimerKillTest, EveryAcknowledgedTimerIsDeliveredAfterAKillNoneEarly) {
  SetLogSink({});
  const bool during_delivery = GetParam();
  test::TempDir tmp;
  const StoreConfig config = KillConfig(tmp.path() + "/store");
  test::ReportingChild child([&](int ack) { RunChild(config, ack, during_delivery); });
  ASSERT_TRUE(child.started());
  // During enqueue: kill after a third of the puts. During delivery: once a
  // timer of the one slot has fired.
  int acked = 0, v = 0;
  while (child.Read(v)) {
    if (v >= 0) acked = v + 1;
    if (!during_delivery && acked >= kTimers / 3) break;
    if (during_delivery && v < 0) break;
  }
  ASSERT_TRUE(child.KillAndReap()) << "the child stopped by itself: " << child.why();

  auto opened = MessageStore::Open(config);
  ASSERT_TRUE(opened.ok()) << opened.error().ToString();
  MessageStore& store = **opened;
  EXPECT_TRUE(store.recovery().abnormal);
  // Every timer is due within ~2.5 s of the kill; the thread fires them.
  std::map<std::string, int> count;
  for (int round = 0; round < 100; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    test::WaitDispatched(store);
    count.clear();
    for (int q = 0; q < 4; ++q)
      for (const auto& d : test::ReadQueueFrom(store, "TopicA", q, 0)) {
        EXPECT_GE(std::stoll(d.props.at("TIMER_DEQUEUE_MS")), std::stoll(d.props.at("TIMER_OUT_MS"))) << d.uniq_key;
        count[d.uniq_key]++;
      }
    bool all = true;
    for (int i = 0; i < acked; ++i) all = all && count.count("K" + std::to_string(i)) > 0;
    if (all && store.Stats().timer.pending == 0) break;
  }
  for (int i = 0; i < acked; ++i) EXPECT_GE(count["K" + std::to_string(i)], 1) << "K" << i << " lost";
  int duplicated = 0;
  for (const auto& [key, n] : count) duplicated += n > 1 ? 1 : 0;
  if (!during_delivery) {
    EXPECT_EQ(duplicated, 0) << "nothing had fired before the kill";
  }
  ASSERT_TRUE(store.Shutdown().ok());
}

INSTANTIATE_TEST_SUITE_P(Moments, TimerKillTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "DuringDelivery" : "DuringEnqueue"; });

}  // namespace
}  // namespace mqstore
