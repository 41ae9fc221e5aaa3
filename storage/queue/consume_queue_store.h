// ConsumeQueueStore: every ConsumeQueue of a store, by topic and queue id
// (RocketMQ's consumeQueueTable), and the consume-queue builder the
// dispatcher calls for each record.
//
//   consumequeue/<topic>/<queueId>/<files>     one ConsumeQueue each
//
// Queues are created on the first unit and live as long as the store, so a
// ConsumeQueue* handed out stays valid. Lookups take string_views, so a
// pull of a known queue allocates nothing.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "storage/log/commit_log.h"
#include "storage/queue/consume_queue.h"
#include "storage/dispatch/dispatch_request.h"
#include "storage/dispatch/dispatch_sink.h"
#include "storage/io/file_system.h"
#include "storage/store_layout.h"

namespace mqstore {

struct ConsumeQueueStoreOptions {
  StorePaths paths;  // queues live under paths.ConsumeQueueDir()
  int64_t file_size = kDefaultCqFileSize;
  size_t max_tags_tracked = 64;
  Prefaulter* prefaulter = nullptr;  // for every queue's files (ConsumeQueueOptions)
};

class ConsumeQueueStore final : public DispatchSink {
 public:
  ConsumeQueueStore(FileSystem& fs, ConsumeQueueStoreOptions options);

  // The commit log the units point into, attached once it is built and
  // before dispatch starts: the queues are loaded and recovered before the
  // log (DefaultMessageStore.recover), so it cannot be given at construction. Dispatch reads
  // only its MinOffset, once per batch, and hands it to the queues as a
  // value (ConsumeQueue::PutUnits): no queue reaches into the log, and
  // nothing is read from a log that does not exist yet. Unattached (a
  // queue store on its own), a queue never restarts past a gap.
  void AttachLog(const CommitLog& log) { log_ = &log; }

  // Loads every <topic>/<queueId> directory (children that are not integers
  // are skipped, as RocketMQ does) and recovers each queue (ConsumeQueue.load, ConsumeQueue.recover).
  Status LoadAndRecover();
  // After commit-log recovery: no unit may point at or past the log's end.
  Status TruncateDirty(int64_t phy_end);
  void CorrectMinOffset(int64_t commit_log_min_offset);
  // Deletes every queue (the commit log is empty, or an operator rebuild).
  Status DestroyAll();

  // The builder (CommitLogDispatcherBuildConsumeQueue): a unit for NOT and COMMIT records.
  Status Dispatch(const DispatchRequest& request) override;
  // A batch's units grouped by queue, each group put in order and
  // published at once (one tag-index lock per queue and batch).
  Status DispatchBatch(std::span<const DispatchRequest> batch, size_t& taken) override;

  ConsumeQueue* Find(std::string_view topic, int32_t queue_id) const;
  std::vector<ConsumeQueue*> All() const;
  size_t size() const;
  // getOffsetInQueueByTime: the first queue offset of the queue whose
  // record in `log` was stored at or after `timestamp` (binary search;
  // 5.x's LOWER boundary), clamped into [min, max]; 0 when there is no
  // such queue.
  int64_t OffsetInQueueByTime(std::string_view topic, int32_t queue_id, int64_t timestamp,
                              const CommitLog& log) const;

  // Flushes every queue (least_pages as ConsumeQueue::Flush); true when
  // everything written is durable afterwards.
  Result<bool> Flush(int least_pages);
  // Store time of the last record whose unit was written.
  int64_t last_store_timestamp() const { return last_store_timestamp_.load(std::memory_order_acquire); }
  size_t TagIndexMemoryBytes() const;
  // Records that would have had a unit but whose topic cannot be a
  // directory name (format/topic_name.h): skipped, logged, counted.
  uint64_t bad_topic_records() const { return bad_topic_records_.load(std::memory_order_relaxed); }

 private:
  // nullptr when `topic` cannot be a directory name.
  Result<ConsumeQueue*> FindOrCreate(std::string_view topic, int32_t queue_id);
  // The queue of a request, through the last one used (nullptr as above).
  Result<ConsumeQueue*> QueueOf(const DispatchRequest& r);
  void NoteBadTopic(const DispatchRequest& r);
  // A queue's units of the batch being dispatched (writer thread only;
  // reused, so a batch allocates nothing).
  struct Group {
    ConsumeQueue* queue = nullptr;
    std::vector<ConsumeQueue::UnitPut> units;
    std::vector<size_t> requests;  // index in the batch of each unit
  };
  Group& GroupOf(ConsumeQueue* q);
  ConsumeQueueOptions QueueOptions(std::string_view topic, int32_t queue_id) const;

  FileSystem& fs_;
  const ConsumeQueueStoreOptions options_;
  const CommitLog* log_ = nullptr;  // AttachLog
  mutable std::shared_mutex mu_;  // guards queues_ (the map, not the queues)
  // topic -> queue id -> queue; std::less<> for string_view lookups.
  std::map<std::string, std::map<int32_t, std::unique_ptr<ConsumeQueue>>, std::less<>> queues_;
  ConsumeQueue* last_ = nullptr;  // the dispatcher's last queue (its thread only)
  std::vector<Group> groups_;    // the first used_groups_ are the batch's
  size_t used_groups_ = 0;
  std::atomic<int64_t> last_store_timestamp_{0};
  std::atomic<uint64_t> bad_topic_records_{0};
};

}  // namespace mqstore
