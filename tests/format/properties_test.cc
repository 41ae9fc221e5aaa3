// The properties string, read with upstream's exact splitting rules.
#include <gtest/gtest.h>

#include <string>

#include "format/properties.h"

namespace mqstore {
namespace {

std::string S(const char* s) { return s; }  // literals with \x01/\x02 inside

std::vector<Property> List(const std::string& raw) { return PropertiesView(raw).ToList(); }

TEST(Properties, ReadsPairsWithAndWithoutTrailingSeparator) {
  const std::vector<Property> want = {{"a", "b"}, {"c", "d"}};
  EXPECT_EQ(List(S("a\x01" "b\x02" "c\x01" "d")), want);
  EXPECT_EQ(List(S("a\x01" "b\x02" "c\x01" "d\x02")), want);
}

TEST(Properties, DropsEmptyNamesEmptyValuesAndSegmentsWithoutASeparator) {
  EXPECT_TRUE(List(S("\x01v")).empty());
  EXPECT_TRUE(List(S("k\x01")).empty());
  EXPECT_TRUE(List(S("kv")).empty());
  EXPECT_TRUE(List(S("\x02\x02\x01\x02")).empty());
  EXPECT_TRUE(List("").empty());
  EXPECT_EQ(List(S("\x01v\x02k\x01w")), (std::vector<Property>{{"k", "w"}}));
}

TEST(Properties, SplitsOnTheFirstNameValueSeparator) {
  const std::string raw = S("k\x01v\x01w");
  EXPECT_EQ(PropertiesView(raw).Get("k"), std::optional<std::string_view>(S("v\x01w")));
}

// Upstream's reading, written the plain way: split on \x02, then each
// segment on its first \x01, keeping pairs whose name and value are not empty.
std::vector<Property> ReferenceSplit(std::string_view raw) {
  std::vector<Property> out;
  size_t index = 0;
  while (index < raw.size()) {
    size_t end = raw.find('\x02', index);
    if (end == std::string_view::npos) end = raw.size();
    const std::string_view seg = raw.substr(index, end - index);
    const size_t sep = seg.find('\x01');
    if (sep != std::string_view::npos && sep > 0 && sep + 1 < seg.size())
      out.push_back({seg.substr(0, sep), seg.substr(sep + 1)});
    index = end + 1;
  }
  return out;
}

// The scan looks at 16 bytes at a time: separators at every position of a
// block, across blocks and in the tail must read as the plain split does.
TEST(Properties, SeparatorsAnywhereInLongStringsReadAsThePlainSplit) {
  uint32_t state = 12345;
  auto next = [&] { return state = state * 1103515245u + 12345u; };
  const char alphabet[] = {'a', 'b', '\x01', '\x02', 'c'};
  for (int round = 0; round < 3000; ++round) {
    std::string raw(static_cast<size_t>(next() >> 16) % 80, 'x');
    for (char& c : raw) c = alphabet[(next() >> 16) % sizeof alphabet];
    std::vector<Property> seen;
    PropertiesView(raw).ForEach([&](const Property& p) { seen.push_back(p); });
    ASSERT_EQ(seen, ReferenceSplit(raw)) << "round " << round << ", length " << raw.size();
  }
}

TEST(Properties, LaterDuplicatesWin) {
  const std::string raw = S("k\x01" "1\x02j\x01x\x02k\x01" "2");
  EXPECT_EQ(PropertiesView(raw).Get("k"), std::optional<std::string_view>("2"));
  EXPECT_EQ(List(raw), (std::vector<Property>{{"k", "2"}, {"j", "x"}}));
  int seen = 0;
  PropertiesView(raw).ForEach([&](const Property&) { ++seen; });
  EXPECT_EQ(seen, 3) << "ForEach shows every kept pair";
  EXPECT_FALSE(PropertiesView(raw).Get("missing").has_value());
}

TEST(Properties, WritesBothTrailingStyles) {
  const std::vector<Property> p = {{"KEYS", "k1 k2"}, {"TAGS", "TagA"}};
  EXPECT_EQ(*SerializeProperties(p), S("KEYS\x01k1 k2\x02TAGS\x01TagA"));
  EXPECT_EQ(*SerializeProperties(p, TrailingSeparator::kAppend), S("KEYS\x01k1 k2\x02TAGS\x01TagA\x02"));
  EXPECT_EQ(*SerializeProperties({}), "");
}

TEST(Properties, RefusesWhatWouldNotReadBack) {
  EXPECT_FALSE(SerializeProperties({{"", "v"}}).ok());
  EXPECT_FALSE(SerializeProperties({{"k", ""}}).ok());
  const std::string bad_value = S("a\x02" "b");
  EXPECT_FALSE(SerializeProperties({{"k", bad_value}}).ok());
  const std::string bad_name = S("a\x01" "b");
  auto r = SerializeProperties({{bad_name, "v"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), StatusCode::kInvalidArgument);
}

TEST(Properties, KeysSplitOnSpacesSkippingEmptyTokens) {
  std::vector<std::string_view> keys;
  ForEachKey("a  b ", [&](std::string_view k) { keys.push_back(k); });
  EXPECT_EQ(keys, (std::vector<std::string_view>{"a", "b"}));
  keys.clear();
  ForEachKey("", [&](std::string_view k) { keys.push_back(k); });
  EXPECT_TRUE(keys.empty());
}

}  // namespace
}  // namespace mqstore
