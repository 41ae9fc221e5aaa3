// Helpers for the timer-store tests: the RocketMQ 5.3.3 timer golden stores
// (unpacked from their tarballs), their configuration, and reading what the
// timer store delivered to the real topics.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <utility>
#include <string>
#include <thread>
#include <vector>

#include "storage/message_store.h"
#include "tests/storage/engine_test_util.h"
#include "tests/support/golden.h"
#include "tests/support/golden_tar.h"

namespace mqstore::test {

inline constexpr const char* kTimerGoldenSet = "/rocketmq-5.3.3-timer";

// Unpacks <golden>/rocketmq-5.3.3-timer/<set>/store.tar.gz into `into`;
// returns the store root (`into`/store).
inline std::string UnpackTimerStore(const std::string& golden, const std::string& set, const std::string& into) {
  std::string why;
  const std::string root = UnpackStoreTarball(golden + kTimerGoldenSet + "/" + set, into, &why);
  EXPECT_FALSE(root.empty()) << why;
  return root.empty() ? into + "/store" : root;
}

// HOW.md's configuration of the timer sets.
inline StoreConfig TimerGoldenConfig(const std::string& root, bool roll_set) {
  StoreConfig c;
  c.storePathRootDir = root;
  c.mappedFileSizeCommitLog = 1048576;
  c.mappedFileSizeConsumeQueue = 6000;
  c.maxHashSlotNum = 1000;
  c.maxIndexNum = 4000;
  c.timerWheelEnable = true;
  if (roll_set) {
    c.mappedFileSizeTimerLog = 4096;
    c.timerRollWindowSlot = 20;
  }
  return c;
}

// A record the timer store put into a real topic.
struct DeliveredTimer {
  std::string topic;
  int32_t queue_id = 0;
  std::string uniq_key;
  std::map<std::string, std::string> props;
};

// The records of `topic`/`queue_id` from queue offset `from` on.
inline std::vector<DeliveredTimer> ReadQueueFrom(MessageStore& store, const std::string& topic, int32_t queue_id,
                                                 int64_t from) {
  std::vector<DeliveredTimer> out;
  const int64_t max = store.GetMaxOffsetInQueue(topic, queue_id);
  for (int64_t at = std::max<int64_t>(from, 0); at < max; ++at) {
    auto view = store.LookMessageByOffset(store.GetCommitLogOffsetInQueue(topic, queue_id, at));
    if (!view.ok()) {
      ADD_FAILURE() << topic << "/" << queue_id << " unit " << at << ": " << view.error().ToString();
      continue;
    }
    DeliveredTimer d;
    d.topic = std::string(view->message.topic);
    d.queue_id = view->message.queue_id;
    for (const Property& p : view->message.properties().ToList()) d.props[std::string(p.name)] = std::string(p.value);
    d.uniq_key = d.props["UNIQ_KEY"];
    out.push_back(std::move(d));
  }
  return out;
}

// What the delivery tests read back: every real queue's new records.
class Deliveries {
 public:
  // The golden sets' real queues by default.
  explicit Deliveries(MessageStore& store,
                      const std::vector<std::pair<std::string, int32_t>>& topics = {{"TopicA", 4}, {"TopicB", 2}, {"TopicC", 1}})
      : store_(store) {
    for (const auto& [topic, count] : topics)
      for (int32_t q = 0; q < count; ++q) next_[{topic, q}] = store.GetMaxOffsetInQueue(topic, q);
  }
  // Reads what arrived since the last call; each must carry a dequeue time
  // at or after its TIMER_OUT_MS.
  void Collect() {
    for (auto& [queue, next] : next_) {
      for (DeliveredTimer& d : ReadQueueFrom(store_, queue.first, queue.second, next)) {
        EXPECT_GE(std::stoll(d.props["TIMER_DEQUEUE_MS"]), std::stoll(d.props["TIMER_OUT_MS"])) << d.uniq_key;
        EXPECT_EQ(d.props["REAL_TOPIC"], d.topic) << "REAL_TOPIC stays in the bytes";
        EXPECT_EQ(d.props["REAL_QID"], std::to_string(d.queue_id));
        EXPECT_TRUE(d.props.count("TIMER_ENQUEUE_MS")) << d.uniq_key;
        count_[d.uniq_key]++;
        where_[d.uniq_key] = {d.topic, d.queue_id};
        ++next;
      }
    }
  }
  int Count(const std::string& uniq) const {
    auto it = count_.find(uniq);
    return it == count_.end() ? 0 : it->second;
  }
  std::pair<std::string, int32_t> Where(const std::string& uniq) const { return where_.at(uniq); }
  size_t total() const {
    size_t n = 0;
    for (const auto& [k, c] : count_) n += static_cast<size_t>(c);
    return n;
  }

 private:
  MessageStore& store_;
  std::map<std::pair<std::string, int32_t>, int64_t> next_;
  std::map<std::string, int> count_;
  std::map<std::string, std::pair<std::string, int32_t>> where_;
};

// Fires what is due, then lets each roll's re-put reach the timer topic's
// queue and be enqueued, until nothing is left to do at this time.
inline void Settle(MessageStore& store) {
  TimerMessageStore& timer = *store.timer_store();
  for (int round = 0; round < 50; ++round) {
    ASSERT_TRUE(timer.RunDue().ok());
    WaitDispatched(store);
    if (timer.curr_queue_offset() >= store.GetMaxOffsetInQueue(std::string(kTimerTopic), 0)) return;
  }
  FAIL() << "the timer store did not settle";
}

}  // namespace mqstore::test
