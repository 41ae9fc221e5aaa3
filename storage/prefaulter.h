// Prefaulter: one background thread (`mq-prefault`) that faults the
// dispatcher's files in ahead of it: the next stretch of a consume-queue
// file, the next run of an index file's entries. A first store into a page
// of a shared file mapping costs a fault that zeroes the page (and, on a
// virtual machine, maps it for the host): done here, that cost leaves the
// dispatcher's path, as the commit log's allocator takes it off the put path.
//
// Requests are hints. One not done by the time the writer gets there costs
// nothing but the fault the writer would have taken anyway; a request for
// pages already present does nothing. Each request holds its file's owner,
// so the mapping stays valid until the request is done or dropped.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "storage/io/file_system.h"

namespace mqstore {

class Prefaulter {
 public:
  Prefaulter() = default;
  ~Prefaulter();  // stops the thread; pending requests are dropped
  Prefaulter(const Prefaulter&) = delete;
  Prefaulter& operator=(const Prefaulter&) = delete;

  void Start();
  void Stop();

  // Faults [offset, offset + len) of `mapping` in for writing, soon.
  // `owner` keeps the mapping alive meanwhile. Without a running thread
  // (not started, or stopped) it is done now, on the caller's thread.
  void Request(std::shared_ptr<const void> owner, FileMapping& mapping, uint64_t offset, uint64_t len);

  uint64_t requests_done() const;

 private:
  struct Job {
    std::shared_ptr<const void> owner;
    FileMapping* mapping;
    uint64_t offset, len;
  };
  void Run();

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  bool running_ = false;
  uint64_t done_ = 0;
  std::thread thread_;
};

}  // namespace mqstore
