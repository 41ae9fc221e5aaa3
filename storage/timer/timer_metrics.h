// TimerMetrics: `config/timermetrics` (RocketMQ 5.x TimerMetrics), the
// number of timers in the wheel per real topic, as compact JSON:
//
//   {"dataVersion":{"counter":N,"stateVersion":0,"timestamp":ms},
//    "timingCount":{"TopicA":{"count":44,"timeStamp":ms},...}}
//
// Advisory, as in RocketMQ (its counts drift: a cancel counts -1 on the
// marker's topic, a timer that never entered the wheel counts nothing).
// Persisted at each timer flush with RocketMQ's config-file protocol
// (storage/io/config_file.h): write `.tmp`, copy the current file to `.bak`,
// rename `.tmp` over the file. At load a file that does not parse is logged
// and `.bak` is tried.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "mqstore/status.h"
#include "storage/io/file_system.h"

namespace mqstore {

class TimerMetrics {
 public:
  TimerMetrics(FileSystem& fs, std::string path) : fs_(fs), path_(std::move(path)) {}

  // Reads the file (or `.bak`); neither readable: empty counts.
  Status Load();
  void Add(std::string_view topic, int64_t delta, int64_t now_ms);
  int64_t Count(std::string_view topic) const;
  // Writes the JSON with the tmp/bak protocol (only after a change).
  Status Persist(int64_t now_ms);
  // Persist in two steps, so that the writing can run without the lock
  // that guards the counts: the JSON to write after a change (the data
  // version moved on), then writing it (any thread; MarkDirty again when
  // that failed).
  std::optional<std::string> TakeChange(int64_t now_ms);
  Status Write(const std::string& json) const;
  void MarkDirty() { dirty_ = true; }
  std::string ToJson() const;
  // Parses what ToJson writes (RocketMQ's field names, any member order);
  // false when the text is not such an object.
  bool FromJson(std::string_view text);

 private:
  struct Entry {
    int64_t count = 0;
    int64_t time_stamp = 0;
  };
  FileSystem& fs_;
  const std::string path_;
  std::map<std::string, Entry, std::less<>> counts_;
  int64_t counter_ = 0;
  int64_t state_version_ = 0;
  int64_t timestamp_ = 0;
  bool dirty_ = false;
};

}  // namespace mqstore
