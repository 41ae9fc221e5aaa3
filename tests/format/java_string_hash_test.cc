// String.hashCode: h = 31*h + u over UTF-16 code units, values worked out by
// hand from the definition.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "format/index_file_format.h"
#include "format/java_string_hash.h"

namespace mqstore {
namespace {

// The definition, over explicit UTF-16 code units, with Java's wrap-around.
int32_t HashOfUnits(const std::vector<uint16_t>& units) {
  uint32_t h = 0;
  for (uint16_t u : units) h = 31 * h + u;
  return static_cast<int32_t>(h);
}

TEST(JavaStringHash, AsciiValuesWorkedByHand) {
  EXPECT_EQ(JavaStringHashCode(""), 0);
  EXPECT_EQ(JavaStringHashCode("a"), 97);
  EXPECT_EQ(JavaStringHashCode("ab"), 3105);  // 97*31 + 98
  // "TagA": 84 -> 84*31+97 = 2701 -> 2701*31+103 = 83834 -> 83834*31+65 = 2598919,
  // the tagsCode the golden consume queue stores for TAGS=TagA.
  EXPECT_EQ(JavaStringHashCode("TagA"), 2598919);
}

TEST(JavaStringHash, NonAsciiCharactersCountAsTheirUtf16Units) {
  EXPECT_EQ(JavaStringHashCode("\xC3\xA9"), 233);          // U+00E9 'é'
  EXPECT_EQ(JavaStringHashCode("\xE4\xB8\xAD"), 20013);    // U+4E2D '中'
  // U+1F600 is the surrogate pair D83D DE00: 0xD83D*31 + 0xDE00 = 55357*31 + 56832 = 1772899.
  EXPECT_EQ(JavaStringHashCode("\xF0\x9F\x98\x80"), 1772899);
  EXPECT_EQ(JavaStringHashCode("a\xC3\xA9\xF0\x9F\x98\x80"), HashOfUnits({'a', 0xE9, 0xD83D, 0xDE00}));
  EXPECT_EQ(JavaStringLength("a\xC3\xA9\xF0\x9F\x98\x80"), 4u);
}

TEST(JavaStringHash, MalformedUtf8HashesAsReplacementCharacters) {
  EXPECT_EQ(JavaStringHashCode("\xFF"), 65533);
  EXPECT_EQ(JavaStringHashCode("\xE4\xB8"), 65533) << "a cut-short sequence is one U+FFFD";
  EXPECT_EQ(JavaStringHashCode("\xE4\xB8" "a"), HashOfUnits({0xFFFD, 'a'}));
  EXPECT_EQ(JavaStringHashCode("\xED\xA0\x80"), HashOfUnits({0xFFFD, 0xFFFD, 0xFFFD})) << "encoded surrogate";
  EXPECT_EQ(JavaStringLength("\xFF\xFE"), 2u);
}

TEST(JavaStringHash, LongStringsWrapAt32Bits) {
  std::string s;
  std::vector<uint16_t> units;
  for (int i = 0; i < 1000; ++i) {
    s += static_cast<char>('!' + i % 90);
    units.push_back(static_cast<uint16_t>('!' + i % 90));
  }
  EXPECT_EQ(JavaStringHashCode(s), HashOfUnits(units));
}

// The eight-bytes-at-a-time ASCII path must agree with the definition at
// every length and wherever non-ASCII text interrupts a run of eight.
TEST(JavaStringHash, AsciiRunsOfEveryLengthAndAlignmentMatchTheDefinition) {
  for (size_t len = 0; len <= 40; ++len) {
    for (size_t at = 0; at <= len; ++at) {
      std::string s;
      std::vector<uint16_t> units;
      for (size_t i = 0; i < len; ++i) {
        if (i == at) {
          s += "\xC3\xA9";  // U+00E9 in the middle of an ASCII run
          units.push_back(0xE9);
        }
        const char c = static_cast<char>('0' + (i * 7 + len) % 75);
        s += c;
        units.push_back(static_cast<uint16_t>(c));
      }
      ASSERT_EQ(JavaStringHashCode(s), HashOfUnits(units)) << "length " << len << ", non-ASCII at " << at;
      // Continuing a hash over a second part is the hash of both.
      ASSERT_EQ(JavaStringHashUpdate(JavaStringHashUpdate(0, s.substr(0, at)), s.substr(at)),
                static_cast<uint32_t>(HashOfUnits(units)));
    }
  }
}

TEST(JavaStringHash, TagsCodeIsSignExtendedAndZeroForNoTags) {
  EXPECT_EQ(TagsCode(""), 0);
  const int32_t h = JavaStringHashCode("polygenelubricants");
  EXPECT_EQ(h, INT32_MIN);
  EXPECT_EQ(TagsCode("polygenelubricants"), static_cast<int64_t>(INT32_MIN));
}

TEST(JavaStringHash, IndexKeyHashIsAbsoluteWithMinValueMappedToZero) {
  EXPECT_EQ(IndexKeyHash("polygenelubricants"), 0);
  const int32_t neg = JavaStringHashCode("TopicA#customer-3");
  EXPECT_EQ(IndexKeyHash("TopicA#customer-3"), neg < 0 ? -neg : neg);
  EXPECT_EQ(IndexKeyHash("TopicA", "customer-3"), IndexKeyHash("TopicA#customer-3"));
  for (const char* k : {"a", "zzzzzzzzzzzz", "\xF0\x9F\x98\x80"}) EXPECT_GE(IndexKeyHash(k), 0);
}

}  // namespace
}  // namespace mqstore
