// ReplicaWaiter: SYNC_MASTER's wait for a slave (RocketMQ's
// GroupTransferService). Each request waits until some slave acknowledged
// an offset at or past its `end` (PUT_OK) or its deadline passes
// (FLUSH_SLAVE_TIMEOUT). An ack completes every request it covers at once,
// on the thread that read it (so a whole group commit's puts end with one
// wait, and no thread hop); one thread of the waiter's own answers the
// deadlines.
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

  // `done` runs on the thread of the ack that covers `end` (at once on the
  // caller's when already acked), or on the waiter's at the deadline.
  void Submit(int64_t end, std::chrono::milliseconds timeout, Done done);
  // The same, blocking: kPutOk or kFlushSlaveTimeout.
  PutStatus Wait(int64_t end, std::chrono::milliseconds timeout);
  // A slave's ack grew: completes the requests it covers, here.
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
  // The deadline the thread sleeps until (max: none); a Submit due sooner
  // bumps `submitted_` to wake it.
  std::chrono::steady_clock::time_point sleeps_until_ = std::chrono::steady_clock::time_point::max();
  uint64_t submitted_ = 0;
  std::thread thread_;
};

}  // namespace mqstore
