// ScheduleMessageService: delivery of the delay levels (RocketMQ's
// ScheduleMessageService, sync mode). A message put with DELAY=n sits in
// SCHEDULE_TOPIC_XXXX queue n-1 (schedule_message.h) and its consume-queue
// unit's tagsCode is its delivery time (the dispatcher writes
// storeTimestamp + delay of level n). For each level, in queue order:
//
//   deliverTs = tagsCode; later than now + the level's delay (the clock went
//     back): now
//   deliverTs > now ........................ stop: the level waits for its head
//   record gone (cleanup), no REAL_TOPIC / REAL_QID, or a real topic of
//     RMQ_SYS_TRANS_HALF_TOPIC ............. skipped, logged
//   re-put to REAL_TOPIC / REAL_QID: PUT_OK moves the level's offset; any
//     other answer leaves it, and the same unit is tried again next round
//     (100 ms later on the thread)
//
// The re-put (RocketMQ's messageTimeup): body, flag, sysFlag, born time and
// host, store host, reconsumeTimes as stored; the properties bytes exactly as
// stored, so the delivered record still carries DELAY, REAL_TOPIC and
// REAL_QID (Java builds the string before removing DELAY from its map; its
// put does not delay again because it looks at the map, and the store's
// re-put runs no put hook). It does not wait for a flush (waitStoreMsgOK is
// false in Java too). tagsCode comes from TAGS at dispatch.
//
// Progress is the DelayOffsetTable (config/delayOffset.json), persisted
// every flushDelayOffsetInterval and at Stop, each time after the commit
// log is flushed up to what was delivered: a persisted offset never claims a
// delivery that a power loss could undo. At-least-once: after a crash the
// levels resume from the last persisted offsets, so what was delivered
// after that persist is delivered again; a re-put that stored the record but
// answered other than PUT_OK is delivered again at once.
//
// A slave delivers nothing and writes no table (a master's progress reaches
// a slave by the broker's own sync, not through the store).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "mqstore/message.h"
#include "mqstore/stats.h"
#include "storage/io/clock.h"
#include "storage/io/file_system.h"
#include "storage/log/commit_log.h"
#include "storage/queue/consume_queue_store.h"
#include "storage/timer/delay_offset_table.h"

namespace mqstore {

class ScheduleMessageService {
 public:
  static constexpr int64_t kPollIntervalMs = 100;  // DELAY_FOR_A_WHILE

  struct Options {
    std::vector<int64_t> delay_level_millis;  // messageDelayLevel, level 1 first
    int64_t persist_interval_ms = 10000;      // flushDelayOffsetInterval
    bool master = true;                       // brokerRole is not SLAVE
    std::string table_path;                   // <root>/config/delayOffset.json
  };
  // Puts a due message back (the store's PutBatch: no put hook runs).
  using RePut = std::function<PutResult(const Message&)>;
  // Makes everything re-put so far durable (the store's Flush).
  using MakeDurable = std::function<Status()>;

  ScheduleMessageService(const CommitLog& log, const ConsumeQueueStore& queues, FileSystem& fs, Clock& clock,
                         Options options, RePut reput, MakeDurable make_durable);
  ~ScheduleMessageService();
  ScheduleMessageService(const ScheduleMessageService&) = delete;
  ScheduleMessageService& operator=(const ScheduleMessageService&) = delete;

  // Loads the table and moves each level's offset into its queue's bounds
  // (correctDelayOffset). An error (both files damaged) is kept: nothing is
  // delivered or persisted, and Stats().error says why.
  Status Load();
  // One round over every level at the clock's wall time; returns how many
  // messages were delivered. The thread calls it every 100 ms; tests call
  // it directly. Nothing on a slave or after a failed Load.
  size_t DeliverDue();
  // Flushes the log, then writes the table (if it changed). Nothing on a
  // slave or after a failed Load.
  Status Persist();

  // The thread: DeliverDue every 100 ms and Persist every persist interval,
  // both on the clock (a FakeClock's Advance drives it). Not on a slave.
  void Start();
  // Stops the thread and, if it ran, persists (the store persists after
  // this anyway: DeliverDue may have run without the thread).
  Status Stop();

  DelayLevelStats Stats() const;
  DelayOffsetTable& table() { return table_; }
  int32_t max_level() const { return static_cast<int32_t>(options_.delay_level_millis.size()); }

 private:
  enum class Outcome { kDelivered, kSkipped, kRetry };
  size_t DeliverLevel(int32_t level, int64_t now);
  Outcome DeliverUnit(int32_t level, const ConsumeQueueUnit& unit);
  bool active() const;
  void Run();

  const CommitLog& log_;
  const ConsumeQueueStore& queues_;
  Clock& clock_;
  const Options options_;
  const RePut reput_;
  const MakeDurable make_durable_;
  DelayOffsetTable table_;

  std::mutex round_mu_;  // one DeliverDue at a time
  mutable std::mutex stats_mu_;
  std::string error_;                        // under stats_mu_
  std::vector<DelayLevelProgress> lateness_;  // under stats_mu_ (offset and pending filled by Stats)
  std::atomic<bool> loaded_{false};
  std::atomic<uint64_t> delivered_{0}, skipped_{0}, put_failures_{0};

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool running_ = false;
  std::thread thread_;
};

}  // namespace mqstore
