// Recovery of consume queues and index files with the commit log: a clean
// reopen redoes nothing; deleted queues or index are rebuilt from the log;
// units and entries past a cut log end go; crashes at random points of queue
// and index writes leave them agreeing with the log.
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <thread>

#include "storage/io/fault_injection_file_system.h"
#include "storage/message_store.h"
#include "storage/store_log.h"
#include "tests/storage/engine_test_util.h"
#include "tests/storage/store_test_util.h"
#include "tests/support/golden.h"

namespace mqstore {
namespace {

class QueueRecoveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetLogSink({});
    root_ = tmp_.path() + "/store";
    config_ = test::SmallStoreConfig(root_);
  }
  std::unique_ptr<MessageStore> Open(FileSystem& fs = FileSystem::Default()) {
    auto store = MessageStore::Open(config_, fs);
    EXPECT_TRUE(store.ok()) << store.error().ToString();
    return store.ok() ? std::move(*store) : nullptr;
  }
  static std::vector<PutResult> PutMany(MessageStore& store, int n, int from = 0) {
    std::vector<PutResult> out;
    for (int i = from; i < from + n; ++i) {
      test::OwnedMessage m(i % 2 ? "TopicA" : "TopicB", i % 5, 40 + (i * 17) % 500, "k" + std::to_string(i));
      out.push_back(store.Put(m.message()));
      EXPECT_TRUE(out.back().ok());
    }
    return out;
  }
  test::TempDir tmp_;
  std::string root_;
  StoreConfig config_;
};

TEST_F(QueueRecoveryTest, CleanReopenRedispatchesNothingAndKeepsQueuesAndIndex) {
  auto store = Open();
  PutMany(*store, 700);
  ASSERT_TRUE(store->Shutdown().ok());
  const uint64_t entries = store->Stats().index.entries;
  store = Open();
  ASSERT_TRUE(store);
  EXPECT_EQ(store->redispatched_at_open(), 0u);
  EXPECT_EQ(store->Stats().index.entries, entries);
  test::ExpectQueuesAndIndexMatchLog(*store);
  PutMany(*store, 50, 700);  // and it goes on where it was
  ASSERT_TRUE(store->Shutdown().ok());
  test::VerifyClean(root_, config_.mappedFileSizeCommitLog);
}

TEST_F(QueueRecoveryTest, DeletedConsumeQueuesAndIndexAreRebuiltFromTheLog) {
  auto store = Open();
  PutMany(*store, 400);
  ASSERT_TRUE(store->Shutdown().ok());
  ASSERT_TRUE(FileSystem::Default().RemoveAll(root_ + "/consumequeue").ok());
  ASSERT_TRUE(FileSystem::Default().RemoveAll(root_ + "/index").ok());
  store = Open();
  ASSERT_TRUE(store);
  EXPECT_EQ(store->redispatched_at_open(), 400u) << "every record dispatched again";
  test::ExpectQueuesAndIndexMatchLog(*store);
  ASSERT_TRUE(store->Shutdown().ok());
  test::VerifyClean(root_, config_.mappedFileSizeCommitLog);
}

TEST_F(QueueRecoveryTest, UnitsAndEntriesPastACutLogEndAreDropped) {
  auto store = Open();
  const std::vector<PutResult> puts = PutMany(*store, 120);
  ASSERT_TRUE(store->Shutdown().ok());
  // A torn tail: records 100.. are garbage now, as after a crash that the
  // queues and the index survived but the log did not.
  const int64_t cut = puts[100].wrote_offset;
  ASSERT_LT(puts.back().wrote_offset, config_.mappedFileSizeCommitLog) << "one segment";
  const std::vector<uint8_t> junk(static_cast<size_t>(puts.back().wrote_offset + puts.back().wrote_bytes - cut), 0xAB);
  test::PatchFile(root_ + "/commitlog/00000000000000000000", cut, junk.data(), junk.size());
  std::ofstream(root_ + "/abort").close();  // as if the process had died
  store = Open();
  ASSERT_TRUE(store);
  EXPECT_TRUE(store->recovery().abnormal);
  EXPECT_EQ(store->GetMaxPhyOffset(), cut);
  test::ExpectQueuesAndIndexMatchLog(*store);
  EXPECT_TRUE(store->QueryMessage("TopicA", "k101", 32, 0, INT64_MAX).messages.empty());
  EXPECT_EQ(store->QueryMessage("TopicA", "k99", 32, 0, INT64_MAX).messages.size(), 1u);
  PutMany(*store, 30, 1000);  // the queues continue from the cut without a gap
  ASSERT_TRUE(store->Shutdown().ok());
  test::VerifyClean(root_, config_.mappedFileSizeCommitLog);
}

