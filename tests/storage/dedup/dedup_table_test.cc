// DedupTable: the window, the bound on entries (oldest evicted first), and
// an entry replaced under its hash.
#include "storage/dedup/dedup_table.h"

#include <gtest/gtest.h>

namespace mqstore {
namespace {

constexpr int64_t kWindowMs = 1000;
constexpr int64_t kT0 = 1767225600000;

TEST(DedupTable, AnEntryIsFoundOnlyLessThanTheWindowAfterItsStoreTime) {
  DedupTable t(kWindowMs, 100);
  t.Remember(1, {4096, kT0}, kT0);
  ASSERT_TRUE(t.Find(1, kT0).has_value());
  EXPECT_EQ(t.Find(1, kT0)->offset, 4096);
  EXPECT_TRUE(t.Find(1, kT0 + kWindowMs - 1).has_value());
  EXPECT_FALSE(t.Find(1, kT0 + kWindowMs).has_value()) << "the window ends at store time + window";
  EXPECT_TRUE(t.Find(1, kT0 - 5000).has_value()) << "a clock that went back counts as inside";
  EXPECT_FALSE(t.Find(2, kT0).has_value());
}

TEST(DedupTable, EntriesOutsideTheWindowGoAsNewOnesArrive) {
  DedupTable t(kWindowMs, 100);
  for (uint64_t h = 0; h < 10; ++h) t.Remember(h, {static_cast<int64_t>(h) * 100, kT0}, kT0);
  EXPECT_EQ(t.size(), 10u);
  t.Remember(99, {5000, kT0 + kWindowMs}, kT0 + kWindowMs);
  EXPECT_EQ(t.size(), 1u) << "the ten older ones expired";
  EXPECT_EQ(t.evictions(), 0u) << "expiry is not eviction";
}

TEST(DedupTable, PastMaxEntriesTheOldestIsEvictedFirst) {
  DedupTable t(kWindowMs, 4);
  for (uint64_t h = 0; h < 10; ++h) t.Remember(h, {static_cast<int64_t>(h) * 100, kT0 + static_cast<int64_t>(h)}, kT0 + 9);
  EXPECT_EQ(t.size(), 4u);
  EXPECT_EQ(t.evictions(), 6u);
  for (uint64_t h = 0; h < 6; ++h) EXPECT_FALSE(t.Find(h, kT0 + 9).has_value()) << h;
  for (uint64_t h = 6; h < 10; ++h) EXPECT_TRUE(t.Find(h, kT0 + 9).has_value()) << h;
}

TEST(DedupTable, ARememberUnderAKnownHashReplacesItsEntry) {
  DedupTable t(kWindowMs, 2);
  t.Remember(1, {100, kT0}, kT0);
  t.Remember(2, {200, kT0}, kT0);
  t.Remember(1, {300, kT0 + 1}, kT0 + 1);  // a collision: the newer record takes the hash
  EXPECT_EQ(t.size(), 2u);
  EXPECT_EQ(t.Find(1, kT0 + 1)->offset, 300);
  EXPECT_EQ(t.evictions(), 0u) << "the replaced entry's stale place is not an eviction";
  t.Remember(3, {400, kT0 + 2}, kT0 + 2);
  EXPECT_EQ(t.size(), 2u);
  EXPECT_EQ(t.evictions(), 1u);
  EXPECT_FALSE(t.Find(2, kT0 + 2).has_value()) << "2 was the oldest live entry";
  EXPECT_TRUE(t.Find(1, kT0 + 2).has_value());
}

}  // namespace
}  // namespace mqstore
