#include "format/fastjson_reader.h"

#include <gtest/gtest.h>

namespace mqstore {
namespace {

TEST(FastjsonReader, DecodesEscapesAndSurrogatePairsToUtf8) {
  FastjsonReader in("\"a\\u00E9\\uD83D\\uDE00\\n\"", 4);
  auto s = in.String();
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(*s, "a\xC3\xA9\xF0\x9F\x98\x80\n");
  EXPECT_TRUE(in.AtEnd());
}

TEST(FastjsonReader, WhatTheWriterEscapesReadsBack) {
  const std::string topic = "T\"\\\x01\xC3\xA9\xF0\x9F\x98\x80";
  std::string json;
  AppendFastjsonString(json, topic);
  EXPECT_EQ(json, "\"T\\\"\\\\\\u0001\\u00E9\\uD83D\\uDE00\"");
  FastjsonReader in(json, 4);
  auto s = in.String();
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(*s, topic);
}

TEST(FastjsonReader, MembersTakeQuotedAndUnquotedKeysAndNameTheByteOfAnError) {
  FastjsonReader in("{1:2, \"b\" : [true,{}] }", 4);
  ASSERT_TRUE(in.Consume('{'));
  std::string keys;
  Status st = in.Members(1, [&](const std::string& key) {
    keys += key + ";";
    return in.SkipValue(2);
  });
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(keys, "1;b;");

  FastjsonReader bad("{\"a\" 1}", 4);
  ASSERT_TRUE(bad.Consume('{'));
  EXPECT_EQ(bad.Members(1, [&](const std::string&) { return bad.SkipValue(2); }).ToString(),
            "Corruption: byte 5: expected ':' after an object key, found '1'");
}

TEST(FastjsonReader, BoundsNesting) {
  FastjsonReader in("[[[[1]]]]", 3);
  EXPECT_NE(in.SkipValue(1).ToString().find("at most 3 levels of nesting"), std::string::npos);
}

}  // namespace
}  // namespace mqstore
