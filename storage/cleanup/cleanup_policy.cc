#include "storage/cleanup/cleanup_policy.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace mqstore {
namespace {

double Clamped(int32_t percent, double lo, double hi) { return std::clamp(percent / 100.0, lo, hi); }

std::string Percent(double ratio) { return std::to_string(static_cast<int>(std::lround(ratio * 100))) + "%"; }

// One partition's part of isSpaceToDelete (5.x): past the warning ratio the
// disk is full, past either watermark cleanup is forced, past
// diskMaxUsedSpaceRatio (or unknown) expired files may go.
void WeighPartition(const CleanupPolicy& p, const char* name, double used, CleanupDecision& d, bool& above_force) {
  if (used < 0) {
    d.delete_expired = true;
    d.why += std::string(d.why.empty() ? "" : ", ") + name + " disk use unknown";
    return;
  }
  const std::string what = std::string(name) + " disk " + Percent(used);
  if (used > p.warning) {
    d.disk_full = true;
    d.clean_at_once = true;
    d.why += (d.why.empty() ? "" : ", ") + what + " > diskSpaceWarningLevelRatio " + Percent(p.warning);
  } else if (used > p.force) {
    d.clean_at_once = true;
    d.why += (d.why.empty() ? "" : ", ") + what + " > diskSpaceCleanForciblyRatio " + Percent(p.force);
  } else if (used > p.disk_max_used) {
    d.why += (d.why.empty() ? "" : ", ") + what + " > diskMaxUsedSpaceRatio " + Percent(p.disk_max_used);
  } else {
    return;
  }
  above_force = above_force || used > p.force;
  d.delete_expired = true;
}

}  // namespace

std::string_view DeleteReasonName(DeleteReason r) {
  switch (r) {
    case DeleteReason::kExpired: return "expired";
    case DeleteReason::kSpace: return "space";
    case DeleteReason::kManual: return "manual";
    case DeleteReason::kForced: return "forced";
    case DeleteReason::kSize: return "size";
  }
  return "unknown";
}

Result<std::vector<int>> ParseDeleteWhen(std::string_view text) {
  std::vector<int> hours;
  while (!text.empty()) {
    const size_t cut = text.find(';');
    const std::string_view part = text.substr(0, cut);
    int hour = -1;
    const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), hour);
    if (ec != std::errc() || end != part.data() + part.size() || hour < 0 || hour > 23)
      return Status::InvalidArgument("deleteWhen: '" + std::string(part) + "' is not an hour 0-23");
    hours.push_back(hour);
    text = cut == std::string_view::npos ? std::string_view() : text.substr(cut + 1);
  }
  return hours;
}

Result<CleanupPolicy> CleanupPolicy::From(const StoreConfig& c) {
  auto hours = ParseDeleteWhen(c.deleteWhen);
  if (!hours.ok()) return hours.error();
  CleanupPolicy p;
  p.file_reserved_ms = int64_t{c.fileReservedTime} * 3600 * 1000;
  p.delete_hours = std::move(*hours);
  p.disk_max_used = Clamped(c.diskMaxUsedSpaceRatio, 0.10, 0.95);
  p.warning = Clamped(c.diskSpaceWarningLevelRatio, 0.35, 0.90);
  p.force = Clamped(c.diskSpaceCleanForciblyRatio, 0.30, 0.85);
  p.clean_forcibly = c.cleanFileForciblyEnable;
  p.batch_max = std::max(c.deleteFileBatchMax, 1);
  p.max_store_bytes = c.maxStoreSizeBytes;
  return p;
}

double DiskUsedRatio(const DiskSpace& space) {
  if (space.total == 0 || space.free > space.total) return -1;
  const uint64_t used = space.total - space.free;
  const uint64_t all = used + space.available;
  if (all == 0) return -1;
  // Integer ceiling of the percentage, as RocketMQ rounds it.
  return static_cast<double>((used * 100 + all - 1) / all) / 100.0;
}

CleanupDecision Decide(const CleanupPolicy& p, const CleanupInputs& in) {
  CleanupDecision d;
  bool above_force = false;
  WeighPartition(p, "commit-log", in.commit_log_used, d, above_force);
  WeighPartition(p, "consume-queue", in.queue_used, d, above_force);
  const bool space = d.delete_expired;
  // Full stays full until use is back under the forcing ratio.
  if (!d.disk_full && in.was_disk_full && above_force) d.disk_full = true;
  const bool time_up = std::find(p.delete_hours.begin(), p.delete_hours.end(), in.local_hour) != p.delete_hours.end();
  if (time_up) d.why = "hour " + std::to_string(in.local_hour) + " is in deleteWhen" + (d.why.empty() ? "" : ", " + d.why);
  if (in.manual) d.why += std::string(d.why.empty() ? "" : ", ") + "manual delete requested";
  d.delete_expired = time_up || space || in.manual;
  d.clean_at_once = d.clean_at_once && p.clean_forcibly;
  d.reason = time_up ? DeleteReason::kExpired : space ? DeleteReason::kSpace : DeleteReason::kManual;
  return d;
}

SegmentVerdict JudgeSegment(const CleanupPolicy& p, const CleanupDecision& d, int64_t mtime_ms, int64_t now_ms) {
  if (!d.delete_expired) return {};
  if (IsExpired(mtime_ms, p.file_reserved_ms, now_ms)) return {true, d.reason};
  if (d.clean_at_once) return {true, DeleteReason::kForced};
  return {};
}

}  // namespace mqstore
