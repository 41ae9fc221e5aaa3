// Queue catch-up at open: after commit-log recovery, every consume queue is
// compared with the log's topic-queue table (CommitLog::NextQueueOffset: the
// next queue offset the log holds records for), one queue at a time, so
// that no queue depends on how far the others got.
//
//   short  fewer units than the log has records: dispatch must start again
//          no later than the end of its last unit's record (the log's start
//          when it has no unit or no directory); units it already has are
//          taken again as no-ops (ConsumeQueue::PutUnits rule 1)
//   wrong  its last unit is not the record of its queue offset (units an
//          older build appended out of place after a short queue): cut from
//          the first wrong unit, found by bisection, then short
//   long   more units than the log knows of (cleanup deleted the queue's
//          records): the log's table is raised to the queue's end, so new
//          records continue after it rather than reuse its offsets
//
// Records that take no queue offset (PREPARED, ROLLBACK) are not in the
// table, and a topic that cannot name a directory (CheckTopicAsFileName)
// has no queue: neither makes a queue short.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>

#include "mqstore/status.h"
#include "storage/log/commit_log.h"
#include "storage/queue/consume_queue_store.h"

namespace mqstore {

struct QueueCatchUp {
  // The lowest commit-log offset a short queue needs dispatch to start
  // from; kNone when no queue is short.
  static constexpr int64_t kNone = std::numeric_limits<int64_t>::max();
  int64_t from = kNone;
  size_t short_queues = 0;
  size_t cut_queues = 0;     // had units at wrong queue offsets
  size_t raised_queues = 0;  // longer than the log's records
};

// Before dispatch starts (no puts, no dispatcher running): cuts wrong
// units, raises the log's table for long queues and says where dispatch
// must start for the short ones. Logs what it finds.
Result<QueueCatchUp> CatchUpQueuesWithLog(CommitLog& log, ConsumeQueueStore& queues);

}  // namespace mqstore
