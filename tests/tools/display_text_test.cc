// Text from a store as the tools show it: tables escape control bytes and
// bytes that are not UTF-8; JSON stays valid JSON in valid UTF-8.
#include "tools/display_text.h"

#include <gtest/gtest.h>

#include <sstream>

#include "tools/json_writer.h"
#include "tools/table.h"

namespace mqstore::cli {
namespace {

std::string Json(std::string_view s) {
  std::string out;
  AppendJsonString(out, s);
  return out;
}

TEST(DisplayText, PrintableTextAndWellFormedUtf8StayAsTheyAre) {
  EXPECT_EQ(DisplayText("TopicA order-1 \\ \""), "TopicA order-1 \\ \"");
  EXPECT_EQ(DisplayText("gr\xc3\xa9p \xe6\xa0\x87\xe7\xad\xbe \xf0\x9f\x93\xa6"),
            "gr\xc3\xa9p \xe6\xa0\x87\xe7\xad\xbe \xf0\x9f\x93\xa6");
}

TEST(DisplayText, ControlBytesAndBytesThatAreNotUtf8AreEscaped) {
  EXPECT_EQ(DisplayText(std::string("a\0b", 3)), "a\\x00b");
  EXPECT_EQ(DisplayText("\x1b[2J\x07\t\n\x7f"), "\\x1b[2J\\x07\\x09\\x0a\\x7f");
  EXPECT_EQ(DisplayText("\xc2\x9b" "A"), "\\xc2\\x9bA") << "a C1 control";
  EXPECT_EQ(DisplayText("\xff\xc3"), "\\xff\\xc3") << "a stray byte, a truncated sequence";
  EXPECT_EQ(DisplayText("\xed\xa0\x80"), "\\xed\\xa0\\x80") << "a UTF-16 surrogate";
  EXPECT_EQ(DisplayText("\xe0\x80\xaf"), "\\xe0\\x80\\xaf") << "an overlong '/'";
  EXPECT_EQ(DisplayText("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80") << "past U+10FFFF";
}

TEST(DisplayText, TableCellsAreShownEscaped) {
  Table t({"TOPIC", "KEYS"});
  t.AddRow({"Top\x1b[2Jic", "k\x07"});
  std::ostringstream out;
  t.Print(out);
  EXPECT_EQ(out.str(), "TOPIC         KEYS\nTop\\x1b[2Jic  k\\x07\n");
}

TEST(JsonString, ControlCharactersAreUnicodeEscapesAndBadBytesReplacementCharacters) {
  EXPECT_EQ(Json("a\"\\b"), "\"a\\\"\\\\b\"");
  EXPECT_EQ(Json(std::string("\0\x1f\x7f", 3)), "\"\\u0000\\u001f\\u007f\"");
  EXPECT_EQ(Json("\xc2\x85" "x"), "\"\\u0085x\"") << "a C1 control";
  EXPECT_EQ(Json("\xc3\xa9\xe6\xa0\x87"), "\"\xc3\xa9\xe6\xa0\x87\"");
  EXPECT_EQ(Json("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"") << "a surrogate is not UTF-8";
  EXPECT_EQ(Json("\xe0\x80\xaf"), "\"\\ufffd\\ufffd\\ufffd\"") << "nor an overlong form";
  EXPECT_EQ(Json("\xff"), "\"\\ufffd\"");
}

}  // namespace
}  // namespace mqstore::cli
