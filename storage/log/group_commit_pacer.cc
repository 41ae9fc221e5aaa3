#include "storage/log/group_commit_pacer.h"

#include <algorithm>

namespace mqstore {

void GroupCommitPacer::SyncEnded(size_t answered, size_t left, int64_t sync_us, int64_t now_us) {
  group_ = answered + left;
  last_sync_us_ = sync_us;
  if (slice_began_us_ < 0) {  // the first sync: slices are timed from its end
    slice_began_us_ = now_us;
    return;
  }
  slice_answered_ += answered;
  if (++slice_syncs_ >= SliceLength()) EndSlice(now_us);
}

void GroupCommitPacer::EndSlice(int64_t now_us) {
  if (trying()) {
    const int mode = holding() ? 1 : 0;
    answered_[mode] += slice_answered_;
    took_us_[mode] += std::max<int64_t>(1, now_us - slice_began_us_);
  }
  ++slice_;
  if (slice_ == options_.trial_slices) {  // the trial is over: keep the faster mode
    overlap_rate_ = static_cast<double>(answered_[0]) * 1e6 / static_cast<double>(std::max<int64_t>(1, took_us_[0]));
    hold_rate_ = static_cast<double>(answered_[1]) * 1e6 / static_cast<double>(std::max<int64_t>(1, took_us_[1]));
    hold_won_ = hold_rate_ >= overlap_rate_;
    answered_[0] = answered_[1] = 0;
    took_us_[0] = took_us_[1] = 0;
  } else if (slice_ > options_.trial_slices) {  // kept long enough: try again
    slice_ = 0;
  }
  slice_syncs_ = 0;
  slice_answered_ = 0;
  slice_began_us_ = now_us;
}

bool GroupCommitPacer::ShouldHold(size_t waiting) const { return holding() && group_ >= 2 && waiting < group_; }

int64_t GroupCommitPacer::hold_budget_us() const { return std::clamp<int64_t>(last_sync_us_, 1, options_.max_hold_us); }

}  // namespace mqstore
