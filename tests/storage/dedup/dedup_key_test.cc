// The hash duplicate suppression remembers keys by: XXH3-64, topic and key
// kept apart.
#include "storage/dedup/dedup_key.h"

#include <gtest/gtest.h>

#include <optional>
#include <random>
#include <set>
#include <string>

#include "mqstore/properties.h"

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

// What the filter keys a message by is what the record reader sees: the
// last UNIQ_KEY pair that has a value.
std::optional<std::string_view> ByReader(std::string_view raw, std::string_view name) {
  const auto v = PropertiesView(raw).Get(name);
  if (!v || v->empty()) return std::nullopt;
  return v;
}

TEST(FindDedupKey, FindsWhatThePropertiesReaderFinds) {
  const std::string cases[] = {
      "",
      std::string("UNIQ_KEY\x01" "A1\x02", 12),
      std::string("KEYS\x01k1\x02UNIQ_KEY\x01" "A1\x02TAGS\x01t\x02", 26),
      std::string("UNIQ_KEY\x01" "A1\x02UNIQ_KEY\x01" "B2", 23),           // the last wins
      std::string("UNIQ_KEY\x01" "A1\x02UNIQ_KEY\x01\x02", 22),             // an empty value is dropped
      std::string("XUNIQ_KEY\x01" "A1\x02", 13),                            // another name
      std::string("UNIQ_KEYS\x01" "A1\x02", 13),                            // another name
      std::string("K\x01vUNIQ_KEY\x01" "A1\x02", 15),                       // inside a value
      std::string("\x01UNIQ_KEY\x01" "A1\x02", 13),                         // an empty name
      std::string("UNIQ_KEY\x01\x01v", 11),                                 // a value holding a separator
      std::string("UNIQ_KEY", 8),
      std::string("UNIQ_KEY\x01", 9),
  };
  for (const std::string& raw : cases) EXPECT_EQ(FindDedupKey(raw, "UNIQ_KEY"), ByReader(raw, "UNIQ_KEY")) << raw;
  EXPECT_EQ(FindDedupKey(cases[2], "UNIQ_KEY"), "A1");
  EXPECT_EQ(FindDedupKey(cases[3], "UNIQ_KEY"), "B2");
  EXPECT_EQ(FindDedupKey(cases[4], "UNIQ_KEY"), "A1");
}

// Random strings over the separators and the name's letters: the two agree.
TEST(FindDedupKey, AgreesWithTheReaderOnRandomStrings) {
  std::mt19937 rng(9);
  const std::string alphabet = std::string("\x01\x02", 2) + "KUK";
  for (int i = 0; i < 20000; ++i) {
    std::string raw;
    const int n = static_cast<int>(rng() % 24);
    for (int j = 0; j < n; ++j) raw += rng() % 3 == 0 ? std::string("K") : std::string(1, alphabet[rng() % alphabet.size()]);
    ASSERT_EQ(FindDedupKey(raw, "K"), ByReader(raw, "K")) << i;
  }
}

}  // namespace
}  // namespace mqstore
