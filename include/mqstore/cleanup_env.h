// CleanupEnv: where cleanup (RocketMQ's CleanCommitLogService) gets the time, the local hour and the
// disk use, and how it waits between deletions; StoreHooks (message_store.h)
// can replace the system's (tests; an embedder with its own disk accounting).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace mqstore {

class FileSystem;  // internal: the store's file access

struct CleanupEnv {
  std::function<int64_t()> now_ms;                      // wall clock, ms since the epoch
  std::function<int(int64_t ms)> local_hour;            // 0-23 at that time
  std::function<double(const std::string& dir)> disk_used;  // fraction of the partition; < 0 unknown
  std::function<void(int64_t ms)> sleep;                // between deletions; empty: wait, woken by Stop
  // The real clock, local time and statvfs through `fs`.
  static CleanupEnv System(FileSystem& fs);
};

}  // namespace mqstore
