// The hash duplicate suppression remembers keys by: XXH3-64, topic and key
// kept apart.
#include "storage/dedup/dedup_key.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace mqstore {
namespace {

TEST(DedupKeyHash, IsStableAndDependsOnTopicAndKey) {
  EXPECT_EQ(DedupKeyHash("TopicA", "K1"), DedupKeyHash("TopicA", "K1"));
  EXPECT_NE(DedupKeyHash("TopicA", "K1"), DedupKeyHash("TopicB", "K1"));
  EXPECT_NE(DedupKeyHash("TopicA", "K1"), DedupKeyHash("TopicA", "K2"));
}

TEST(DedupKeyHash, TheBoundaryBetweenTopicAndKeyCounts) {
  EXPECT_NE(DedupKeyHash("ab", "c"), DedupKeyHash("a", "bc"));
  EXPECT_NE(DedupKeyHash("", "abc"), DedupKeyHash("abc", ""));
}

TEST(DedupKeyHash, AHundredThousandKeysHashApart) {
  std::set<uint64_t> seen;
  for (int i = 0; i < 100000; ++i) seen.insert(DedupKeyHash("BenchTopic0", "7F000001" + std::to_string(i)));
  EXPECT_EQ(seen.size(), 100000u);
}

}  // namespace
}  // namespace mqstore
