// The timer workload of `mqstore bench` (bench_workloads.h): the wheel
// against a heap and an ordered set.
//
//   1. put      N timer messages (TIMER_DELIVER_MS spread at random over a
//               window that opens once the wheel should hold them all) with
//               the timer store's enqueue and dequeue stopped;
//   2. enqueue  reopen with them running: the time until the wheel holds all
//               N (consume queue -> timer log and wheel) is the enqueue rate;
//               the most timers pending at once is pending_max;
//   3. deliver  wait while they come due (N / window = 200k timers/s) and
//               are put back to their topics: the delivery rate, and the
//               lateness (fire time - TIMER_OUT_MS) from the store's stats;
//   4. compare  the same (due time, offset) pairs, in the same order, pushed
//               into a std::priority_queue (a binary heap) and a
//               std::multimap (an ordered set: a Redis ZSet's skip list has
//               the same O(log n) insert), timed in this process.
#pragma once

#include <cstdint>
#include <ostream>

#include "mqstore/status.h"
#include "tools/bench_workloads.h"

namespace mqstore::cli::bench {

// Timers coming due per second in phase 3 (the bar: lateness p99 <=
// precision + 50 ms at this rate).
inline constexpr int64_t kTimersDuePerSecond = 200000;

Result<BenchResult> TimerWorkload(const BenchSpec& spec, std::ostream& err);

// Phase 4 alone: inserts per second into a binary heap and a multimap of
// `n` pairs drawn with the same seed as the store's due times.
struct OrderedStructureRates {
  double heap_inserts_per_sec = 0;
  double ordered_set_inserts_per_sec = 0;
};
OrderedStructureRates MeasureOrderedStructures(int64_t n, int64_t window_ms);

}  // namespace mqstore::cli::bench
