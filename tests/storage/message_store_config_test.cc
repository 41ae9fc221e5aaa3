// MessageStore::Open refuses a config built in code whose knobs are out of
// range, naming the knob and the value, before it creates or writes anything
// (no directory, no lock file, no abort file under the root).
#include <gtest/gtest.h>

#include <filesystem>

#include "storage/message_store.h"
#include "storage/store_log.h"
#include "tests/storage/engine_test_util.h"
#include "tests/support/golden.h"

namespace mqstore {
namespace {

class MessageStoreConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetLogSink({});
    root_ = tmp_.path() + "/store";
    config_ = test::SmallStoreConfig(root_);
  }

  // Open fails with InvalidArgument naming `knob_and_value` and leaves no
  // trace on disk.
  void ExpectRefused(const std::string& knob_and_value) {
    auto store = MessageStore::Open(config_);
    ASSERT_FALSE(store.ok()) << knob_and_value << " was accepted";
    EXPECT_EQ(store.error().code(), StatusCode::kInvalidArgument) << store.error().ToString();
    EXPECT_NE(store.error().message().find(knob_and_value), std::string::npos) << store.error().ToString();
    EXPECT_NE(store.error().message().find("range"), std::string::npos)
        << "the error gives the valid range: " << store.error().ToString();
    EXPECT_FALSE(std::filesystem::exists(root_)) << "nothing is created before the config is checked";
  }

  test::TempDir tmp_;
  std::string root_;
  StoreConfig config_;
};

TEST_F(MessageStoreConfigTest, NegativeAppendBufferSizeIsRefusedInsteadOfHanging) {
  config_.appendBufferSize = -1;
  ExpectRefused("appendBufferSize=-1");
}

TEST_F(MessageStoreConfigTest, HugeAppendBufferSizeIsRefusedInsteadOfAborting) {
  config_.appendBufferSize = int64_t{1} << 50;
  ExpectRefused("appendBufferSize=1125899906842624");
}

TEST_F(MessageStoreConfigTest, ConsumeQueueFileSizeBelowOneUnitIsRefused) {
  config_.mappedFileSizeConsumeQueue = 0;
  ExpectRefused("mappedFileSizeConsumeQueue=0");
  config_.mappedFileSizeConsumeQueue = -20;
  ExpectRefused("mappedFileSizeConsumeQueue=-20");
}

TEST_F(MessageStoreConfigTest, IndexFileOfTensOfGigabytesIsRefused) {
  config_.maxHashSlotNum = 2147483647;
  ExpectRefused("maxHashSlotNum=2147483647");
}

TEST_F(MessageStoreConfigTest, NegativeFileReservedTimeIsRefused) {
  config_.fileReservedTime = -5;
  ExpectRefused("fileReservedTime=-5");
}

TEST_F(MessageStoreConfigTest, TheCheckedConfigStillOpens) {
  auto store = MessageStore::Open(config_);
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  EXPECT_TRUE((*store)->Shutdown().ok());
}

}  // namespace
}  // namespace mqstore
