// CommitLogCursor: reads a live commit log forward from a physical offset,
// one record at a time, up to what readers may see (MaxOffset). Blank
// records are stepped over to the next segment, through the segments'
// mappings (no copy: for an embedder's or a tool's reads of recent records;
// the dispatcher reads by pread instead, see CommitLogBatchReader). It works
// while producers append: a Next() that finds no more readable bytes says
// kCaughtUp and can be called again later.
//
// A message's views point into the segment the cursor holds; they stay valid
// until the cursor moves to another segment or is destroyed.
#pragma once

#include <cstdint>
#include <memory>

#include "mqstore/message_view.h"
#include "mqstore/status.h"

namespace mqstore {

class CommitLog;  // internal: a cursor comes from MessageStore::NewCursor
class Segment;

class CommitLogCursor {
 public:
  enum class Kind : uint8_t { kMessage, kCaughtUp, kError };
  struct Entry {
    Kind kind = Kind::kCaughtUp;
    int64_t offset = 0;  // where the record starts
    int32_t size = 0;
    MessageRecordView message;
    Status error;  // kError: the record does not decode (file and offset named)
  };

  CommitLogCursor(const CommitLog& log, int64_t from, RecordDecodeOptions options = {});

  // The next record; kError repeats until the caller moves the cursor on.
  Entry Next();
  int64_t offset() const { return offset_; }
  void Seek(int64_t offset) { offset_ = offset; }

 private:
  const CommitLog& log_;
  RecordDecodeOptions options_;
  int64_t offset_;
  std::shared_ptr<Segment> segment_;
};

}  // namespace mqstore
