// ConsumeQueueFlushService: makes consume queues and index files durable
// (RocketMQ's FlushConsumeQueueService, plus the index flush of full files).
//
// Every flushIntervalConsumeQueue ms it fdatasyncs each queue file with at
// least flushConsumeQueueLeastPages dirty pages; every
// flushConsumeQueueThoroughInterval ms it syncs everything, and only then
// moves the checkpoint's logicsMsgTimestamp to the store time it captured
// before that round, so the checkpoint never claims a unit durable that was
// not. Full index files are synced and indexMsgTimestamp moved likewise.
// Abnormal recovery re-dispatches from those timestamps (CommitLog.recoverAbnormally).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "storage/index/index_service.h"
#include "storage/io/clock.h"
#include "storage/log/store_checkpoint.h"
#include "storage/queue/consume_queue_store.h"

namespace mqstore {

class ConsumeQueueFlushService {
 public:
  struct Options {
    int32_t interval_ms = 1000;              // flushIntervalConsumeQueue
    int32_t least_pages = 2;                 // flushConsumeQueueLeastPages
    int32_t thorough_interval_ms = 60000;    // flushConsumeQueueThoroughInterval
  };
  // `index` may be nullptr (messageIndexEnable=false). The intervals are
  // `clock`'s monotonic time.
  ConsumeQueueFlushService(ConsumeQueueStore& queues, IndexService* index, StoreCheckpoint& checkpoint, Clock& clock,
                           Options options);
  ~ConsumeQueueFlushService();

  void Start();
  // Stops the thread and syncs everything (a thorough round).
  Status Stop();
  // One round now, from the calling thread.
  Status FlushRound(bool thorough);

 private:
  void Run();

  ConsumeQueueStore& queues_;
  IndexService* index_;
  StoreCheckpoint& checkpoint_;
  Clock& clock_;
  const Options options_;
  std::mutex round_mu_;  // one round at a time
  std::mutex mu_;
  std::condition_variable cv_;
  bool running_ = false;
  std::thread thread_;
};

}  // namespace mqstore
