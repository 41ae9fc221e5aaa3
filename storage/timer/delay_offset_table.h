// DelayOffsetTable: config/delayOffset.json, the delivery progress of the
// delay levels (ScheduleMessageService's offsetTable): per level, the next
// queue offset of SCHEDULE_TOPIC_XXXX queue level-1 to deliver. The bytes are
// fastjson's (format/delay_offset_json.h).
//
// Load (ConfigManager.load):
//   the file parses .................................... it
//   missing, empty or unparsable, .bak parses ........... the .bak (logged)
//   neither exists ...................................... empty (a new store)
//   otherwise ........................................... an error naming both
// RocketMQ starts a level from offset 0 when both are bad, which re-delivers
// every message still in its queue (or, with correctDelayOffset, from the
// queue's minimum: the same). Neither that nor starting at the end (which
// skips every pending message) is safe, so the error stands: the store's
// delivery does not start and says why (docs/engine.md, "Delay levels").
//
// Persist (ConfigManager.persist, MixAll.string2File), made durable:
// write <f>.tmp and fdatasync it, copy the current <f> to <f>.bak (synced;
// only when <f> parses, so a damaged <f> never replaces a good .bak), rename
// <f>.tmp over <f>, fsync the directory. Through the store's FileSystem.
//
// dataVersion (5.x): counter + 1 and timestamp = now every
// `version_step` (delayOffsetUpdateVersionStep, 200) updates that change an
// offset; stateVersion stays 0 (no controller). Written always: 4.x readers
// ignore the field.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>

#include "format/delay_offset_json.h"
#include "storage/io/clock.h"
#include "storage/io/file_system.h"

namespace mqstore {

class DelayOffsetTable {
 public:
  static constexpr int64_t kDefaultVersionStep = 200;

  // `path`: <storePathRootDir>/config/delayOffset.json.
  DelayOffsetTable(FileSystem& fs, Clock& clock, std::string path, int64_t version_step = kDefaultVersionStep);

  const std::string& path() const { return path_; }
  std::string backup_path() const { return path_ + ".bak"; }

  // Reads the file as described above. An error leaves the table empty.
  Status Load();
  // Where Load found the table: "" (nothing, a new store), the file or
  // the .bak's path.
  const std::string& loaded_from() const { return loaded_from_; }

  // The level's next offset; 0 when the table has none (RocketMQ's default).
  int64_t Get(int32_t level) const;
  void Set(int32_t level, int64_t offset);
  // correctDelayOffset: moves the level's offset into [min, max] (its
  // queue's bounds); returns true, and logs, when it had to.
  bool Clamp(int32_t level, int64_t min, int64_t max);

  // Writes the table with the tmp/bak protocol. Nothing is written when
  // nothing changed since the last persist that succeeded (or the load).
  Status Persist();
  DelayOffsetFile Snapshot() const;
  // Whether the next Persist writes.
  bool dirty() const;

 private:
  FileSystem& fs_;
  Clock& clock_;
  const std::string path_;
  const int64_t version_step_;
  std::string loaded_from_;
  std::mutex persist_mu_;  // one persist at a time
  mutable std::mutex mu_;  // guards what follows
  DelayOffsetFile table_;  // data_version always set
  int64_t updates_ = 0;
  bool dirty_ = false;
  bool file_written_ = false;  // the file exists as this table wrote or read it
};

}  // namespace mqstore
