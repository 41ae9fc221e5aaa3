// The timers a store would still fire, computed from its files without
// writing a byte, the way RocketMQ 5.x's TimerMessageStore finds them:
//
// 1. the wheel's slots, then recovery's rescan of the timer log from one
//    file before timercheck's lastTimerLogFlushPos (a unit the wheel was not
//    flushed with becomes its slot's newest, as recoverAndRevise does);
// 2. every slot whose time is >= lastReadTimeMs and whose timeUnits match
//    its index (else it is stale or empty);
// 3. each slot's chain, newest to oldest through prevPos, each unit's
//    rmq_sys_wheel_timer record read from the commit log.
//
// A delete marker (magic & DELETE) cancels the unit of its slot whose
// REAL_TOPIC + "+" + UNIQ_KEY equals its TIMER_DEL_UNIQKEY (5.3.2+): such a
// timer is still in the wheel (RocketMQ counts it as pending) but is
// marked `recalled`. Not modelled: RocketMQ also skips slots older than
// now - 7 days at start (currReadTimeMs = max(lastReadTimeMs, ...)); this
// reader has no clock.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "format/timer_log_unit.h"
#include "storage/io/file_system.h"
#include "storage/offline/store_options.h"
#include "storage/store_layout.h"

namespace mqstore {

struct PendingTimer {
  int64_t slot_time_ms = 0;     // the slot it sits in (a ROLL unit: where it is parked)
  int64_t timer_log_offset = 0;
  TimerLogUnit unit;
  bool record_found = false;    // false: `record_error` says why (cleaned up, damaged)
  std::string record_error;
  std::string uniq_key;         // UNIQ_KEY
  std::string real_topic;       // REAL_TOPIC
  int32_t real_queue_id = -1;   // REAL_QID
  int64_t deliver_ms = -1;      // TIMER_OUT_MS: when it is due (a rolled timer too)
  int32_t roll_times = 0;       // TIMER_ROLL_TIMES
  bool recalled = false;        // a delete marker in its slot cancels it
};

struct PendingTimers {
  bool checkpoint_present = false;
  int64_t last_read_time_ms = 0;        // timercheck: slots before it have fired
  int64_t rescan_from = 0;              // timer-log offset recovery's rescan starts at
  std::vector<PendingTimer> timers;     // delete markers left out; by slot time, then append order
  uint64_t slots = 0;                   // pending slots
  int64_t num_sum = 0;                  // sum of their `num` (RocketMQ's getAllCongestNum)
  uint64_t markers = 0;                 // delete markers in pending slots
  uint64_t recalled = 0;                // timers a marker cancels
  uint64_t missing_records = 0;         // units whose record could not be read
  std::vector<std::string> problems;    // chains that break: "<slot>: <what>"
};

Result<PendingTimers> ComputePendingTimers(FileSystem& fs, const StorePaths& paths, const StoreReadOptions& options);

}  // namespace mqstore
