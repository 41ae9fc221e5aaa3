// StoreSummary: what `mqstore inspect` shows about a store root, gathered in
// one pass over the commit log plus a look at queues, index and checkpoint.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "format/checkpoint_format.h"
#include "format/index_file_format.h"
#include "storage/io/file_system.h"
#include "storage/store_layout.h"
#include "storage/offline/store_options.h"

namespace mqstore {

struct SegmentSummary {
  SegmentFile file;
  uint64_t records = 0;
  int64_t first_record_offset = -1;  // global; -1: none
  int64_t last_record_offset = -1;
  int64_t data_end = 0;               // global offset after the last record
  enum class Tail : uint8_t { kNone, kBlank, kZeros, kError } tail = Tail::kNone;
  int64_t tail_size = 0;              // blank TOTALSIZE or zero bytes left
  std::string error;                  // tail == kError
};

struct QueueLogSummary {  // per topic/queue, from the commit log
  uint64_t messages = 0;
  int64_t min_queue_offset = -1;
  int64_t max_queue_offset = -1;
};

struct ConsumeQueueSummary {
  std::string topic;
  int32_t queue_id = 0;
  size_t files = 0;
  int64_t min_offset = 0;
  int64_t max_offset = 0;
  std::string error;
};

struct IndexFileSummary {
  SegmentFile file;
  IndexHeader header;
  IndexGeometry geometry;
  std::string error;
};

struct StoreSummary {
  std::vector<SegmentSummary> segments;
  int64_t segment_size = 0;
  int64_t min_phy_offset = 0;
  int64_t max_phy_offset = 0;
  uint64_t records = 0;
  uint64_t transaction_half_or_rollback = 0;  // PREPARED / ROLLBACK records (no queue offset)
  std::map<std::pair<std::string, int32_t>, QueueLogSummary> queues;
  std::vector<ConsumeQueueSummary> consume_queues;
  std::vector<IndexFileSummary> index_files;
  Checkpoint checkpoint;
  bool checkpoint_present = false;
  std::string checkpoint_error;  // present but unreadable
  // Paths where a store file should be but something else is (a FIFO,
  // socket, device or directory): never opened, listed here instead.
  std::vector<std::string> not_regular;
  bool abort_present = false;
  bool lock_present = false;
};

Result<StoreSummary> SummarizeStore(FileSystem& fs, const StorePaths& paths, const StoreReadOptions& options,
                                    const std::function<void(uint64_t done, uint64_t total)>& on_progress = {});

}  // namespace mqstore
