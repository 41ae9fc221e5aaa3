#include "format/topic_name.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mqstore {
namespace {

TEST(TopicNameTest, PutRuleAcceptsRocketMqCharactersUpToTheLimit) {
  for (const std::string& topic : std::vector<std::string>{"TopicTest", "%RETRY%group-1", "%DLQ%g", "a|b", "rmq_sys_wheel_timer", "0",
                                  std::string(127, 'x')})
    EXPECT_EQ(CheckTopicForPut(topic), TopicProblem::kNone) << topic;
  EXPECT_EQ(CheckTopicForPut(std::string(128, 'x')), TopicProblem::kTooLong);
  EXPECT_EQ(CheckTopicForPut(std::string(200, 'x'), 200), TopicProblem::kNone);
  // No knob lets a topic pass what one file name can hold.
  EXPECT_EQ(CheckTopicForPut(std::string(256, 'x'), 1000), TopicProblem::kTooLong);
}

TEST(TopicNameTest, PutRuleRefusesWhatIsNotOnePathComponent) {
  EXPECT_EQ(CheckTopicForPut(""), TopicProblem::kEmpty);
  EXPECT_EQ(CheckTopicForPut("."), TopicProblem::kDotName);
  EXPECT_EQ(CheckTopicForPut(".."), TopicProblem::kDotName);
  EXPECT_EQ(CheckTopicForPut("../../x"), TopicProblem::kSeparator);
  EXPECT_EQ(CheckTopicForPut("a/b"), TopicProblem::kSeparator);
  EXPECT_EQ(CheckTopicForPut("a\\b"), TopicProblem::kSeparator);
  EXPECT_EQ(CheckTopicForPut(std::string("a\0b", 3)), TopicProblem::kControl);
  EXPECT_EQ(CheckTopicForPut("a\nb"), TopicProblem::kControl);
  EXPECT_EQ(CheckTopicForPut("a\x7f"), TopicProblem::kControl);
  // Safe as a file name, but not in RocketMQ's alphabet.
  EXPECT_EQ(CheckTopicForPut("a.b"), TopicProblem::kCharacter);
  EXPECT_EQ(CheckTopicForPut("a b"), TopicProblem::kCharacter);
  EXPECT_EQ(CheckTopicForPut("t\xc3\xa9"), TopicProblem::kCharacter);
}

TEST(TopicNameTest, FileNameRuleAcceptsAnySafeComponent) {
  for (const std::string& topic : std::vector<std::string>{"a.b", "a b", "t\xc3\xa9", "...", ".a", std::string(255, 'y')})
    EXPECT_EQ(CheckTopicAsFileName(topic), TopicProblem::kNone) << topic;
  EXPECT_EQ(CheckTopicAsFileName(""), TopicProblem::kEmpty);
  EXPECT_EQ(CheckTopicAsFileName("."), TopicProblem::kDotName);
  EXPECT_EQ(CheckTopicAsFileName(".."), TopicProblem::kDotName);
  EXPECT_EQ(CheckTopicAsFileName("x/.."), TopicProblem::kSeparator);
  EXPECT_EQ(CheckTopicAsFileName(std::string(256, 'y')), TopicProblem::kTooLong);
  EXPECT_EQ(CheckTopicAsFileName(std::string("\0", 1)), TopicProblem::kControl);
}

TEST(TopicNameTest, ProblemsAreDescribedWithTheOffendingByteEscaped) {
  EXPECT_EQ(DescribeTopicProblem(TopicProblem::kSeparator, "a/b"), "topic 'a/b' holds a path separator at byte 1");
  EXPECT_EQ(DescribeTopicProblem(TopicProblem::kControl, std::string("a\nb")),
            "topic 'a\\x0ab' holds a control byte at byte 1");
  EXPECT_NE(DescribeTopicProblem(TopicProblem::kTooLong, std::string(130, 'x')).find("is 130 bytes, longer than 127"),
            std::string::npos);
  EXPECT_NE(DescribeTopicProblem(TopicProblem::kCharacter, "a.b").find("at byte 1"), std::string::npos);
  EXPECT_EQ(EscapeForDisplay(std::string("t\0\x1b\\\"\xff", 6)), "t\\x00\\x1b\\x5c\\x22\\xff");
}

}  // namespace
}  // namespace mqstore
