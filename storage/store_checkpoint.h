// StoreCheckpoint: the live `checkpoint` file (format/checkpoint_format.h).
// Values are kept in memory and set by the flush services; Flush() writes the
// whole 4 KiB page and fdatasyncs it.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "format/checkpoint_format.h"
#include "storage/io/file_system.h"

namespace mqstore {

class StoreCheckpoint {
 public:
  // Opens (creating at 4 KiB) the file; a new or short file reads as zeros.
  static Result<std::unique_ptr<StoreCheckpoint>> Open(FileSystem& fs, const std::string& path);

  Checkpoint Get() const;
  void set_physic_msg_timestamp(int64_t t) { physic_.store(t, std::memory_order_relaxed); }
  void set_logics_msg_timestamp(int64_t t) { logics_.store(t, std::memory_order_relaxed); }
  void set_index_msg_timestamp(int64_t t) { index_.store(t, std::memory_order_relaxed); }
  Status Flush();

 private:
  StoreCheckpoint(std::unique_ptr<RandomRWFile> file, const Checkpoint& c);

  std::unique_ptr<RandomRWFile> file_;
  std::mutex flush_mu_;
  std::atomic<int64_t> physic_, logics_, index_;
  const int64_t master_flushed_offset_, confirm_phy_offset_;  // kept as read (HA fields)
};

}  // namespace mqstore
