// CleanupPolicy: when a cleanup round deletes commit-log segments and which
// ones, from the hour, the disk use and the operator's requests (RocketMQ's
// CleanCommitLogService.deleteExpiredFiles). Pure decisions over plain values (no
// clock, no I/O), so every rule is tested with numbers; the CleanupService
// (cleanup_service.h) gathers the inputs and does the deleting.
//
// A round deletes expired segments (mtime + fileReservedTime <= now) when
//   time   the local hour is one of deleteWhen's ("04", or "03;04;05"),
//   space  disk use of the commit-log or consume-queue partition is above
//          diskMaxUsedSpaceRatio (or unknown), or above a watermark below,
//   manual an operator asked (executeDeleteFilesManually: the next
//          manualDeleteFileSeveralTimes rounds).
// Past diskSpaceCleanForciblyRatio unexpired segments go too ("forced",
// with cleanFileForciblyEnable). Past diskSpaceWarningLevelRatio the disk is
// full: puts are refused until use falls back to the forcing ratio (RocketMQ's
// hysteresis: no flapping around one line). Oldest first, never the newest,
// stopping at the first segment that must stay (no holes); expired ones at
// most deleteFileBatchMax a round. maxStoreSizeBytes (mqstore) deletes the
// oldest beyond a size whatever the hour. The forcing ratio and the size
// are hard limits: the service deletes for them unpaced (cleanup_service.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mqstore/stats.h"  // DeleteReason
#include "storage/io/file_system.h"
#include "storage/store_config.h"

namespace mqstore {

// DeleteReason (why cleanup deleted a segment) is in mqstore/stats.h.

struct CleanupPolicy {
  int64_t file_reserved_ms = 72LL * 3600 * 1000;
  std::vector<int> delete_hours{4};
  double disk_max_used = 0.75;  // clamped to [0.10, 0.95]
  double warning = 0.90;        // clamped to [0.35, 0.90]
  double force = 0.85;          // clamped to [0.30, 0.85]
  bool clean_forcibly = true;
  int32_t batch_max = 10;
  int64_t max_store_bytes = 0;  // 0 = off

  // The knobs of `config`, clamped as RocketMQ 5.x clamps them. A deleteWhen
  // entry that is not an hour 0-23 is an InvalidArgument naming it.
  static Result<CleanupPolicy> From(const StoreConfig& config);
};

// Hours of a deleteWhen value: ';'-separated numbers ("04", "1;13").
Result<std::vector<int>> ParseDeleteWhen(std::string_view text);

// UtilAll.getDiskPartitionSpaceUsedPercent: ceil(used * 100 / (used +
// available)) / 100 with used = total - free; -1 when nothing is known.
double DiskUsedRatio(const DiskSpace& space);

struct CleanupInputs {
  int local_hour = 0;
  double commit_log_used = 0;  // fractions; < 0: unknown
  double queue_used = 0;
  bool manual = false;         // a manual-delete round is pending
  bool was_disk_full = false;  // the mark as the last round left it
};

struct CleanupDecision {
  bool delete_expired = false;  // some trigger holds
  bool clean_at_once = false;   // unexpired segments go too (forced)
  DeleteReason reason = DeleteReason::kExpired;  // of an expired segment deleted now
  bool disk_full = false;       // refuse puts
  std::string why;              // the triggers in words, for the log
};

CleanupDecision Decide(const CleanupPolicy& policy, const CleanupInputs& in);

// MappedFileQueue.deleteExpiredFileByTime's test: a file last written at
// `mtime_ms` has expired at `now_ms` (also what `mqstore inspect` shows).
inline bool IsExpired(int64_t mtime_ms, int64_t reserved_ms, int64_t now_ms) {
  return now_ms >= mtime_ms + reserved_ms;
}

// Whether a segment may go this round and why; kSize is checked by the
// caller (it depends on what is left).
struct SegmentVerdict {
  bool delete_now = false;
  DeleteReason reason = DeleteReason::kExpired;
};
SegmentVerdict JudgeSegment(const CleanupPolicy& policy, const CleanupDecision& d, int64_t mtime_ms, int64_t now_ms);

}  // namespace mqstore
