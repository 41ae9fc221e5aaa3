// config/consumerOffset.json in fastjson's form: RocketMQ's files read,
// written back byte for byte, other entries and fields kept.
#include "format/consumer_offset_json.h"

#include <gtest/gtest.h>

namespace mqstore {
namespace {

// What a 4.9.8 broker writes (ConsumerOffsetManager.encode(true)).
constexpr std::string_view k498File =
    "{\n\t\"offsetTable\":{\n\t\t\"RMQ_SYS_TRANS_HALF_TOPIC@CID_RMQ_SYS_TRANS\":{0:12\n\t\t},"
    "\n\t\t\"RMQ_SYS_TRANS_OP_HALF_TOPIC@CID_RMQ_SYS_TRANS\":{0:9\n\t\t},"
    "\n\t\t\"TopicA@group1\":{0:100,1:98,2:97,3:101\n\t\t}\n\t}\n}";

TEST(ConsumerOffsetJson, ABrokersFileIsReadAndWrittenBackByteForByte) {
  auto parsed = ParseConsumerOffsetJson(k498File);
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  EXPECT_EQ(parsed->offset_table.size(), 3u);
  EXPECT_EQ(parsed->offset_table.at(ConsumerOffsetKey("RMQ_SYS_TRANS_HALF_TOPIC", "CID_RMQ_SYS_TRANS")).at(0), 12);
  EXPECT_EQ(parsed->offset_table.at("TopicA@group1").at(3), 101);
  EXPECT_EQ(WriteConsumerOffsetJson(*parsed), k498File);
}

TEST(ConsumerOffsetJson, FieldsOtherThanOffsetTableAreKeptVerbatim) {
  const std::string file =
      "{\n\t\"dataVersion\":{\n\t\t\"counter\":3,\n\t\t\"stateVersion\":0,\n\t\t\"timestamp\":1700000000000\n\t},"
      "\n\t\"offsetTable\":{\n\t\t\"T@g\":{0:1\n\t\t}\n\t}\n}";
  auto parsed = ParseConsumerOffsetJson(file);
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  ASSERT_EQ(parsed->other_fields.size(), 1u);
  EXPECT_EQ(WriteConsumerOffsetJson(*parsed), file);
}

TEST(ConsumerOffsetJson, PlainJsonAndNullsAreRead) {
  auto parsed = ParseConsumerOffsetJson(R"({"offsetTable": {"T@g": {"0": 5, "1": null}, "U@g": null}})");
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  EXPECT_EQ(parsed->offset_table.at("T@g"), (std::map<int32_t, int64_t>{{0, 5}}));
  EXPECT_EQ(parsed->offset_table.count("U@g"), 0u);
  EXPECT_EQ(WriteConsumerOffsetJson(ConsumerOffsetFile{}), "{\n\t\"offsetTable\":{}\n}");
}

// Found by the fuzzer: keys are written back byte for byte (fastjson
// without BrowserCompatible writes non-ASCII as it is), not re-encoded.
TEST(ConsumerOffsetJson, KeysWithAnyBytesComeBackTheSame) {
  const std::string file = "{\n\t\"offse\xa6Table\":{\n\t\t\"T\xa6g\":{0:0\n\t\t}\n\t},"
                           "\n\t\"offsetTable\":{\n\t\t\"T\xc3\xa9@g\\u0001\":{0:1\n\t\t}\n\t}\n}";
  auto parsed = ParseConsumerOffsetJson(file);
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  EXPECT_EQ(parsed->offset_table.count("T\xc3\xa9@g\x01"), 1u);
  auto again = ParseConsumerOffsetJson(WriteConsumerOffsetJson(*parsed));
  ASSERT_TRUE(again.ok()) << again.error().ToString();
  EXPECT_EQ(*again, *parsed);
}

TEST(ConsumerOffsetJson, DamageIsRefusedNamingTheByte) {
  for (const char* bad : {"", "{", "{\"offsetTable\":{\"T@g\":{x:1}}}", "{\"offsetTable\":{\"T@g\":{0:1.5}}}",
                          "{\"offsetTable\":{\"T@g\":{99999999999:1}}}", "{} x"}) {
    auto parsed = ParseConsumerOffsetJson(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_NE(parsed.error().message().find("byte "), std::string::npos) << parsed.error().message();
  }
}

}  // namespace
}  // namespace mqstore
