// ConsumeQueueReader: the units of one <topic>/<queueId> consume queue, read
// through mappings of its files (queue offset n at CQ byte n*20).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "format/consume_queue_unit.h"
#include "storage/io/file_system.h"
#include "storage/store_layout.h"

namespace mqstore {

class ConsumeQueueReader {
 public:
  // `file_size` 0: inferred from the files (they are created full size).
  static Result<ConsumeQueueReader> Open(FileSystem& fs, const ConsumeQueueLocation& location,
                                         int64_t file_size = 0);

  const ConsumeQueueLocation& location() const { return location_; }
  int64_t file_size() const { return file_size_; }

  // Calls fn(queue_offset, unit) for every unit from the first file's start
  // up to the first invalid unit (the end of data), as ConsumeQueue.recover
  // does. Returns a Corruption status for a file whose size is not the
  // queue's file size or is not a multiple of 20.
  Status ForEachUnit(const std::function<void(int64_t queue_offset, const ConsumeQueueUnit& unit)>& fn);

  // Queue offsets as RocketMQ reports them after load: max = one past the last
  // valid unit; min = the first unit of the first file whose commit-log
  // offset is >= min_commit_log_offset (4.9 correctMinOffset).
  struct Range {
    int64_t min_offset = 0;
    int64_t max_offset = 0;
    uint64_t units = 0;  // valid units seen (blank pads included)
  };
  Result<Range> ComputeRange(int64_t min_commit_log_offset);

 private:
  ConsumeQueueReader(FileSystem& fs, ConsumeQueueLocation location, int64_t file_size)
      : fs_(&fs), location_(std::move(location)), file_size_(file_size) {}

  FileSystem* fs_;
  ConsumeQueueLocation location_;
  int64_t file_size_;
};

}  // namespace mqstore
