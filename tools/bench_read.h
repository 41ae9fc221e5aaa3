// The read side of `mqstore bench` (bench_workloads.h), on an open store:
//
//   cursor     the read workload's pass: the whole log through
//              NewCursor(GetMinPhyOffset()), counted per topic/queue.
//   dispatch   the whole log put without dispatch (dispatchOnOwnThread=false)
//              dispatched by MessageStore::DispatchOnce in a loop until
//              DispatchBehindBytes() is 0, timed; then the consume queues
//              and the index are counted against what was put.
//   pulls      after the read workload's cursor pass, one thread pulls
//              every queue the cursor saw from offset 0 to its max offset
//              with GetMessage into one reused result, 32 per pull:
//                unfiltered, twice (the second runs from page cache and is
//                reported; the first also counts kRareTag and samples
//                UNIQ_KEYs), then TagFilter kRareTag through the tag
//                bitmaps and by scanning units (use_tag_bitmap=false).
//   queries    QueryMessage(topic, UNIQ_KEY, 32, 0, INT64_MAX) for up to
//              kMaxQuerySamples keys sampled evenly over the first pass,
//              each timed (LatencyHistogram in ns, reported in us) and
//              checked to return the sampled record.
#pragma once

#include <cstdint>

#include "mqstore/status.h"
#include "storage/message_store.h"
#include "tools/bench_workloads.h"

namespace mqstore::cli::bench {

inline constexpr int32_t kPullBatch = 32;
inline constexpr uint64_t kMaxQuerySamples = 100000;
inline constexpr int64_t kDispatchBytesPerCall = int64_t{1} << 30;

// Fills r.ok/bytes/seconds/messages and check.queues (and errors).
void ReadLog(const MessageStore& store, BenchResult& r, ReadCheck& check);

// What the dispatch workload's queues (the spec's topics and queues) and
// index held before its puts.
struct DispatchBaseline {
  uint64_t queue_units = 0;
  uint64_t index_keys = 0;
};
DispatchBaseline TakeDispatchBaseline(const MessageStore& store, const BenchSpec& spec);

// `r` holds the put phase (RunProducers). Dispatches everything, timed, and
// turns `r` into the dispatch result: messages/seconds/bytes are the
// dispatch's, the put rate and the ratio go to r.values, the counts to
// r.dispatch. An error of DispatchOnce is returned.
Status TimeDispatch(MessageStore& store, const BenchSpec& spec, const DispatchBaseline& before, BenchResult& r);

// After the cursor pass filled r.read->queues and r.ok: the pulls and the
// queries, into r.read and r.values.
void RunConsumerPasses(const MessageStore& store, BenchResult& r);

}  // namespace mqstore::cli::bench
