#include "storage/queue/queue_catch_up.h"

#include <algorithm>
#include <optional>
#include <string>

#include "format/topic_name.h"
#include "storage/store_log.h"

namespace mqstore {
namespace {

// Short queues named one by one in the log; the rest are counted.
constexpr size_t kQueuesNamed = 8;

std::string QueueName(const ConsumeQueue& q) { return EscapeForDisplay(q.topic()) + "/" + std::to_string(q.queue_id()); }

// Unit n points at the record of the queue's queue offset n. A unit below
// the log's start cannot be checked (its record was deleted) and counts as
// right.
bool UnitMatchesLog(const CommitLog& log, const ConsumeQueue& q, int64_t n) {
  const std::optional<ConsumeQueueUnit> unit = q.GetUnit(n);
  if (!unit || !unit->IsValid() || unit->IsBlankPad()) return false;
  if (unit->commit_log_offset < log.MinOffset()) return true;
  auto m = log.LookMessage(unit->commit_log_offset);
  return m.ok() && m->message.topic == q.topic() && m->message.queue_id == q.queue_id() &&
         m->message.queue_offset == n && m->message.total_size == unit->size;
}

// The first unit that does not match the log, the matching ones being a
// prefix (units are written in log order); MaxOffset when the last one
// matches. O(log n) record reads.
int64_t FirstWrongUnit(const CommitLog& log, const ConsumeQueue& q) {
  int64_t lo = q.MinOffset();
  int64_t wrong = q.MaxOffset();
  if (lo >= wrong || UnitMatchesLog(log, q, wrong - 1)) return wrong;
  --wrong;  // known wrong; look for an earlier one
  while (lo < wrong) {
    const int64_t mid = lo + (wrong - lo) / 2;
    if (UnitMatchesLog(log, q, mid)) lo = mid + 1;
    else wrong = mid;
  }
  return wrong;
}

// A queue whose length differs from the log's: cut it where it stops
// agreeing with the log, then raise the log's table if it is still longer.
Status ReconcileLength(CommitLog& log, ConsumeQueue& q, QueueCatchUp& out) {
  const int64_t wrong = FirstWrongUnit(log, q);
  if (wrong < q.MaxOffset()) {
    StoreLog(LogLevel::kWarn, "consume queue " + QueueName(q) + ": unit " + std::to_string(wrong) + " of " +
                                  std::to_string(q.MaxOffset()) +
                                  " does not point at the record of its queue offset; cutting the queue there and "
                                  "dispatching the rest again");
    MQ_RETURN_IF_ERROR(q.TruncateTo(wrong));
    ++out.cut_queues;
  }
  const int64_t next = log.NextQueueOffset(q.topic(), q.queue_id());
  if (q.MaxOffset() > next) {
    StoreLog(LogLevel::kInfo, "consume queue " + QueueName(q) + " ends at " + std::to_string(q.MaxOffset()) +
                                  ", past the records left in the commit log (next queue offset " +
                                  std::to_string(next) + "): new records continue after its end");
    log.RaiseNextQueueOffset(q.topic(), q.queue_id(), q.MaxOffset());
    ++out.raised_queues;
  }
  return Status::Ok();
}

}  // namespace

Result<QueueCatchUp> CatchUpQueuesWithLog(CommitLog& log, ConsumeQueueStore& queues) {
  QueueCatchUp out;
  // A queue as long as the log says is taken as it is: checking every
  // queue's last unit would read one record per queue at every open.
  for (ConsumeQueue* q : queues.All()) {
    if (q->MaxOffset() != log.NextQueueOffset(q->topic(), q->queue_id())) MQ_RETURN_IF_ERROR(ReconcileLength(log, *q, out));
  }
  const int64_t log_min = log.MinOffset();
  std::string named;
  for (const QueueOffsetTable::Entry& e : log.QueueOffsets()) {
    if (CheckTopicAsFileName(e.topic) != TopicProblem::kNone) continue;  // no queue: skipped by dispatch
    const ConsumeQueue* q = queues.Find(e.topic, e.queue_id);
    const int64_t units = q ? q->MaxOffset() : 0;
    if (units >= e.next_offset) continue;
    // After its last unit's record, or from the log's start; records
    // cleanup deleted meanwhile are skipped by the dispatcher, and the
    // queue restarts at the first one left (ConsumeQueue::PutUnit, ConsumeQueueStore::AttachLog).
    const int64_t restart = q && q->MaxPhysicOffset() >= 0 ? std::max(q->MaxPhysicOffset(), log_min) : log_min;
    out.from = std::min(out.from, restart);
    if (++out.short_queues <= kQueuesNamed)
      named += (named.empty() ? "" : ", ") + EscapeForDisplay(e.topic) + "/" + std::to_string(e.queue_id) + " (" +
               std::to_string(units) + " of " + std::to_string(e.next_offset) + " units, from " +
               std::to_string(restart) + ")";
  }
  if (out.short_queues > 0)
    StoreLog(LogLevel::kInfo, std::to_string(out.short_queues) + " consume queue(s) end before the commit log's "
                                  "records for them: " + named + (out.short_queues > kQueuesNamed ? ", ..." : "") +
                                  "; dispatching again from commit-log offset " + std::to_string(out.from));
  return out;
}

}  // namespace mqstore
