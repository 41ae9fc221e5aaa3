#include "format/delay_offset_json.h"

#include <gtest/gtest.h>

#include <string>

namespace mqstore {
namespace {

DelayOffsetFile Parsed(std::string_view text) {
  auto f = ParseDelayOffsetJson(text);
  EXPECT_TRUE(f.ok()) << f.error().ToString();
  return f.ok() ? *f : DelayOffsetFile{};
}

std::string ErrorOf(std::string_view text) {
  auto f = ParseDelayOffsetJson(text);
  EXPECT_FALSE(f.ok()) << "accepted: " << text;
  return f.ok() ? std::string() : f.error().ToString();
}

TEST(DelayOffsetJson, Reads4xFastjsonWithUnquotedIntegerKeys) {
  const DelayOffsetFile f = Parsed("{\n\t\"offsetTable\":{1:0,2:17,3:5,18:0\n\t}\n}");
  EXPECT_EQ(f.offset_table, (std::map<int32_t, int64_t>{{1, 0}, {2, 17}, {3, 5}, {18, 0}}));
  EXPECT_FALSE(f.data_version.has_value());
}

TEST(DelayOffsetJson, Reads5xWithDataVersion) {
  const DelayOffsetFile f = Parsed(
      "{\n\t\"dataVersion\":{\n\t\t\"counter\":3,\n\t\t\"stateVersion\":0,\n\t\t\"timestamp\":1700000000123\n\t},"
      "\n\t\"offsetTable\":{1:4\n\t}\n}");
  ASSERT_TRUE(f.data_version.has_value());
  EXPECT_EQ(*f.data_version, (DelayOffsetDataVersion{3, 0, 1700000000123}));
  EXPECT_EQ(f.offset_table.at(1), 4);
}

TEST(DelayOffsetJson, ReadsQuotedKeysAnyWhitespaceAndSkipsUnknownFields) {
  const DelayOffsetFile f = Parsed(
      " \r\n{ \"future\" : [1, -2.5e3, \"x\\u00e9\\n\", {\"a\": {3: null}}, true, false, null] ,\t"
      "\"offsetTable\" :\n{ \"2\" : 9 ,\t7:\n-1 } , \"dataVersion\":{\"counter\":1,\"extra\":{}} }\n\t ");
  EXPECT_EQ(f.offset_table, (std::map<int32_t, int64_t>{{2, 9}, {7, -1}}));
  EXPECT_EQ(f.data_version->counter, 1);
}

TEST(DelayOffsetJson, ReadsEmptyAndNullTables) {
  EXPECT_TRUE(Parsed("{}").offset_table.empty());
  EXPECT_TRUE(Parsed("{\"offsetTable\":{}}").offset_table.empty());
  EXPECT_TRUE(Parsed("{\"offsetTable\":null,\"dataVersion\":null}").offset_table.empty());
}

TEST(DelayOffsetJson, WritesFastjsonPrettyFormDataVersionFirst) {
  DelayOffsetFile f;
  f.offset_table = {{1, 0}, {2, 17}, {10, 5}};
  f.data_version = DelayOffsetDataVersion{2, 0, 1700000000000};
  EXPECT_EQ(WriteDelayOffsetJson(f),
            "{\n\t\"dataVersion\":{\n\t\t\"counter\":2,\n\t\t\"stateVersion\":0,\n\t\t\"timestamp\":1700000000000\n\t},"
            "\n\t\"offsetTable\":{1:0,2:17,10:5\n\t}\n}");
  f.data_version.reset();
  f.offset_table.clear();
  EXPECT_EQ(WriteDelayOffsetJson(f), "{\n\t\"offsetTable\":{}\n}") << "an empty map has no newline inside";
}

TEST(DelayOffsetJson, WhatIsWrittenParsesEqual) {
  DelayOffsetFile f;
  for (int32_t level = 1; level <= 18; ++level) f.offset_table[level] = level * 1000003LL;
  f.offset_table[-5] = INT64_MIN;
  f.data_version = DelayOffsetDataVersion{INT64_MAX, -1, 0};
  EXPECT_EQ(Parsed(WriteDelayOffsetJson(f)), f);
}

TEST(DelayOffsetJson, RefusesWhatIsNotTheFileNamingTheByte) {
  EXPECT_EQ(ErrorOf(""), "Corruption: byte 0: expected '{' opening the file's object, found the end of the input");
  EXPECT_EQ(ErrorOf("[1]"), "Corruption: byte 0: expected '{' opening the file's object, found '['");
  EXPECT_EQ(ErrorOf("{\"offsetTable\":{1:0,}}"),
            "Corruption: byte 20: expected an object key (a string or an integer), found '}'");
  EXPECT_EQ(ErrorOf("{\"offsetTable\":{1 0}}"), "Corruption: byte 18: expected ':' after an object key, found '0'");
  EXPECT_EQ(ErrorOf("{\"offsetTable\":{1:0.5}}"),
            "Corruption: byte 18: expected an integer offset in offsetTable, found '0'");
  EXPECT_EQ(ErrorOf("{\"offsetTable\":{x:0}}"),
            "Corruption: byte 16: expected an object key (a string or an integer), found 'x'");
  EXPECT_EQ(ErrorOf("{\"offsetTable\":{\"a\":0}}"),
            "Corruption: byte 16: expected an offsetTable key that is a 32-bit integer level, found '\"'");
  EXPECT_EQ(ErrorOf("{\"offsetTable\":{1:0}} x"),
            "Corruption: byte 22: expected the end of the input after the file's object, found 'x'");
  EXPECT_EQ(ErrorOf("{\"offsetTable\":[]}"), "Corruption: byte 15: expected '{' opening offsetTable, found '['");
  EXPECT_EQ(ErrorOf("{\"offsetTable\":{1:99999999999999999999}}"),
            "Corruption: byte 18: expected an integer offset in offsetTable within 64 bits, found '9'");
  EXPECT_EQ(ErrorOf("{\"offsetTable\":{3000000000:1}}"),
            "Corruption: byte 16: expected an offsetTable key that is a 32-bit integer level, found '3'");
  EXPECT_EQ(ErrorOf("{\"a\":\"x\x01\"}"),
            "Corruption: byte 7: expected a string character (control characters must be escaped), found byte 0x01");
  EXPECT_EQ(ErrorOf("{\"a\":\"\\q\"}"), "Corruption: byte 7: expected an escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX), found 'q'");
  EXPECT_EQ(ErrorOf("{\"offsetTable\":{1:0"), "Corruption: byte 19: expected ',' or '}' after an object member, found the end of the input");
  EXPECT_EQ(ErrorOf("{\"a\":tru}"), "Corruption: byte 5: expected a value, found 't'");
}

TEST(DelayOffsetJson, BoundsNestingInsteadOfRecursingWithoutEnd) {
  std::string deep = "{\"a\":";
  for (int i = 0; i < 100000; ++i) deep += '[';
  const std::string error = ErrorOf(deep);
  EXPECT_NE(error.find("levels of nesting"), std::string::npos) << error;
  std::string objects = "{\"a\":";
  for (int i = 0; i < 100000; ++i) objects += "{\"b\":";
  EXPECT_NE(ErrorOf(objects).find("levels of nesting"), std::string::npos);
}

}  // namespace
}  // namespace mqstore