// A crash at a random point of consume-queue and index writes: some file
// creation or sync fails, then the power goes (unsynced bytes vanish).
class QueueCrashTest : public QueueRecoveryTest, public ::testing::WithParamInterface<int> {};

TEST_P(QueueCrashTest, QueuesAndIndexAgreeWithTheLogAfterACrashMidWrite) {
  const int seed = GetParam();
  std::mt19937 rng(static_cast<uint32_t>(seed));
  FaultInjectionFileSystem fs(FileSystem::Default());
  config_.flushDiskType = seed % 2 ? FlushDiskType::kSyncFlush : FlushDiskType::kAsyncFlush;
  int64_t flushed = 0;  // what the store had synced when the power went
  {
    auto store = Open(fs);
    ASSERT_TRUE(store);
    PutMany(*store, 150);
    fs.FailNthMutatingCall(1 + rng() % 40, seed % 3 ? EIO : ENOSPC);
    for (int i = 0; i < 150; ++i) {
      test::OwnedMessage m(i % 2 ? "TopicA" : "TopicB", i % 5, 40 + (i * 17) % 500, "c" + std::to_string(i));
      (void)store->Put(m.message());  // may fail once the fault hit the log
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 30));
    fs.FailAllMutatingCalls(true);
    flushed = store->Stats().flushed_offset;
  }
  fs.FailAllMutatingCalls(false);
  ASSERT_TRUE(fs.Crash(/*tear_last_write=*/seed % 2 == 0, static_cast<uint64_t>(seed)).ok());
  auto opened = test::OpenAfterPowerLoss(config_, fs, flushed);
  ASSERT_TRUE(opened.ok()) << opened.error().ToString();
  auto store = std::move(*opened);
  test::ExpectQueuesAndIndexMatchLog(*store);
  PutMany(*store, 20, 5000);
  ASSERT_TRUE(store->Shutdown().ok());
  store = Open(fs);
  ASSERT_TRUE(store);
  test::ExpectQueuesAndIndexMatchLog(*store);
}

INSTANTIATE_TEST_SUITE_P(Seeds, QueueCrashTest, ::testing::Range(0, 10));

}  // namespace
}  // namespace mqstore

namespace mqstore {
namespace {

// BODYCRC does not cover the properties, the record's last field. A record
// whose property bytes were torn to zeros still decodes, and a record that
// decodes is a record (a producer may send zero bytes there): recovery keeps
// it, and its unit and index entries are rebuilt from what survived.
TEST_F(QueueRecoveryTest, ARecordTornInsideItsPropertiesIsKeptAndQueuesAndIndexFollowIt) {
  auto store = Open();
  const std::vector<PutResult> puts = PutMany(*store, 10);
  ASSERT_TRUE(store->Shutdown().ok());
  const PutResult& last = puts.back();
  const uint8_t zeros[5] = {};
  test::PatchFile(root_ + "/commitlog/00000000000000000000", last.wrote_offset + last.wrote_bytes - 5, zeros, 5);
  std::ofstream(root_ + "/abort").close();
  store = Open();
  ASSERT_TRUE(store);
  EXPECT_EQ(store->GetMaxPhyOffset(), last.wrote_offset + last.wrote_bytes);
  EXPECT_TRUE(store->recovery().damage.empty()) << store->recovery().ToString();
  test::ExpectQueuesAndIndexMatchLog(*store);
}

}  // namespace
}  // namespace mqstore
