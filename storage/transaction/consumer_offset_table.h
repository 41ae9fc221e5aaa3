// ConsumerOffsetTable: the entries of config/consumerOffset.json that the
// transaction check owns (group CID_RMQ_SYS_TRANS over the half and op
// queues), read and written in RocketMQ's own file so that a broker and
// mqstore take over each other's check progress. The bytes are fastjson's
// (format/consumer_offset_json.h).
//
// The file is the broker's too (every consumer group's offsets). So a
// persist reads the current file again and replaces only the keys this
// table set, keeping every other entry and field as it is, then writes with
// the config-file protocol (storage/io/config_file.h: tmp, synced; the old
// file to .bak only when it parses; rename; directory synced). A broker that
// writes the file at the same moment can still lose one of the two writes:
// the embedder should persist its own offsets through the same file after
// the store's (or give the check its own root).
//
// Load (ConfigManager.load): the file, else its .bak when the file is
// missing, empty or does not parse; neither present is a new store (no
// progress: the check starts at each queue's minimum). Both damaged is an
// error: RocketMQ would start from the queue minimum, re-checking every
// half; mqstore refuses instead (nothing is checked until an operator
// repairs or removes the files).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "format/consumer_offset_json.h"
#include "storage/io/file_system.h"

namespace mqstore {

// consumerOffset.json holds every group's offsets: larger than a delay table.
inline constexpr uint64_t kMaxConsumerOffsetFileBytes = 256u << 20;

class ConsumerOffsetTable {
 public:
  ConsumerOffsetTable(FileSystem& fs, std::string path);

  const std::string& path() const { return path_; }
  Status Load();
  // Where Load found the table: "" (nothing), the file or the .bak.
  const std::string& loaded_from() const { return loaded_from_; }

  std::optional<int64_t> Get(const std::string& key, int32_t queue_id) const;
  // Marks `key` as this table's: Persist writes its queues over the file's.
  void Set(const std::string& key, int32_t queue_id, int64_t offset);
  bool dirty() const;
  // Merges this table's keys into the current file (or its .bak) and writes
  // it; nothing when nothing changed since the last persist.
  Status Persist();

 private:
  Result<ConsumerOffsetFile> ReadCurrent() const;

  FileSystem& fs_;
  const std::string path_;
  std::string loaded_from_;
  std::mutex persist_mu_;
  mutable std::mutex mu_;  // guards what follows
  std::map<std::string, std::map<int32_t, int64_t>> table_;  // every key of the file as loaded
  std::map<std::string, std::map<int32_t, int64_t>> owned_;  // the keys Set wrote
  bool dirty_ = false;
};

}  // namespace mqstore
