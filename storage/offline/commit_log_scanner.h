// CommitLogScanner: walks the records of a commit log in physical order,
// one mapped segment at a time, without loading files into memory. It is the
// reader behind `mqstore dump`, `inspect` and `verify`.
//
// Per segment it yields every message, then how the segment ends:
//   kBlank      the end-of-file blank record (next: the following segment)
//   kEndOfData  zero bytes where the next TOTALSIZE would be (a live or
//               preallocated tail)
//   kError      a record that does not decode; scanning goes on with the
//               next segment, or, with ScanOptions::resync, at the next
//               valid entry of this one (format/log_entry.h FindNextEntry;
//               ScanEvent::resume_offset says where)
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "format/message_record.h"
#include "storage/io/file_system.h"
#include "storage/store_layout.h"

namespace mqstore {

enum class ScanEventKind : uint8_t { kMessage, kBlank, kEndOfData, kError };

struct ScanEvent {
  ScanEventKind kind = ScanEventKind::kMessage;
  int64_t offset = 0;                  // global commit-log offset of the event
  const SegmentFile* segment = nullptr;
  int32_t size = 0;                    // TOTALSIZE; blank: its TOTALSIZE; end: bytes left
  int64_t bytes_left = 0;              // bytes from `offset` to the end of the segment file
  MessageRecordView message;           // kMessage; valid until the scanner leaves the segment
  std::span<const uint8_t> bytes;      // kMessage: the record's bytes
  Status error;                        // kError: what is wrong, with the offset in `segment`
  int64_t resume_offset = -1;          // kError with resync: the next valid entry in the segment, or -1
};

struct ScanOptions {
  RecordDecodeOptions decode;  // CRC checking, TOTALSIZE limit
  int64_t from_offset = -1;    // start here (must be a record start); -1: the first segment's start
  bool resync = false;         // after an error, go on at the segment's next valid entry
};

class CommitLogScanner {
 public:
  CommitLogScanner(FileSystem& fs, std::vector<SegmentFile> segments, ScanOptions options = {});

  // Fills `event` with the next event; false when every segment is done.
  bool Next(ScanEvent& event);

  const std::vector<SegmentFile>& segments() const { return segments_; }
  // Bytes of segment files passed so far (for progress reporting).
  uint64_t bytes_scanned() const { return bytes_before_current_ + pos_; }
  uint64_t total_bytes() const { return total_bytes_; }

 private:
  bool OpenNextSegment(ScanEvent& event);
  void LeaveSegment();

  FileSystem& fs_;
  std::vector<SegmentFile> segments_;
  ScanOptions options_;
  size_t next_segment_ = 0;
  const SegmentFile* current_ = nullptr;
  std::unique_ptr<ReadOnlyMapping> mapping_;
  uint64_t pos_ = 0;
  uint64_t bytes_before_current_ = 0;
  uint64_t total_bytes_ = 0;
};

}  // namespace mqstore
