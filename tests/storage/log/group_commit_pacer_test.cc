// GroupCommitPacer: a trial alternates slices holding and not holding, the
// mode that answered more puts per second over the trial is kept for
// keep_syncs, then the pacer tries again; a hold waits for the last group
// and never longer than the last sync took.
#include "storage/log/group_commit_pacer.h"

#include <gtest/gtest.h>

namespace mqstore {
namespace {

constexpr GroupCommitPacer::Options kSmall{.slice_syncs = 2, .trial_slices = 4, .keep_syncs = 8, .max_hold_us = 2000};

// `syncs` syncs of `sync_us` each, every one answering `answered` with
// `left` waiting, starting at `now_us`; returns the time after them.
int64_t Syncs(GroupCommitPacer& pacer, int syncs, size_t answered, size_t left, int64_t sync_us, int64_t now_us) {
  for (int i = 0; i < syncs; ++i) {
    now_us += sync_us;
    pacer.SyncEnded(answered, left, sync_us, now_us);
  }
  return now_us;
}

TEST(GroupCommitPacerTest, HoldsFirstForTheWholeLastGroup) {
  GroupCommitPacer pacer(kSmall);
  EXPECT_FALSE(pacer.ShouldHold(0)) << "no group yet";
  pacer.SyncEnded(32, 32, 400, 1000);
  EXPECT_TRUE(pacer.holding());
  EXPECT_EQ(pacer.group(), 64u);
  EXPECT_TRUE(pacer.ShouldHold(32));
  EXPECT_FALSE(pacer.ShouldHold(64)) << "the group is back";
  pacer.SyncEnded(1, 0, 400, 2000);
  EXPECT_FALSE(pacer.ShouldHold(0)) << "a lone producer is never held";
}

// A trial of four slices of two syncs: held, not, held, not.
int64_t Trial(GroupCommitPacer& pacer, int64_t now, size_t held, int64_t held_us, size_t not_held, int64_t not_held_us) {
  for (int slice = 0; slice < 4; ++slice) {
    EXPECT_EQ(pacer.holding(), slice % 2 == 0) << "slice " << slice;
    now = slice % 2 == 0 ? Syncs(pacer, 2, held, 0, held_us, now) : Syncs(pacer, 2, not_held, not_held, not_held_us, now);
  }
  return now;
}

TEST(GroupCommitPacerTest, KeepsTheModeThatAnsweredMorePutsPerSecondOverATrial) {
  GroupCommitPacer pacer(kSmall);
  int64_t now = Syncs(pacer, 1, 32, 32, 400, 0);
  now = Trial(pacer, now, 64, 500, 32, 400);  // held: 64 a sync, 128 k/s; not: 80 k/s
  EXPECT_DOUBLE_EQ(pacer.hold_rate(), 128000.0);
  EXPECT_DOUBLE_EQ(pacer.overlap_rate(), 80000.0);
  EXPECT_TRUE(pacer.holding()) << "holding won";
  now = Syncs(pacer, 8, 64, 0, 500, now);
  now = Trial(pacer, now, 500, 2000, 500, 1000);  // held: 250 k/s; not: 500 k/s
  EXPECT_FALSE(pacer.holding()) << "not holding won this time";
  EXPECT_FALSE(pacer.ShouldHold(10));
  Syncs(pacer, 7, 500, 500, 1000, now);
  EXPECT_FALSE(pacer.holding()) << "kept for keep_syncs";
}

TEST(GroupCommitPacerTest, AHoldWaitsAtMostTheLastSyncsTimeAndTheCap) {
  GroupCommitPacer pacer(kSmall);
  pacer.SyncEnded(8, 8, 350, 1000);
  EXPECT_EQ(pacer.hold_budget_us(), 350);
  pacer.SyncEnded(8, 8, 9000, 10000);
  EXPECT_EQ(pacer.hold_budget_us(), 2000);
}

}  // namespace
}  // namespace mqstore
