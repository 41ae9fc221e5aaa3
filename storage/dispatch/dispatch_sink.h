// DispatchSink: a consumer of the dispatcher's records (dispatcher.h): the
// consume-queue builder, the index builder, or an embedder's own.
#pragma once

#include <functional>
#include <span>

#include "mqstore/status.h"
#include "storage/dispatch/dispatch_request.h"

namespace mqstore {

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

}  // namespace mqstore
