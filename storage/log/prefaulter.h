// Prefaulter: one background thread (`mq-prefault`) that gets the
// dispatcher's files ready ahead of it: it faults in the next stretch of a
// consume-queue file and the next run of an index file's entries, and makes
// the next index file (IndexService). A first store into a page of a shared
// file mapping costs a fault that zeroes the page (and, on a virtual
// machine, maps it for the host): done here, that cost leaves the
// dispatcher's path, as the commit log's allocator takes it off the put path.
//
// Fault-in requests are hints. One not done by the time the writer gets
// there costs nothing but the fault the writer would have taken anyway; a
// request for pages already present does nothing. Each holds its file's
// owner, so the mapping stays valid until the request is done. Jobs run in
// the order submitted; Stop() runs what is queued before it returns.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "storage/io/file_system.h"

namespace mqstore {

class Prefaulter {
 public:
  Prefaulter() = default;
  ~Prefaulter();  // Stop()
  Prefaulter(const Prefaulter&) = delete;
  Prefaulter& operator=(const Prefaulter&) = delete;

  void Start();
  void Stop();

  // Faults [offset, offset + len) of `mapping` in for writing, soon.
  // `owner` keeps the mapping alive meanwhile.
  void Request(std::shared_ptr<const void> owner, FileMapping& mapping, uint64_t offset, uint64_t len);
  // Runs `job` on the thread, soon. Without a running thread (not started,
  // or stopped) it runs now, on the caller's thread.
  void Submit(std::function<void()> job);

  uint64_t requests_done() const;

  // Request() through `prefaulter`, or the fault-in done now, on the
  // caller's thread, when there is none (a store opened without one).
  static void FaultIn(Prefaulter* prefaulter, std::shared_ptr<const void> owner, FileMapping& mapping,
                      uint64_t offset, uint64_t len);

 private:
  void Run();

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool running_ = false;
  uint64_t done_ = 0;
  std::thread thread_;
};

}  // namespace mqstore
