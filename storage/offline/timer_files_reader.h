// TimerFilesReader: the timer files of a store root (RocketMQ 5.x
// TimerMessageStore), read without writing a byte:
//
//   <root>/timerlog/<20 digits>   52-byte units and end-of-file fillers
//                                 (format/timer_log_unit.h)
//   <root>/timerwheel             1,209,600 slots of 32 bytes
//                                 (format/timer_wheel_slot.h)
//   <root>/config/timercheck      the timer checkpoint
//                                 (format/timer_checkpoint_format.h)
//
// Every problem is a value naming the file, the offset and the field.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "format/timer_checkpoint_format.h"
#include "format/timer_log_unit.h"
#include "format/timer_wheel_slot.h"
#include "storage/io/file_system.h"
#include "storage/offline/store_options.h"
#include "storage/store_layout.h"

namespace mqstore {

std::string TimerLogDir(const StorePaths& paths);
std::string TimerWheelFile(const StorePaths& paths);
std::string TimerCheckFile(const StorePaths& paths);

// A unit's slot time, writeTimeMs + delay, without overflow: a damaged
// unit may hold any bits (INT64_MIN when the sum overflows).
int64_t TimerUnitSlotTime(const TimerLogUnit& unit);

enum class TimerLogEventKind : uint8_t {
  kUnit,       // a 52-byte unit
  kBlank,      // the end-of-file filler
  kEndOfData,  // zeros where the next entry would be: the log's end
  kError,      // damage: the rest of that file is skipped
};

// One step of the walk over the timer log.
struct TimerLogEvent {
  TimerLogEventKind kind = TimerLogEventKind::kUnit;
  const SegmentFile* file = nullptr;
  int64_t offset = 0;       // global timer-log offset (file start + file_offset)
  int64_t file_offset = 0;  // within `file`
  TimerLogUnit unit;        // kUnit
  int32_t blank_size = 0;   // kBlank: bytes from the filler to the file's end
  Status error;             // kError: "<path>: offset N: <field> ..."
};

class TimerFilesReader {
 public:
  // Lists timerlog/ (a missing directory is an empty log). The file size is
  // options.timer_log_file_size, or inferred from the files when 0.
  static Result<TimerFilesReader> Open(FileSystem& fs, const StorePaths& paths, const StoreReadOptions& options);

  // Whether the store has any timer file (timerlog/ files, timerwheel or
  // config/timercheck).
  bool HasTimerFiles() const;
  const std::vector<SegmentFile>& log_files() const { return files_; }
  // Names in timerlog/ that are not 20-digit files, and paths there that
  // are not regular files: never read.
  const std::vector<std::string>& ignored() const { return ignored_; }
  const std::vector<std::string>& not_regular() const { return not_regular_; }
  int64_t log_file_size() const { return file_size_; }
  int32_t precision_ms() const { return precision_ms_; }

  // Every entry in log order. A file ends at its filler or at damage (an
  // error event; the walk goes on with the next file). Zeros end the log
  // (kEndOfData); zeros in a file that a file with data follows are an
  // error: RocketMQ's recovery stops there and drops what follows.
  // Files that end at or before `from` are skipped (recovery's rescan starts
  // at the file holding it). Fails only when a file cannot be mapped.
  Status ForEachLogEntry(const std::function<void(const TimerLogEvent&)>& fn, int64_t from = 0);

  // The unit at global offset `offset` (a chain step); NotFound outside the
  // files, Corruption when the bytes there are not a unit.
  Result<TimerLogUnit> ReadUnit(int64_t offset);

  // fn(index, slot) for every slot that is not all zeros, in index order.
  // A missing wheel has none; one of another size than 38,707,200 bytes is
  // Corruption (RocketMQ refuses to start with it).
  Status ForEachWheelSlot(const std::function<void(int64_t index, const TimerWheelSlot& slot)>& fn);

  // config/timercheck, nullopt when the file does not exist.
  Result<std::optional<TimerCheckpoint>> ReadCheckpoint();

 private:
  TimerFilesReader(FileSystem& fs, StorePaths paths, int32_t precision_ms)
      : fs_(&fs), paths_(std::move(paths)), precision_ms_(precision_ms) {}

  Result<std::span<const uint8_t>> FileData(size_t index);
  void WalkFile(size_t index, std::span<const uint8_t> data, const std::function<void(const TimerLogEvent&)>& fn);
  bool FileStartsWithData(size_t index);

  FileSystem* fs_;
  StorePaths paths_;
  int32_t precision_ms_;
  int64_t file_size_ = 0;
  std::vector<SegmentFile> files_;
  std::vector<std::string> ignored_;
  std::vector<std::string> not_regular_;
  std::vector<std::shared_ptr<ReadOnlyMapping>> mappings_;  // parallel to files_, mapped on first use
};

}  // namespace mqstore
