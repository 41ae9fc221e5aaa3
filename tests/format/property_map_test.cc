#include "format/property_map.h"

#include <gtest/gtest.h>

namespace mqstore {
namespace {

TEST(PropertyMap, SetReplacesInPlaceAndAppendsNewNames) {
  PropertyMap m = PropertyMap::Parse(std::string("DELAY\x01" "3\x02" "KEYS\x01" "k\x02"));
  m.Set("DELAY", "2");
  m.Set("REAL_TOPIC", "T");
  EXPECT_EQ(*m.Serialize(), std::string("DELAY\x01" "2\x02" "KEYS\x01" "k\x02" "REAL_TOPIC\x01" "T\x02"));
}

TEST(PropertyMap, AnEmptyValueIsKeptAsWrittenThoughReadersDropIt) {
  const std::string raw("TRACE_CONTEXT\x01\x02" "PGROUP\x01" "g\x02");
  PropertyMap m = PropertyMap::Parse(raw);
  EXPECT_EQ(m.Get("TRACE_CONTEXT"), std::optional<std::string_view>(""));
  EXPECT_EQ(*m.Serialize(), raw) << "a rewrite changes only what it names";
}

TEST(PropertyMap, TheTrailingSeparatorFollowsTheInput) {
  EXPECT_EQ(*PropertyMap::Parse(std::string("A\x01" "1")).Serialize(), std::string("A\x01" "1"));
  PropertyMap empty = PropertyMap::Parse("");
  empty.Set("A", "1");
  EXPECT_EQ(*empty.Serialize(), std::string("A\x01" "1\x02")) << "the 5.2+ writers' form";
}

TEST(PropertyMap, ALaterDuplicateWinsAndSegmentsWithoutANameGo) {
  PropertyMap m = PropertyMap::Parse(std::string("A\x01" "1\x02" "\x01" "x\x02" "junk\x02" "A\x01" "2\x02"));
  EXPECT_EQ(m.size(), 1u);
  EXPECT_EQ(m.Get("A"), std::optional<std::string_view>("2"));
  m.Erase("A");
  EXPECT_FALSE(m.Has("A"));
}

TEST(PropertyMap, ASeparatorInANameOrA0x02InAValueCannotBeWritten) {
  PropertyMap m;
  m.Set("A", "x\x01y");  // readers split at the first 0x01: reads back the same
  EXPECT_TRUE(m.Serialize().ok());
  m.Set("B", "x\x02y");
  EXPECT_FALSE(m.Serialize().ok());
}

}  // namespace
}  // namespace mqstore
