// CommitLogReader: random access to the records of a commit log by physical
// offset (lookMessageByOffset), mapping each segment on first use.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "format/message_record.h"
#include "storage/io/file_system.h"
#include "storage/store_layout.h"

namespace mqstore {

class CommitLogReader {
 public:
  CommitLogReader(FileSystem& fs, std::vector<SegmentFile> segments);

  // The message record starting at `offset`. Fails with NotFound when no
  // segment holds the offset, Corruption when the bytes there do not decode
  // or the record's PHYSICALOFFSET is not `offset` (not a record start).
  // The view stays valid as long as this reader.
  Result<MessageRecordView> ReadMessage(int64_t offset, const RecordDecodeOptions& options = {});

  // First byte of the first segment (getMinOffset), or 0 with no segments.
  int64_t MinOffset() const { return segments_.empty() ? 0 : segments_.front().start_offset; }

 private:
  FileSystem& fs_;
  std::vector<SegmentFile> segments_;
  std::vector<std::unique_ptr<ReadOnlyMapping>> mappings_;  // parallel to segments_
};

}  // namespace mqstore
