// MessageStore::OpenReadOnly: a cleanly stopped store is read in full and
// not a byte of it changes; a store that would need a write to open (one
// not shut down cleanly, one with damage) is refused, whatever the policy.
#include <gtest/gtest.h>

#include <fstream>

#include "format/segment_name.h"
#include "storage/message_store.h"
#include "storage/store_log.h"
#include "tests/storage/engine_test_util.h"
#include "tests/storage/store_test_util.h"
#include "tests/support/dir_snapshot.h"

namespace mqstore {
namespace {

class MessageStoreReadOnlyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetLogSink({});
    root_ = tmp_.path() + "/store";
    config_ = test::SmallStoreConfig(root_);
    puts_ = test::PutAndShutDown(config_, kRecords);
    ASSERT_EQ(puts_.size(), static_cast<size_t>(kRecords));
    ASSERT_GE(test::ListCommitLog(root_).size(), 3u) << "records span several segments";
  }
  static constexpr int kRecords = 400;
  test::TempDir tmp_;
  std::string root_;
  StoreConfig config_;
  std::vector<PutResult> puts_;
};

TEST_F(MessageStoreReadOnlyTest, ReadsEveryRecordAndChangesNothing) {
  const test::TreeSnapshot before = test::SnapshotTree(root_);
  {
    auto opened = MessageStore::OpenReadOnly(config_);
    ASSERT_TRUE(opened.ok()) << opened.error().ToString();
    MessageStore& store = **opened;
    EXPECT_TRUE(store.read_only());
    EXPECT_EQ(store.GetMaxPhyOffset(), puts_.back().wrote_offset + puts_.back().wrote_bytes);
    size_t read = 0;
    for (int32_t q = 0; q < 3; ++q) {
      for (int64_t offset = 0;;) {
        const GetMessageResult got = store.GetMessage("g", "TopicA", q, offset, 32);
        if (got.status != GetMessageStatus::kFound) break;
        read += got.messages.size();
        offset = got.next_begin_offset;
      }
    }
    EXPECT_EQ(read, static_cast<size_t>(kRecords));
    EXPECT_EQ(store.QueryMessage("TopicA", "k301", 8, 0, INT64_MAX).messages.size(), 1u);

    test::OwnedMessage m("TopicA", 0, 100, "late");
    const PutResult put = store.Put(m.message());
    EXPECT_EQ(put.status, PutStatus::kServiceNotAvailable);
    EXPECT_NE(put.reason.find("read-only"), std::string::npos) << put.reason;
    const auto dispatched = store.DispatchOnce(1 << 20);
    ASSERT_FALSE(dispatched.ok());
    EXPECT_NE(dispatched.error().ToString().find("read-only"), std::string::npos) << dispatched.error().ToString();
    EXPECT_TRUE(store.Flush().ok());
    EXPECT_TRUE(store.Shutdown().ok());
  }
  test::ExpectSameTree(before, test::SnapshotTree(root_));
}

TEST_F(MessageStoreReadOnlyTest, AStoreNotShutDownCleanlyIsRefusedAndLeftAsItIs) {
  std::ofstream(root_ + "/abort").close();
  const test::TreeSnapshot before = test::SnapshotTree(root_);
  auto opened = MessageStore::OpenReadOnly(config_);
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.error().ToString().find("not shut down cleanly"), std::string::npos) << opened.error().ToString();
  test::ExpectSameTree(before, test::SnapshotTree(root_));
}

TEST_F(MessageStoreReadOnlyTest, DamageIsRefusedWhateverThePolicyAndNothingIsCut) {
  // A flipped magic code in a record of the last segment that holds
  // records: a read-write open with truncate would cut here.
  const PutResult& victim = puts_[kRecords - 20];
  const int64_t file_pos = victim.wrote_offset % config_.mappedFileSizeCommitLog;
  const std::string file = root_ + "/commitlog/" + SegmentFileName(victim.wrote_offset - file_pos);
  test::PatchI32(file, file_pos + 4, 0x12345678);
  config_.recoveryCorruptionPolicy = RecoveryCorruptionPolicy::kTruncate;
  const test::TreeSnapshot before = test::SnapshotTree(root_);
  auto opened = MessageStore::OpenReadOnly(config_);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code(), StatusCode::kCorruption) << opened.error().ToString();
  EXPECT_NE(opened.error().ToString().find("read-only"), std::string::npos) << opened.error().ToString();
  test::ExpectSameTree(before, test::SnapshotTree(root_));
}

}  // namespace
}  // namespace mqstore
