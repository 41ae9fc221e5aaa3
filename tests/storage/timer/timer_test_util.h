// Helpers for the timer-store tests: the RocketMQ 5.3.3 timer golden stores
// (unpacked from their tarballs), their configuration, and reading what the
// timer store delivered to the real topics.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "storage/message_store.h"
#include "tests/support/golden.h"

namespace mqstore::test {

inline constexpr const char* kTimerGoldenSet = "/rocketmq-5.3.3-timer";

// Unpacks <golden>/rocketmq-5.3.3-timer/<set>/store.tar.gz into `into`;
// returns the store root (`into`/store).
inline std::string UnpackTimerStore(const std::string& golden, const std::string& set, const std::string& into) {
  const std::string tarball = golden + kTimerGoldenSet + "/" + set + "/store.tar.gz";
  const std::string cmd = "tar -xzf '" + tarball + "' -C '" + into + "'";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  return into + "/store";
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

// Waits (real time) until dispatch has caught up with the log.
inline void WaitDispatched(MessageStore& store) {
  for (int i = 0; i < 5000 && store.DispatchBehindBytes() > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_EQ(store.DispatchBehindBytes(), 0);
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

}  // namespace mqstore::test
