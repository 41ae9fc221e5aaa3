// Op bodies in both forms RocketMQ writes, and what the reader refuses.
#include "format/transaction_op_body.h"

#include <gtest/gtest.h>

namespace mqstore {
namespace {

TEST(TransactionOpBody, The4xFormIsOneOffset) {
  EXPECT_EQ(OpBodySingle(1234), "1234");
  auto parsed = ParseOpBody("1234");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, std::vector<int64_t>{1234});
}

TEST(TransactionOpBody, The5xFormIsOffsetsEachFollowedByAComma) {
  std::string body;
  for (int64_t o : {12, 13, 15}) AppendOpBodyOffset(body, o);
  EXPECT_EQ(body, "12,13,15,");
  auto parsed = ParseOpBody(body);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, (std::vector<int64_t>{12, 13, 15}));
}

TEST(TransactionOpBody, EmptyTokensAreSkippedAsRocketMqSkipsThem) {
  auto parsed = ParseOpBody(",7,,8,");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, (std::vector<int64_t>{7, 8}));
  EXPECT_TRUE(ParseOpBody("")->empty());
}

TEST(TransactionOpBody, ATokenThatIsNotAJavaLongIsRefusedWithItsByte) {
  for (const char* bad : {"12,x3,", "1 ", "99999999999999999999", "+-1", "1.5"}) {
    auto parsed = ParseOpBody(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_NE(parsed.error().message().find("byte"), std::string::npos) << parsed.error().message();
  }
  auto parsed = ParseOpBody("12,x3,");
  EXPECT_NE(parsed.error().message().find("byte 3: 'x3'"), std::string::npos) << parsed.error().message();
}

}  // namespace
}  // namespace mqstore
