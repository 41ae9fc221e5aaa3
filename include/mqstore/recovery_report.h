// What opening a store found in the commit log and did about it
// (MessageStore::recovery(); CommitLog::Recover in the source tree).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mqstore {

// One damaged place recovery met and what it did there.
struct LogDamage {
  enum class Action : uint8_t { kTornTail, kTruncated, kSkipped };
  Action action = Action::kTornTail;
  int64_t offset = 0;       // global commit-log offset of the damage
  std::string file;
  int64_t file_pos = 0;
  int64_t length = 0;       // kSkipped: bytes made unreadable; else bytes cut up to the file's end
  int64_t next_valid = -1;  // where valid data follows (-1: nothing follows)
  std::string why;
  std::string ToString() const;
};

// What recovery found and did (also logged as one line).
struct RecoveryReport {
  bool abnormal = false;          // the abort file was present
  int64_t start_offset = 0;       // where record checking began
  int64_t end_offset = 0;         // the log's end after recovery
  uint64_t records_checked = 0;
  uint64_t bytes_checked = 0;
  uint64_t bytes_truncated = 0;   // dirty bytes zeroed after the end
  uint32_t segments_removed = 0;  // files after the end deleted
  std::string stop_reason;        // why checking stopped where it did
  std::vector<LogDamage> damage;  // torn tail, cut or skipped ranges, in log order
  std::chrono::microseconds took{0};
  std::string ToString() const;
  // The first range skipped (policy skip): queues and index are rebuilt from it.
  std::optional<int64_t> FirstSkipped() const;
};

}  // namespace mqstore
