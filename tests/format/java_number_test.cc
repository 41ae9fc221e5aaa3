// ParseJavaInteger accepts what Integer.parseInt / Long.parseLong accept,
// and nothing else.
#include "format/java_number.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace mqstore {
namespace {

TEST(JavaNumber, AcceptsOneOptionalSignAndDigits) {
  EXPECT_EQ(ParseJavaInteger<int32_t>("0"), 0);
  EXPECT_EQ(ParseJavaInteger<int32_t>("17"), 17);
  EXPECT_EQ(ParseJavaInteger<int32_t>("+17"), 17);
  EXPECT_EQ(ParseJavaInteger<int32_t>("-17"), -17);
  EXPECT_EQ(ParseJavaInteger<int64_t>("1800000000000"), 1800000000000);
  EXPECT_EQ(ParseJavaInteger<int32_t>("007"), 7);
}

TEST(JavaNumber, RefusesWhatJavaThrowsOn) {
  for (const char* bad : {"", "+", "-", "++1", "+-1", "--1", "-+1", " 1", "1 ", "1a", "0x10", "1.0"})
    EXPECT_EQ(ParseJavaInteger<int32_t>(bad), std::nullopt) << "'" << bad << "'";
}

TEST(JavaNumber, RefusesWhatOverflowsTheType) {
  EXPECT_EQ(ParseJavaInteger<int32_t>("2147483647"), 2147483647);
  EXPECT_EQ(ParseJavaInteger<int32_t>("2147483648"), std::nullopt);
  EXPECT_EQ(ParseJavaInteger<int32_t>("-2147483648"), INT32_MIN);
  EXPECT_EQ(ParseJavaInteger<int64_t>("9223372036854775808"), std::nullopt);
}

}  // namespace
}  // namespace mqstore
