// DispatchSink: a consumer of the dispatcher's records (dispatcher.h): the
// consume-queue builder, the index builder, or an embedder's own.
#pragma once

#include <functional>

#include "format/status.h"
#include "storage/dispatch_request.h"

namespace mqstore {

// Anything that wants every stored record once, in commit-log order.
class DispatchSink {
 public:
  virtual ~DispatchSink() = default;
  // A failure stops dispatch at this record; it is retried later.
  virtual Status Dispatch(const DispatchRequest& request) = 0;
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
