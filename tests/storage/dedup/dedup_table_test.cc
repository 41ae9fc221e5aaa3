// DedupTable: the window, the bound on entries (oldest evicted first), and
// an entry replaced under its hash.
#include "storage/dedup/dedup_table.h"

#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <random>
#include <string>

namespace mqstore {
namespace {

constexpr int64_t kWindowMs = 1000;
constexpr int64_t kT0 = 1767225600000;

TEST(DedupTable, AnEntryIsFoundOnlyLessThanTheWindowAfterItsStoreTime) {
  auto created = DedupTable::Create(kWindowMs, 100);
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  DedupTable& t = *created;
  t.Remember(1, {4096, kT0}, kT0);
  ASSERT_TRUE(t.Find(1, kT0).has_value());
  EXPECT_EQ(t.Find(1, kT0)->offset, 4096);
  EXPECT_TRUE(t.Find(1, kT0 + kWindowMs - 1).has_value());
  EXPECT_FALSE(t.Find(1, kT0 + kWindowMs).has_value()) << "the window ends at store time + window";
  EXPECT_TRUE(t.Find(1, kT0 - 5000).has_value()) << "a clock that went back counts as inside";
  EXPECT_FALSE(t.Find(2, kT0).has_value());
}

TEST(DedupTable, EntriesOutsideTheWindowGoAsNewOnesArrive) {
  auto created = DedupTable::Create(kWindowMs, 100);
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  DedupTable& t = *created;
  for (uint64_t h = 0; h < 10; ++h) t.Remember(h, {static_cast<int64_t>(h) * 100, kT0}, kT0);
  EXPECT_EQ(t.size(), 10u);
  t.Remember(99, {5000, kT0 + kWindowMs}, kT0 + kWindowMs);
  EXPECT_EQ(t.size(), 1u) << "the ten older ones expired";
  EXPECT_EQ(t.evictions(), 0u) << "expiry is not eviction";
}

TEST(DedupTable, PastMaxEntriesTheOldestIsEvictedFirst) {
  auto created = DedupTable::Create(kWindowMs, 4);
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  DedupTable& t = *created;
  for (uint64_t h = 0; h < 10; ++h) t.Remember(h, {static_cast<int64_t>(h) * 100, kT0 + static_cast<int64_t>(h)}, kT0 + 9);
  EXPECT_EQ(t.size(), 4u);
  EXPECT_EQ(t.evictions(), 6u);
  for (uint64_t h = 0; h < 6; ++h) EXPECT_FALSE(t.Find(h, kT0 + 9).has_value()) << h;
  for (uint64_t h = 6; h < 10; ++h) EXPECT_TRUE(t.Find(h, kT0 + 9).has_value()) << h;
}

TEST(DedupTable, ARememberUnderAKnownHashReplacesItsEntry) {
  auto created = DedupTable::Create(kWindowMs, 2);
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  DedupTable& t = *created;
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

// The open-addressing table against a std::map doing the same: random
// hashes from a small range (so probe runs overlap and wrap), replacements,
// expiry and evictions; after every step each hash finds what the model has.
TEST(DedupTable, AgreesWithAMapThroughInsertsReplacementsExpiryAndEvictions) {
  constexpr size_t kMax = 300;
  auto created = DedupTable::Create(kWindowMs, kMax);
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  DedupTable& t = *created;
  std::map<uint64_t, DedupTable::Entry> model;
  std::deque<std::pair<uint64_t, DedupTable::Entry>> order;
  uint64_t evictions = 0;
  std::mt19937_64 rng(16);
  int64_t now = kT0, offset = 0;
  for (int step = 0; step < 20000; ++step) {
    now += static_cast<int64_t>(rng() % 3);
    // Mostly hashes that share their low and high bits: long probe runs.
    const uint64_t hash = rng() % 4 == 0 ? rng() : (rng() % 600) << 32;
    const DedupTable::Entry e{offset += 100, now};
    t.Remember(hash, e, now);
    model[hash] = e;
    order.emplace_back(hash, e);
    while (!order.empty()) {
      const auto& [h, oldest] = order.front();
      const auto it = model.find(h);
      if (it != model.end() && it->second.offset == oldest.offset) {
        const bool expired = now - oldest.store_timestamp >= kWindowMs;
        if (!expired && model.size() <= kMax) break;
        if (!expired) ++evictions;
        model.erase(it);
      }
      order.pop_front();
    }
    ASSERT_EQ(t.size(), model.size()) << step;
    if (step % 97 != 0) continue;
    for (uint64_t h = 0; h < 600; ++h) {
      const auto found = t.Find(h << 32, now);
      const auto it = model.find(h << 32);
      ASSERT_EQ(found.has_value(), it != model.end()) << step << " " << h;
      if (found) {
        ASSERT_EQ(found->offset, it->second.offset) << step << " " << h;
      }
    }
  }
  EXPECT_EQ(t.evictions(), evictions);
  EXPECT_GT(evictions, 0u);
}

// A remembered key whose hash is taken over again and again (a collision:
// the newer record takes the hash) leaves a stale element in the insertion
// order each time. The order is a fixed ring: the stale ones are dropped
// when it fills, so any number of replacements fits and the live entries
// still expire and are evicted oldest first.
TEST(DedupTable, ReplacementsWithoutEndFitTheFixedOrderRing) {
  auto created = DedupTable::Create(kWindowMs, 4);
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  DedupTable& t = *created;
  const size_t mapped = t.mapped_bytes();
  int64_t offset = 0;
  for (uint64_t h = 1; h <= 3; ++h) t.Remember(h, {offset += 100, kT0}, kT0);
  for (int i = 0; i < 100000; ++i) t.Remember(7, {offset += 100, kT0 + 1}, kT0 + 1);
  EXPECT_EQ(t.size(), 4u);
  EXPECT_EQ(t.evictions(), 0u);
  EXPECT_EQ(t.Find(7, kT0 + 1)->offset, offset) << "the newest record holds the hash";
  EXPECT_EQ(t.mapped_bytes(), mapped) << "nothing grows after Create";
  t.Remember(8, {offset += 100, kT0 + 2}, kT0 + 2);
  EXPECT_EQ(t.evictions(), 1u) << "the oldest live entry goes first, stale elements skipped";
  EXPECT_FALSE(t.Find(1, kT0 + 2).has_value());
  EXPECT_TRUE(t.Find(2, kT0 + 2).has_value());
  t.Remember(9, {offset += 100, kT0 + 1 + kWindowMs}, kT0 + 1 + kWindowMs);
  EXPECT_EQ(t.size(), 2u) << "2, 3 and 7 expired; 8 and 9 are inside";
  EXPECT_TRUE(t.Find(8, kT0 + 1 + kWindowMs).has_value());
}

TEST(DedupTable, TheSameRecordRememberedTwiceIsOneEntry) {
  auto created = DedupTable::Create(kWindowMs, 2);
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  DedupTable& t = *created;
  for (int i = 0; i < 1000; ++i) t.Remember(1, {100, kT0}, kT0);
  t.Remember(2, {200, kT0}, kT0);
  t.Remember(3, {300, kT0}, kT0);
  EXPECT_EQ(t.size(), 2u);
  EXPECT_EQ(t.evictions(), 1u);
  EXPECT_FALSE(t.Find(1, kT0).has_value()) << "1 was the oldest";
}

// A bound whose slots cannot be mapped (far past the address space) is an
// error naming the bytes asked for and errno's text, not an exception.
TEST(DedupTable, ASlotArrayThatCannotBeMappedIsAnError) {
  const auto t = DedupTable::Create(kWindowMs, size_t{1} << 50);
  ASSERT_FALSE(t.ok());
  const std::string m = t.error().ToString();
  EXPECT_NE(m.find("mmap of 54043195528445952 bytes"), std::string::npos) << m;
  EXPECT_NE(m.find("duplicate-table slots"), std::string::npos) << m;
  EXPECT_NE(m.find("Cannot allocate memory"), std::string::npos) << m;
  const auto huge = DedupTable::Create(kWindowMs, ~size_t{0});
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.error().message().find("address space"), std::string::npos) << huge.error().ToString();
}

}  // namespace
}  // namespace mqstore
