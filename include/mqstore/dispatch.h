// What an embedder can hang on the dispatcher (RocketMQ's ReputMessageService;
// docs/engine.md, "Dispatch"): a DispatchSink gets every stored record once, in commit-log order,
// as a DispatchRequest (CommitLogDispatcher); an ArrivalListener hears of each
// queue's new max offset (MessageArrivingListener, for long polling). Both
// are fixed at open through StoreHooks (message_store.h).
//
// A DispatchRequest is what the dispatcher hands to every sink for one
// commit-log record (RocketMQ's DispatchRequest, from CommitLog.checkMessageAndReturnSize), decoded once.
// Every view points into the commit-log segment the dispatcher holds pinned;
// it is valid only during the sink's call. A sink that keeps something must
// copy it.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string_view>

#include "mqstore/message_view.h"
#include "mqstore/status.h"
#include "mqstore/sys_flag.h"

namespace mqstore {

struct DispatchRequest {
  std::string_view topic;
  int32_t queue_id = 0;
  int64_t commit_log_offset = 0;  // PHYSICALOFFSET
  int32_t size = 0;               // TOTALSIZE
  int64_t tags_code = 0;          // tagsString2tagsCode (delivery time for SCHEDULE_TOPIC_XXXX)
  int64_t store_timestamp = 0;
  int64_t queue_offset = 0;       // QUEUEOFFSET
  std::string_view keys;          // KEYS, "" when absent
  std::string_view uniq_key;      // UNIQ_KEY, "" when absent
  int32_t sys_flag = 0;
  int64_t prepared_transaction_offset = 0;
  std::string_view properties;    // the raw properties string
  const MessageRecordView* message = nullptr;  // the whole decoded record

  int32_t transaction_type() const { return sysflag::TransactionType(sys_flag); }
  // Only NOT and COMMIT records get a consume-queue unit (CommitLogDispatcherBuildConsumeQueue).
  bool GoesToConsumeQueue() const;
  // Everything but ROLLBACK is indexed (IndexService.buildIndex).
  bool IsIndexed() const;
};

// Anything that wants every stored record once, in commit-log order.
class DispatchSink {
 public:
  virtual ~DispatchSink() = default;
  // A failure stops dispatch at this record; it is retried later.
  virtual Status Dispatch(const DispatchRequest& request) = 0;

  // A run of records in log order, as the dispatcher hands them (so that a
  // sink can take its lock once, or overlap its cache misses). Sets `taken`
  // to how many it took: all of them, unless it stopped on the failure it
  // returns. Sinks after it then get only those taken, and dispatch resumes
  // at the first record not taken, so a sink before it is handed its later
  // records again: a sink must take a record it already has as a no-op (the
  // consume-queue and index builders do).
  virtual Status DispatchBatch(std::span<const DispatchRequest> batch, size_t& taken) {
    for (taken = 0; taken < batch.size(); ++taken) MQ_RETURN_IF_ERROR(Dispatch(batch[taken]));
    return Status::Ok();
  }
};

// A sink from a function (an embedder's statistics, a test's recorder).
class FunctionSink final : public DispatchSink {
 public:
  explicit FunctionSink(std::function<Status(const DispatchRequest&)> fn) : fn_(std::move(fn)) {}
  Status Dispatch(const DispatchRequest& request) override { return fn_(request); }

 private:
  std::function<Status(const DispatchRequest&)> fn_;
};

// MessageArrivingListener.arriving: the queue's new max offset is
// queue_offset + 1.
struct MessageArrival {
  std::string_view topic;
  int32_t queue_id = 0;
  int64_t max_offset = 0;
  int64_t tags_code = 0;
  int64_t store_timestamp = 0;
};
using ArrivalListener = std::function<void(const MessageArrival&)>;

}  // namespace mqstore
