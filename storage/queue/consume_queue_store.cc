#include "storage/queue/consume_queue_store.h"

#include "format/topic_name.h"
#include "storage/store_log.h"

namespace mqstore {

ConsumeQueueStore::ConsumeQueueStore(FileSystem& fs, ConsumeQueueStoreOptions options)
    : fs_(fs), options_(std::move(options)) {}

ConsumeQueueOptions ConsumeQueueStore::QueueOptions(std::string_view topic, int32_t queue_id) const {
  ConsumeQueueOptions o;
  o.topic = std::string(topic);
  o.queue_id = queue_id;
  o.dir = JoinPath(JoinPath(options_.paths.ConsumeQueueDir(), o.topic), std::to_string(queue_id));
  o.file_size = options_.file_size;
  o.max_tags_tracked = options_.max_tags_tracked;
  o.prefaulter = options_.prefaulter;
  return o;
}

Status ConsumeQueueStore::LoadAndRecover() {
  auto locations = ListConsumeQueues(fs_, options_.paths);
  if (!locations.ok()) return locations.error();
  std::unique_lock lock(mu_);
  for (const ConsumeQueueLocation& loc : *locations) {
    auto queue = std::make_unique<ConsumeQueue>(fs_, QueueOptions(loc.topic, loc.queue_id));
    MQ_RETURN_IF_ERROR(queue->Load());
    MQ_RETURN_IF_ERROR(queue->Recover());
    queues_[loc.topic][loc.queue_id] = std::move(queue);
  }
  return Status::Ok();
}

Status ConsumeQueueStore::TruncateDirty(int64_t phy_end) {
  for (ConsumeQueue* q : All()) {
    if (q->MaxPhysicOffset() >= phy_end) MQ_RETURN_IF_ERROR(q->TruncateDirty(phy_end));
  }
  return Status::Ok();
}

void ConsumeQueueStore::CorrectMinOffset(int64_t commit_log_min_offset) {
  for (ConsumeQueue* q : All()) q->CorrectMinOffset(commit_log_min_offset);
}

Status ConsumeQueueStore::DestroyAll() {
  std::unique_lock lock(mu_);
  for (auto& [topic, queues] : queues_) {
    for (auto& [id, q] : queues) MQ_RETURN_IF_ERROR(q->Destroy());
  }
  queues_.clear();
  last_ = nullptr;
  return Status::Ok();
}

Result<ConsumeQueue*> ConsumeQueueStore::QueueOf(const DispatchRequest& r) {
  ConsumeQueue* q = last_;
  if (q == nullptr || q->queue_id() != r.queue_id || q->topic() != r.topic) {
    auto found = FindOrCreate(r.topic, r.queue_id);
    if (!found.ok()) return found.error();
    if (*found == nullptr) return nullptr;
    q = last_ = *found;
  }
  return q;
}

// A record already in the log (another broker's, an older build's) whose
// topic cannot name a directory: it stays in the log, readable by offset
// and key, but gets no unit. Logged (the first ten, then at powers of two)
// and counted.
void ConsumeQueueStore::NoteBadTopic(const DispatchRequest& r) {
  const uint64_t n = bad_topic_records_.fetch_add(1, std::memory_order_relaxed) + 1;
  if (n > 10 && (n & (n - 1)) != 0) return;
  StoreLog(LogLevel::kWarn, "consume queues: the record at commit-log offset " + std::to_string(r.commit_log_offset) +
                                " gets no unit: " + DescribeTopicProblem(CheckTopicAsFileName(r.topic), r.topic,
                                                                         kMaxTopicFileNameBytes) +
                                " (" + std::to_string(n) + " such records so far)");
}

Status ConsumeQueueStore::Dispatch(const DispatchRequest& r) {
  size_t taken = 0;
  return DispatchBatch(std::span<const DispatchRequest>(&r, 1), taken);
}

ConsumeQueueStore::Group& ConsumeQueueStore::GroupOf(ConsumeQueue* q) {
  for (size_t i = used_groups_; i-- > 0;)  // the newest first: runs of one queue are common
    if (groups_[i].queue == q) return groups_[i];
  if (used_groups_ == groups_.size()) groups_.emplace_back();
  Group& g = groups_[used_groups_++];
  g.queue = q;
  g.units.clear();
  g.requests.clear();
  return g;
}

Status ConsumeQueueStore::DispatchBatch(std::span<const DispatchRequest> batch, size_t& taken) {
  used_groups_ = 0;
  Status failed;
  taken = batch.size();
  for (size_t i = 0; i < batch.size(); ++i) {
    const DispatchRequest& r = batch[i];
    if (!r.GoesToConsumeQueue()) continue;
    auto q = QueueOf(r);
    if (!q.ok()) {  // the records before it still go in
      failed = q.error();
      taken = i;
      break;
    }
    if (*q == nullptr) {
      NoteBadTopic(r);
      continue;
    }
    Group& g = GroupOf(*q);
    g.units.push_back({r.commit_log_offset, r.size, r.tags_code, r.queue_offset, r.store_timestamp});
    g.requests.push_back(i);
  }
  // Where the log starts now: cleanup may have deleted records the
  // dispatcher had not reached (ConsumeQueue::PutUnit).
  const std::optional<int64_t> log_min = used_groups_ > 0 && log_ ? std::optional(log_->MinOffset()) : std::nullopt;
  for (size_t i = 0; i < used_groups_; ++i) {
    Group& g = groups_[i];
    size_t done = 0;
    Status st = g.queue->PutUnits(g.units, done, log_min);
    if (st.ok()) continue;
    // Units of other queues after this one may be in already: taking them
    // again is a no-op (PutUnit rule 1).
    if (g.requests[done] < taken) {
      taken = g.requests[done];
      failed = st;
    }
  }
  for (size_t i = taken; i-- > 0;) {
    if (!batch[i].GoesToConsumeQueue()) continue;
    last_store_timestamp_.store(batch[i].store_timestamp, std::memory_order_release);
    break;
  }
  return failed;
}

ConsumeQueue* ConsumeQueueStore::Find(std::string_view topic, int32_t queue_id) const {
  std::shared_lock lock(mu_);
  auto t = queues_.find(topic);
  if (t == queues_.end()) return nullptr;
  auto q = t->second.find(queue_id);
  return q == t->second.end() ? nullptr : q->second.get();
}

Result<ConsumeQueue*> ConsumeQueueStore::FindOrCreate(std::string_view topic, int32_t queue_id) {
  // Only the dispatcher's thread adds queues, so it looks without the lock
  // (readers hold it shared: read against read).
  if (auto t = queues_.find(topic); t != queues_.end()) {
    if (auto q = t->second.find(queue_id); q != t->second.end()) return q->second.get();
  }
  // A topic is a directory name: nothing outside consumequeue/<topic>/ is
  // ever created, whatever bytes a record carries.
  if (CheckTopicAsFileName(topic) != TopicProblem::kNone) return nullptr;
  auto queue = std::make_unique<ConsumeQueue>(fs_, QueueOptions(topic, queue_id));
  MQ_RETURN_IF_ERROR(queue->Load());  // usually an empty directory: creates nothing yet
  MQ_RETURN_IF_ERROR(queue->Recover());
  std::unique_lock lock(mu_);
  auto& slot = queues_[std::string(topic)][queue_id];
  slot = std::move(queue);
  return slot.get();
}

std::vector<ConsumeQueue*> ConsumeQueueStore::All() const {
  std::shared_lock lock(mu_);
  std::vector<ConsumeQueue*> all;
  for (const auto& [topic, queues] : queues_) {
    for (const auto& [id, q] : queues) all.push_back(q.get());
  }
  return all;
}

size_t ConsumeQueueStore::size() const {
  std::shared_lock lock(mu_);
  size_t n = 0;
  for (const auto& [topic, queues] : queues_) n += queues.size();
  return n;
}

Result<bool> ConsumeQueueStore::Flush(int least_pages) {
  bool all = true;
  for (ConsumeQueue* q : All()) {
    auto done = q->Flush(least_pages);
    if (!done.ok()) return done.error();
    all = all && *done;
  }
  return all;
}

int64_t ConsumeQueueStore::OffsetInQueueByTime(std::string_view topic, int32_t queue_id, int64_t timestamp,
                                               const CommitLog& log) const {
  const ConsumeQueue* q = Find(topic, queue_id);
  if (!q) return 0;
  // Store times rise with queue offsets; a unit whose record is gone counts
  // as earlier than any time.
  auto before = [&](int64_t n) {
    const std::optional<ConsumeQueueUnit> unit = q->GetUnit(n);
    if (!unit) return true;
    auto m = log.LookMessage(unit->commit_log_offset);
    return !m.ok() || m->message.store_timestamp < timestamp;
  };
  int64_t lo = q->MinOffset(), hi = q->MaxOffset();
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (before(mid)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

size_t ConsumeQueueStore::TagIndexMemoryBytes() const {
  size_t bytes = 0;
  for (ConsumeQueue* q : All()) bytes += q->tag_index().MemoryBytes();
  return bytes;
}

}  // namespace mqstore
