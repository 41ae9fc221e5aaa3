// TimerCheckpointFile: `config/timercheck` (RocketMQ 5.x TimerCheckpoint),
// 4096 bytes of which the first 56 are the checkpoint
// (format/timer_checkpoint_format.h): how far the wheel has fired, how far
// the timer log is synced and how far the timer topic's queue is enqueued.
//
// Read once at open; written whole (the 56 bytes, zeros after them) and
// synced at each timer flush. The file is made by the first Flush: a store
// that never had a timer message has none.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "format/timer_checkpoint_format.h"
#include "mqstore/status.h"
#include "storage/io/file_system.h"

namespace mqstore {

class TimerCheckpointFile {
 public:
  TimerCheckpointFile(FileSystem& fs, std::string path) : fs_(fs), path_(std::move(path)) {}

  // Reads the file; a missing one reads as all zeros (RocketMQ's defaults)
  // and `existed` is false. A short or unreadable file is an error naming it.
  Status Load();
  bool existed() const { return existed_; }
  const TimerCheckpoint& value() const { return value_; }
  TimerCheckpoint& mutable_value() { return value_; }
  // Writes the 56 bytes (creating the 4096-byte file) and syncs them.
  Status Flush();
  const std::string& path() const { return path_; }

 private:
  FileSystem& fs_;
  const std::string path_;
  std::unique_ptr<RandomRWFile> file_;
  TimerCheckpoint value_;
  bool existed_ = false;
};

}  // namespace mqstore
