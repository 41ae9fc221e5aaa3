// ReplicaWaiter: SYNC_MASTER's wait for a slave (RocketMQ's
// GroupTransferService). Each request waits until some slave acknowledged
// an offset at or past its `end` (PUT_OK) or its deadline passes
// (FLUSH_SLAVE_TIMEOUT). One thread serves all requests: an ack that
// arrives completes every request it covers at once, so a whole group
// commit's puts end with one wait.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "mqstore/message.h"

namespace mqstore {

class ReplicaWaiter {
 public:
  using Done = std::function<void(PutStatus)>;

  explicit ReplicaWaiter(std::function<int64_t()> acked);
  ~ReplicaWaiter();
  ReplicaWaiter(const ReplicaWaiter&) = delete;
  ReplicaWaiter& operator=(const ReplicaWaiter&) = delete;

  void Start();
  // Answers what still waits with FLUSH_SLAVE_TIMEOUT and joins.
  void Stop();

  // `done` runs on the waiter's thread (or at once when already acked).
  void Submit(int64_t end, std::chrono::milliseconds timeout, Done done);
  // The same, blocking: kPutOk or kFlushSlaveTimeout.
  PutStatus Wait(int64_t end, std::chrono::milliseconds timeout);
  // A slave's ack grew: wake the thread.
  void OnAck();

 private:
  struct Request {
    int64_t end;
    std::chrono::steady_clock::time_point deadline;
    Done done;
  };
  void Run();

  const std::function<int64_t()> acked_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Request> requests_;
  bool stop_ = false;
  uint64_t acks_ = 0;  // bumped by OnAck, so the thread never misses one
  std::thread thread_;
};

}  // namespace mqstore
