// Every trigger of a cleanup round, with plain numbers (no files, no clock).
#include "storage/cleanup/cleanup_policy.h"

#include <gtest/gtest.h>

namespace mqstore {
namespace {

CleanupPolicy Defaults() {
  auto p = CleanupPolicy::From(StoreConfig{});
  EXPECT_TRUE(p.ok());
  return *p;
}

CleanupInputs At(int hour, double commit_log_used = 0.5, double queue_used = 0.5) {
  CleanupInputs in;
  in.local_hour = hour;
  in.commit_log_used = commit_log_used;
  in.queue_used = queue_used;
  return in;
}

TEST(CleanupPolicy, DefaultsAreRocketMqs) {
  const CleanupPolicy p = Defaults();
  EXPECT_EQ(p.file_reserved_ms, 72LL * 3600 * 1000);
  EXPECT_EQ(p.delete_hours, std::vector<int>{4});
  EXPECT_DOUBLE_EQ(p.disk_max_used, 0.75);
  EXPECT_DOUBLE_EQ(p.warning, 0.90);
  EXPECT_DOUBLE_EQ(p.force, 0.85);
  EXPECT_EQ(p.batch_max, 10);
  EXPECT_EQ(p.max_store_bytes, 0);
}

TEST(CleanupPolicy, RatiosAreClampedAsRocketMqClampsThem) {
  StoreConfig c;
  c.diskMaxUsedSpaceRatio = 99;
  c.diskSpaceWarningLevelRatio = 99;
  c.diskSpaceCleanForciblyRatio = 10;
  auto p = CleanupPolicy::From(c);
  ASSERT_TRUE(p.ok());
  EXPECT_DOUBLE_EQ(p->disk_max_used, 0.95);
  EXPECT_DOUBLE_EQ(p->warning, 0.90);
  EXPECT_DOUBLE_EQ(p->force, 0.30);
  c.diskMaxUsedSpaceRatio = 1;
  c.diskSpaceWarningLevelRatio = 1;
  p = CleanupPolicy::From(c);
  ASSERT_TRUE(p.ok());
  EXPECT_DOUBLE_EQ(p->disk_max_used, 0.10);
  EXPECT_DOUBLE_EQ(p->warning, 0.35);
}

TEST(CleanupPolicy, DeleteWhenTakesASemicolonListOfHours) {
  auto hours = ParseDeleteWhen("04");
  ASSERT_TRUE(hours.ok());
  EXPECT_EQ(*hours, std::vector<int>{4});
  hours = ParseDeleteWhen("1;13;23");
  ASSERT_TRUE(hours.ok());
  EXPECT_EQ(*hours, (std::vector<int>{1, 13, 23}));
  for (const char* bad : {"24", "4;x", "-1", "4;;5", ";"}) {
    auto r = ParseDeleteWhen(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message().find("deleteWhen"), std::string::npos);
  }
  StoreConfig c;
  c.deleteWhen = "25";
  EXPECT_FALSE(CleanupPolicy::From(c).ok());
}

TEST(CleanupPolicy, DiskUseIsTheCeilingOfUsedOverUsedPlusAvailable) {
  // 100 blocks, 30 free of which 20 available to users: used 70, 70/90 = 77.8% -> 78%.
  EXPECT_DOUBLE_EQ(DiskUsedRatio(DiskSpace{100, 30, 20}), 0.78);
  EXPECT_DOUBLE_EQ(DiskUsedRatio(DiskSpace{100, 50, 50}), 0.50);
  EXPECT_DOUBLE_EQ(DiskUsedRatio(DiskSpace{100, 0, 0}), 1.0);
  EXPECT_LT(DiskUsedRatio(DiskSpace{0, 0, 0}), 0);
  EXPECT_LT(DiskUsedRatio(DiskSpace{10, 20, 0}), 0);
}

TEST(CleanupPolicy, ExpiredFilesGoOnlyDuringADeleteWhenHour) {
  CleanupPolicy p = Defaults();
  p.delete_hours = {4, 16};
  for (int hour = 0; hour < 24; ++hour) {
    const CleanupDecision d = Decide(p, At(hour));
    EXPECT_EQ(d.delete_expired, hour == 4 || hour == 16) << hour;
    EXPECT_FALSE(d.clean_at_once);
    EXPECT_FALSE(d.disk_full);
    if (d.delete_expired) {
      EXPECT_EQ(d.reason, DeleteReason::kExpired);
      EXPECT_NE(d.why.find("deleteWhen"), std::string::npos) << d.why;
    }
  }
}

TEST(CleanupPolicy, DiskAboveMaxUsedRatioDeletesExpiredFilesAtAnyHour) {
  const CleanupPolicy p = Defaults();
  EXPECT_FALSE(Decide(p, At(10, 0.75)).delete_expired);  // at the ratio: not above it
  CleanupDecision d = Decide(p, At(10, 0.76));
  EXPECT_TRUE(d.delete_expired);
  EXPECT_FALSE(d.clean_at_once);
  EXPECT_EQ(d.reason, DeleteReason::kSpace);
  EXPECT_NE(d.why.find("diskMaxUsedSpaceRatio"), std::string::npos) << d.why;
  // The consume-queue partition counts too.
  d = Decide(p, At(10, 0.5, 0.80));
  EXPECT_TRUE(d.delete_expired);
  EXPECT_NE(d.why.find("consume-queue"), std::string::npos) << d.why;
  // Unknown use: expired files may go (4.9's rule), nothing is forced.
  d = Decide(p, At(10, -1));
  EXPECT_TRUE(d.delete_expired);
  EXPECT_FALSE(d.clean_at_once);
}

TEST(CleanupPolicy, AboveTheForcingRatioUnexpiredFilesGoToo) {
  CleanupPolicy p = Defaults();
  CleanupDecision d = Decide(p, At(10, 0.86));
  EXPECT_TRUE(d.delete_expired);
  EXPECT_TRUE(d.clean_at_once);
  EXPECT_FALSE(d.disk_full);
  EXPECT_NE(d.why.find("diskSpaceCleanForciblyRatio"), std::string::npos) << d.why;
  p.clean_forcibly = false;  // cleanFileForciblyEnable=false
  d = Decide(p, At(10, 0.86));
  EXPECT_TRUE(d.delete_expired);
  EXPECT_FALSE(d.clean_at_once);
}

TEST(CleanupPolicy, AboveTheWarningRatioTheDiskIsFullUntilBackUnderTheForcingRatio) {
  const CleanupPolicy p = Defaults();
  CleanupInputs in = At(10, 0.91);
  CleanupDecision d = Decide(p, in);
  EXPECT_TRUE(d.disk_full);
  EXPECT_TRUE(d.clean_at_once);
  EXPECT_NE(d.why.find("diskSpaceWarningLevelRatio"), std::string::npos) << d.why;
  in.was_disk_full = true;
  in.commit_log_used = 0.88;  // between the two: still full
  EXPECT_TRUE(Decide(p, in).disk_full);
  in.commit_log_used = 0.85;  // at the forcing ratio: space is back
  EXPECT_FALSE(Decide(p, in).disk_full);
  in.was_disk_full = false;
  in.commit_log_used = 0.88;  // never full: the forcing band does not make it full
  EXPECT_FALSE(Decide(p, in).disk_full);
  in.queue_used = 0.95;  // a full consume-queue partition is a full disk
  EXPECT_TRUE(Decide(p, in).disk_full);
}

TEST(CleanupPolicy, ManualDeleteDeletesExpiredFilesOnly) {
  CleanupInputs in = At(10);
  in.manual = true;
  const CleanupDecision d = Decide(Defaults(), in);
  EXPECT_TRUE(d.delete_expired);
  EXPECT_FALSE(d.clean_at_once);
  EXPECT_EQ(d.reason, DeleteReason::kManual);
}

TEST(CleanupPolicy, SegmentVerdictFollowsExpiryAndForcing) {
  const CleanupPolicy p = Defaults();
  const int64_t reserved = p.file_reserved_ms;
  const int64_t mtime = 1'000'000;
  const CleanupDecision quiet = Decide(p, At(10));
  EXPECT_FALSE(JudgeSegment(p, quiet, mtime, mtime + reserved * 10).delete_now);  // no trigger: nothing goes
  const CleanupDecision hour = Decide(p, At(4));
  EXPECT_FALSE(JudgeSegment(p, hour, mtime, mtime + reserved - 1).delete_now);
  SegmentVerdict v = JudgeSegment(p, hour, mtime, mtime + reserved);  // exactly at expiry
  EXPECT_TRUE(v.delete_now);
  EXPECT_EQ(v.reason, DeleteReason::kExpired);
  const CleanupDecision forced = Decide(p, At(10, 0.86));
  v = JudgeSegment(p, forced, mtime, mtime + 1);
  EXPECT_TRUE(v.delete_now);
  EXPECT_EQ(v.reason, DeleteReason::kForced);
  v = JudgeSegment(p, forced, mtime, mtime + reserved);
  EXPECT_EQ(v.reason, DeleteReason::kSpace);  // expired, deleted for space
  EXPECT_EQ(DeleteReasonName(DeleteReason::kSize), "size");
}

}  // namespace
}  // namespace mqstore
