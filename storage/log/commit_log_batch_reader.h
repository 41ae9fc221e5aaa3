// CommitLogBatchReader: the dispatcher's input. Reads a live commit log
// forward from a physical offset in runs of whole records, copied out of the
// page cache by pread (RandomRWFile::Read) into a buffer of its own.
//
//   segment  ... [ rec | rec | rec | rec | re.. ] ...
//                 ^offset                  ^ the buffer ends mid-record:
//                 |<------ buffer -------->|   the next call reads from here
//
// Why a copy and not the segment's mapping, as CommitLogCursor reads: the
// dispatcher mostly reads what was flushed (all of it under SYNC_FLUSH, and
// whenever it catches up). Write-back write-protects every page of a shared
// writable mapping, and on a virtual machine the first touch of each such
// page afterwards costs a fault of about a microsecond (measured in
// bench/RESULTS.md); the kernel's copy reads the same pages through its own
// mapping, for about a third of that, and leaves the records in the cache
// for the decode. It also never reads past a record boundary the writer is
// still filling: only whole records below the end given are returned.
//
// A batch's views point into the buffer: they stay valid until the next
// Next() or Seek().
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "format/message_record.h"
#include "storage/log/commit_log.h"

namespace mqstore {

class CommitLogBatchReader {
 public:
  struct Record {
    int64_t offset = 0;  // where the record starts
    DecodedRecord decoded;  // decoded.total_size bytes; decoded.message the view
    int32_t size() const { return decoded.total_size; }
    const MessageRecordView& message() const { return decoded.message; }
  };
  struct Batch {
    std::span<const Record> records;  // in log order; empty when caught up or stopped
    Status error;                     // the record at offset() does not decode (file and offset named)
  };

  CommitLogBatchReader(const CommitLog& log, int64_t from, RecordDecodeOptions options,
                       size_t buffer_bytes = kDefaultBufferBytes, size_t max_records = kDefaultMaxRecords);

  // Up to max_records whole records from offset() that end at or before
  // `end` (MaxOffset or FlushedOffset), all from one segment, and no more
  // once they reach `max_bytes` (at least one). offset() moves past them;
  // blank records move it to the next segment. An error returns no records
  // and repeats until Seek().
  Batch Next(int64_t end, int64_t max_bytes = INT64_MAX);
  int64_t offset() const { return offset_; }
  void Seek(int64_t offset);

  static constexpr size_t kDefaultBufferBytes = 256 << 10;  // stays in L2 while the batch is handled
  static constexpr size_t kDefaultMaxRecords = 64;

 private:
  // Makes the buffer start at offset_ in segment_ and hold what can be read
  // of [offset_, limit) (at least a whole record when one is there).
  Status Fill(int64_t limit);
  // Decodes from offset_ while whole records below `limit` are buffered,
  // until the batch holds `max_bytes`.
  Status DecodeBuffered(int64_t limit, int64_t max_bytes);
  bool Buffered(int64_t offset) const { return offset >= buffer_offset_ && offset < buffer_offset_ + buffer_len_; }

  const CommitLog& log_;
  const RecordDecodeOptions options_;
  const size_t max_records_;
  int64_t offset_;
  std::shared_ptr<Segment> segment_;
  std::vector<uint8_t> buffer_;
  int64_t buffer_offset_ = 0;  // global offset of buffer_[0]
  int64_t buffer_len_ = 0;     // valid bytes
  std::vector<Record> records_;
};

}  // namespace mqstore
