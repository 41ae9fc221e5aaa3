// The producer side of the put workloads (`put`, `put-sync`, and the writes
// that `read`, `dispatch` and `recover` make first): spec.producers threads
// put spec.messages messages (or run for spec.seconds), with blocking Put or
// with PutAsync and at most spec.inflight outstanding each. Topic and queue
// go round-robin; every message carries a unique UNIQ_KEY, a KEYS token and
// a tag (the rare one every kRareEvery messages of a queue). Latency is
// taken per put, from the call to its result or callback.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <string_view>

#include "mqstore/status.h"
#include "storage/message_store.h"
#include "tools/bench_workloads.h"

namespace mqstore::cli::bench {

// --ack-log: one "offset uniqKey\n" per acknowledged put, written with
// write(2) before the producer goes on, so a SIGKILL never leaves a line
// for a put that was not acknowledged.
class AckLog {
 public:
  static Result<std::unique_ptr<AckLog>> Open(const std::string& path);
  ~AckLog();
  bool Append(int64_t offset, std::string_view uniq);  // false: the write failed

 private:
  explicit AckLog(int fd) : fd_(fd) {}
  int fd_;
  std::mutex mu_;
};

// --ack-log, or nullptr when none is asked for.
Result<std::unique_ptr<AckLog>> OpenAckLog(const BenchSpec& spec);

// Runs the producers against `store` and returns what they saw (counts,
// latencies, failures by status, puts during and outside cleanup); `label`
// names the live progress line on `err`.
Result<BenchResult> RunProducers(const BenchSpec& spec, MessageStore& store, AckLog* ack, std::ostream& err,
                                 const std::string& label);

}  // namespace mqstore::cli::bench
