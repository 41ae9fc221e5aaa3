// TimerLog: the timer log of the timer store (RocketMQ 5.x TimerLog), one
// 52-byte unit per timer enqueue, in files of mappedFileSizeTimerLog bytes
// under <root>/timerlog/, each named by the 20-digit global offset of its
// first byte (format/timer_log_unit.h has the bytes).
//
//   [ unit | unit | ... | unit | 16-byte filler, zeros ]  [ unit | ...
//
// A unit goes into the newest file unless it and a filler would not both
// fit (52 + 16 > bytes left): then the file gets the filler and the unit
// starts the next file, as TimerLog.append does, so that a reader stepping
// 52 bytes at a time meets the filler's magic and moves on.
//
// The files are Segments in a SegmentList, as the commit log's: the timer
// store's thread appends, reads and flushes; cleanup takes files off the
// front (RemoveFilesWhile) from its own thread. Nothing is created before
// the first Append, so a store without timers has no timerlog/.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "format/timer_log_unit.h"
#include "mqstore/status.h"
#include "storage/io/file_system.h"
#include "storage/log/segment.h"
#include "storage/log/segment_list.h"

namespace mqstore {

class TimerLog {
 public:
  TimerLog(FileSystem& fs, std::string dir, int64_t file_size);
  TimerLog(const TimerLog&) = delete;
  TimerLog& operator=(const TimerLog&) = delete;

  // Maps the files of the directory (each must be file_size bytes; other
  // names are ignored). Positions are at each file's end until recovery
  // calls TruncateTo with the end of the valid units.
  Status Load();
  // Appends `unit` (the filler rule above); returns its global offset.
  Result<int64_t> Append(const TimerLogUnit& unit);
  // The entry (unit or filler) at a global offset below MaxOffset().
  Result<TimerLogEntry> Read(int64_t offset) const;
  // The unit at `offset`; an error for a filler, an unwritten position or
  // bytes that do not decode.
  Result<TimerLogUnit> ReadUnit(int64_t offset) const;
  // fdatasync of every file with bytes not yet synced.
  Status Flush();
  // Recovery: `end` becomes the log's end. Later files are deleted, the
  // bytes after it in its file zeroed (only when they are not zero already).
  Status TruncateTo(int64_t end);
  // Cleanup: deletes files from the front, oldest first and never the
  // newest, while `drop(file)` says so; returns how many went.
  Result<size_t> RemoveFilesWhile(const std::function<bool(const Segment&)>& drop);

  int64_t MinOffset() const { return files_.MinOffset(); }
  int64_t MaxOffset() const;  // end of what was written
  int64_t FlushedWhere() const;
  int64_t file_size() const { return file_size_; }
  const std::string& dir() const { return dir_; }
  bool empty() const { return files_.empty(); }
  std::vector<std::shared_ptr<Segment>> Files() const { return files_.Snapshot(); }

 private:
  Status NewFile(int64_t start);

  FileSystem& fs_;
  const std::string dir_;
  const int64_t file_size_;
  SegmentList<Segment> files_;
};

}  // namespace mqstore
