// The timer part of `mqstore inspect`: pending timers (5.x wheel) and
// delay-level messages (SCHEDULE_TOPIC_XXXX) by when they come due.
#pragma once

#include <array>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "mqstore/status.h"
#include "storage/io/file_system.h"
#include "storage/offline/store_options.h"
#include "storage/store_layout.h"

namespace mqstore::cli {

// Due time minus a reference time: overdue, < 1 min, < 10 min, < 1 h,
// < 1 d, >= 1 d.
inline constexpr size_t kDueBuckets = 6;
using DueHistogram = std::array<uint64_t, kDueBuckets>;
extern const char* const kDueBucketNames[kDueBuckets];
void AddDue(DueHistogram& h, int64_t due_ms, int64_t reference_ms);

struct DelayLevelQueue {
  int32_t queue_id = 0;  // level - 1
  uint64_t messages = 0;
  int64_t delivered_to = 0;  // delayOffset.json: the next queue offset to deliver (0: none yet)
  uint64_t pending = 0;      // units from there on
  DueHistogram due{};        // the pending units by tagsCode (the delivery time) against --now
};

struct TimerOverview {
  bool timer_files = false;       // timerlog/, timerwheel or config/timercheck exist
  int64_t last_read_time_ms = 0;  // the histogram's reference
  uint64_t pending = 0;           // timers in pending slots (markers left out)
  uint64_t recalled = 0;          // of them, cancelled by a marker in their slot
  uint64_t slots = 0;
  DueHistogram due{};             // by TIMER_OUT_MS, recalled ones left out
  std::vector<DelayLevelQueue> delay_levels;
  // Where the delay levels' progress came from: "config/delayOffset.json",
  // its ".bak", or "" (no file: nothing delivered yet).
  std::string delay_progress_source;
  std::vector<std::string> problems;
};

Result<TimerOverview> OverviewTimers(FileSystem& fs, const StorePaths& paths, const StoreReadOptions& options,
                                     int64_t now_ms);

void PrintTimerOverviewText(const TimerOverview& t, int64_t now_ms, std::ostream& out);
void PrintTimerOverviewJson(const TimerOverview& t, int64_t now_ms, std::ostream& out);

}  // namespace mqstore::cli
