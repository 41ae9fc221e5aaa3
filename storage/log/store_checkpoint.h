// StoreCheckpoint: the live `checkpoint` file (format/checkpoint_format.h).
// Values are kept in memory and set by the flush services; Flush() writes the
// whole 4 KiB page and fdatasyncs it.
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "format/checkpoint_format.h"
#include "storage/io/file_system.h"
#include "storage/io/io_queue.h"

namespace mqstore {

class StoreCheckpoint {
 public:
  // Opens (creating at 4 KiB) the file; a new or short file reads as zeros.
  static Result<std::unique_ptr<StoreCheckpoint>> Open(FileSystem& fs, const std::string& path);

  Checkpoint Get() const;
  void set_physic_msg_timestamp(int64_t t) { physic_.store(t, std::memory_order_relaxed); }
  void set_logics_msg_timestamp(int64_t t) { logics_.store(t, std::memory_order_relaxed); }
  void set_index_msg_timestamp(int64_t t) { index_.store(t, std::memory_order_relaxed); }
  // Writes the page and fdatasyncs it, through the file interface or
  // through `io` (the flush service's queue).
  Status Flush();
  Status Flush(IoQueue& io);

 private:
  StoreCheckpoint(std::unique_ptr<RandomRWFile> file, const Checkpoint& c);

  std::unique_ptr<RandomRWFile> file_;
  std::mutex flush_mu_;  // guards page_
  std::array<uint8_t, kCheckpointFileSize> page_{};
  std::atomic<int64_t> physic_, logics_, index_;
  const int64_t master_flushed_offset_, confirm_phy_offset_;  // kept as read (HA fields)
};

}  // namespace mqstore
