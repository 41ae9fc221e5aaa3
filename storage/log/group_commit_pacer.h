// GroupCommitPacer: whether the flush service's next group-commit sync
// starts at once or waits for the group the last sync answered.
//
// When a sync ends with puts still waiting, starting the next sync at once
// lets the answered producers' wake-ups overlap with the disk; but blocking
// producers put again only after their wake-up, so that sync covers only the
// others, and 64 producers settle into two cohorts of 32, each paying a
// whole sync (most of which is a fixed cost: the journal commit, the
// device's flush). Waiting for the group ("hold") puts all 64 in one sync
// and pays the wake-ups with the disk idle. Which is faster depends on the
// disk, the CPUs and the producers (pipelined puts refilling deep windows
// come back slowly, and overlapping wins), so the pacer measures: a trial
// alternates slices of `slice_syncs` syncs holding and not holding,
// `trial_slices` in all (alternating cancels the disk's drift, whose sync
// times swing by 2x within seconds), then keeps the mode that answered more
// puts per second for `keep_syncs` syncs, and tries again.
//
// Pure logic on the flush thread: times are passed in (microseconds of any
// monotonic clock), nothing is locked.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mqstore {

class GroupCommitPacer {
 public:
  struct Options {
    int slice_syncs = 16;    // syncs in one mode before the trial switches
    int trial_slices = 8;    // slices in a trial, half in each mode
    int keep_syncs = 1024;   // syncs in the winning mode before the next trial
    int64_t max_hold_us = 2000;
  };
  GroupCommitPacer() : GroupCommitPacer(Options{}) {}
  explicit GroupCommitPacer(Options options) : options_(options) {}

  // A sync ended at `now_us` after `sync_us`, answering `answered` puts with
  // `left` still waiting (for a later sync).
  void SyncEnded(size_t answered, size_t left, int64_t sync_us, int64_t now_us);

  // Whether the next sync should wait, with `waiting` puts waiting now: the
  // current mode holds and fewer wait than the last group held.
  bool ShouldHold(size_t waiting) const;
  // How many waiting puts end a hold: the last group (answered + left).
  size_t group() const { return group_; }
  // The longest a hold waits: the last sync's time (a hold that idles the
  // disk longer than a sync takes cannot pay), at most max_hold_us.
  int64_t hold_budget_us() const;

  bool holding() const { return trying() ? slice_ % 2 == 0 : hold_won_; }
  // Answered puts per second of the last trials (0 before the first).
  double hold_rate() const { return hold_rate_; }
  double overlap_rate() const { return overlap_rate_; }

 private:
  bool trying() const { return slice_ < options_.trial_slices; }
  int SliceLength() const { return trying() ? options_.slice_syncs : options_.keep_syncs; }
  void EndSlice(int64_t now_us);

  const Options options_;
  int slice_ = 0;  // within the trial: even holds, odd does not; trial_slices: keeping the winner
  bool hold_won_ = true;
  double hold_rate_ = 0, overlap_rate_ = 0;
  uint64_t answered_[2] = {0, 0};  // this trial's answers, not holding / holding
  int64_t took_us_[2] = {0, 0};
  int slice_syncs_ = 0;
  uint64_t slice_answered_ = 0;
  int64_t slice_began_us_ = -1;  // the end of the sync before the slice's first
  size_t group_ = 0;
  int64_t last_sync_us_ = 0;
};

}  // namespace mqstore
