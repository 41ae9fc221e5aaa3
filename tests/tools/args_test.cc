// The command-line parser of the mqstore tools (tools/args.h).
#include "tools/args.h"

#include <gtest/gtest.h>

namespace mqstore::cli {
namespace {

Result<Args> Parse(const std::vector<std::string>& argv) {
  return Args::Parse(argv, {"set", "messages", "dir"}, {"json"});
}

TEST(Args, PositionalValueAndBoolFlags) {
  auto args = Parse({"root", "--messages", "10", "--dir=/x", "--json"});
  ASSERT_TRUE(args.ok()) << args.error().message();
  EXPECT_EQ(args->positional(), std::vector<std::string>{"root"});
  EXPECT_EQ(args->Get("messages"), "10");
  EXPECT_EQ(args->Get("dir"), "/x");
  EXPECT_TRUE(args->Has("json"));
  EXPECT_FALSE(args->Has("set"));
  EXPECT_EQ(*args->GetInt("messages", 0), 10);
  EXPECT_EQ(*args->GetInt("set", 7), 7);
}

TEST(Args, GetAllKeepsEveryValueInOrderAndGetTheLast) {
  auto args = Parse({"--set", "a=1", "--set=b=2", "--messages", "1", "--set", "a=3"});
  ASSERT_TRUE(args.ok()) << args.error().message();
  EXPECT_EQ(args->GetAll("set"), (std::vector<std::string>{"a=1", "b=2", "a=3"}));
  EXPECT_EQ(args->Get("set"), "a=3") << "Get keeps its meaning: the last value";
  EXPECT_EQ(args->GetAll("messages"), std::vector<std::string>{"1"});
  EXPECT_TRUE(args->GetAll("dir").empty());
  EXPECT_TRUE(args->GetAll("json").empty()) << "a boolean flag has no values";
}

TEST(Args, UsageErrors) {
  EXPECT_FALSE(Parse({"--bogus"}).ok());
  EXPECT_FALSE(Parse({"--messages"}).ok());
  EXPECT_FALSE(Parse({"--json=1"}).ok());
  EXPECT_FALSE(Parse({"--messages", "12x"})->GetInt("messages", 0).ok());
}

TEST(Args, GetIntInARangeRefusesWhatANarrowerFieldWouldWrap) {
  auto args = Parse({"--messages", "4294967297", "--dir", "-1"});
  ASSERT_TRUE(args.ok());
  auto wide = args->GetInt("messages", 0, 1, INT32_MAX);
  ASSERT_FALSE(wide.ok());
  EXPECT_EQ(wide.error().message(), "--messages must be in [1, 2147483647], not '4294967297'");
  EXPECT_FALSE(args->GetInt("dir", 0, 0, 10).ok());
  EXPECT_EQ(*args->GetInt("set", 7, 1, 5), 7) << "an absent flag is its default, unchecked";
  EXPECT_EQ(*Parse({"--messages", "2g"})->GetInt("messages", 0, 0, INT64_MAX), int64_t{2} << 30);
  EXPECT_FALSE(Parse({"--messages", "x"})->GetInt("messages", 0, 0, 10).ok());
}

TEST(Args, ParseSizeUnits) {
  EXPECT_EQ(ParseSize("1024"), 1024);
  EXPECT_EQ(ParseSize("64k"), 64 << 10);
  EXPECT_EQ(ParseSize("1m"), 1 << 20);
  EXPECT_EQ(ParseSize("1G"), int64_t{1} << 30);
  EXPECT_FALSE(ParseSize(""));
  EXPECT_FALSE(ParseSize("k"));
  EXPECT_FALSE(ParseSize("1.5m"));
}

}  // namespace
}  // namespace mqstore::cli
