// Recovery of consume queues and index files with the commit log: a clean
// reopen redoes nothing; deleted queues or index are rebuilt from the log;
// units and entries past a cut log end go; crashes at random points of queue
// and index writes leave them agreeing with the log.
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <thread>

#include "format/consume_queue_unit.h"
#include "format/java_string_hash.h"
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
    auto store = MessageStore::Open(config_, Env(fs));
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
  // Records 100.. are garbage now, as after a crash that the queues and the
  // index survived but the log did not. They had been flushed, so recovery
  // calls this damage, not a torn tail (unless all 120 share the checkpoint's
  // millisecond), and cuts only because the operator chose truncate.
  const int64_t cut = puts[100].wrote_offset;
  ASSERT_LT(puts.back().wrote_offset, config_.mappedFileSizeCommitLog) << "one segment";
  const std::vector<uint8_t> junk(static_cast<size_t>(puts.back().wrote_offset + puts.back().wrote_bytes - cut), 0xAB);
  test::PatchFile(root_ + "/commitlog/00000000000000000000", cut, junk.data(), junk.size());
  std::ofstream(root_ + "/abort").close();  // as if the process had died
  config_.recoveryCorruptionPolicy = RecoveryCorruptionPolicy::kTruncate;
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
// creation or sync fails, then the power goes (unsynced bytes vanish, from
// pwrites and mapped stores alike, and unsynced directory changes are
// undone), on both commit-log backends.
class QueueCrashTest : public QueueRecoveryTest, public ::testing::WithParamInterface<std::tuple<bool, int>> {};

TEST_P(QueueCrashTest, QueuesAndIndexAgreeWithTheLogAfterACrashMidWrite) {
  const auto [write_backend, seed] = GetParam();
  std::mt19937 rng(static_cast<uint32_t>(seed));
  FaultInjectionFileSystem fs(FileSystem::Default());
  config_.writeWithoutMmap = write_backend;
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

INSTANTIATE_TEST_SUITE_P(Seeds, QueueCrashTest, ::testing::Combine(::testing::Bool(), ::testing::Range(0, 10)),
                         [](const auto& info) {
                           return std::string(std::get<0>(info.param) ? "write_" : "mmap_") +
                                  std::to_string(std::get<1>(info.param));
                         });

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

namespace mqstore {
namespace {

// Issue 13.3: every queue's end is checked against the log's topic-queue
// table at open, whatever the other queues hold.
class QueueRecoveryCatchUpTest : public QueueRecoveryTest {
 protected:
  std::string QueueFile(const std::string& topic, int32_t queue_id) const {
    return root_ + "/consumequeue/" + topic + "/" + std::to_string(queue_id) + "/00000000000000000000";
  }
  // Every unit of every queue points at its record, and each queue ends
  // where the log says; then new puts land at the next offsets.
  void ExpectCompleteAndGoingOn(MessageStore& store) {
    test::ExpectQueuesAndIndexMatchLog(store);
    PutMany(store, 60, 5000);
    test::WaitDispatched(store);
    test::ExpectQueuesAndIndexMatchLog(store);
  }
};

TEST_F(QueueRecoveryCatchUpTest, AQueueWhoseTailWasZeroedIsRebuiltAtOpen) {
  auto store = Open();
  PutMany(*store, 400);  // TopicA/1 holds 40 units; TopicA/4 got the last record
  ASSERT_TRUE(store->Shutdown().ok());
  const std::vector<uint8_t> zeros(10 * kCqUnitSize, 0);
  test::PatchFile(QueueFile("TopicA", 1), 30 * kCqUnitSize, zeros.data(), zeros.size());
  store = Open();
  ASSERT_TRUE(store);
  EXPECT_EQ(store->GetMaxOffsetInQueue("TopicA", 1), 40);
  // Record 10k+1 is TopicA/1's unit k: dispatch starts after unit 29's.
  EXPECT_EQ(store->redispatched_at_open(), 400u - (10 * 29 + 1) - 1) << "from the first missing unit's record on";
  ExpectCompleteAndGoingOn(*store);
  ASSERT_TRUE(store->Shutdown().ok());
  test::VerifyClean(root_, config_.mappedFileSizeCommitLog);
}

TEST_F(QueueRecoveryCatchUpTest, AQueueWhoseDirectoryWasRemovedIsRebuiltAtOpen) {
  auto store = Open();
  PutMany(*store, 400);
  ASSERT_TRUE(store->Shutdown().ok());
  ASSERT_TRUE(FileSystem::Default().RemoveAll(root_ + "/consumequeue/TopicB/2").ok());
  store = Open();
  ASSERT_TRUE(store);
  EXPECT_EQ(store->GetMaxOffsetInQueue("TopicB", 2), 40);
  ExpectCompleteAndGoingOn(*store);
  ASSERT_TRUE(store->Shutdown().ok());
  test::VerifyClean(root_, config_.mappedFileSizeCommitLog);
}

TEST_F(QueueRecoveryCatchUpTest, AShortQueueIsRebuiltAfterACrashToo) {
  auto store = Open();
  PutMany(*store, 400);
  ASSERT_TRUE(store->Shutdown().ok());
  ASSERT_TRUE(FileSystem::Default().RemoveAll(root_ + "/consumequeue/TopicA/3").ok());
  std::ofstream(root_ + "/abort").close();
  store = Open();
  ASSERT_TRUE(store);
  EXPECT_TRUE(store->recovery().abnormal);
  EXPECT_EQ(store->GetMaxOffsetInQueue("TopicA", 3), 40);
  ExpectCompleteAndGoingOn(*store);
}

// PREPARED and ROLLBACK records take no queue offset: however many follow
// the last unit, no queue is short and a clean reopen dispatches nothing.
TEST_F(QueueRecoveryCatchUpTest, RecordsWithoutAQueueOffsetMakeNoQueueShort) {
  auto store = Open();
  PutMany(*store, 50);
  for (int i = 0; i < 20; ++i) {
    test::OwnedMessage m("TopicT", 0, 80, "t" + std::to_string(i),
                         i % 2 ? sysflag::kTransactionPreparedType : sysflag::kTransactionRollbackType);
    ASSERT_TRUE(store->Put(m.message()).ok());
  }
  ASSERT_TRUE(store->Shutdown().ok());
  store = Open();
  ASSERT_TRUE(store);
  EXPECT_EQ(store->redispatched_at_open(), 0u);
  EXPECT_EQ(store->consume_queues().Find("TopicT", 0), nullptr);
  test::ExpectQueuesAndIndexMatchLog(*store);
}

// What the old catch-up left behind: units appended at the wrong queue
// offsets after a short queue. They are cut from the first wrong one and
// rebuilt.
TEST_F(QueueRecoveryCatchUpTest, UnitsAtWrongQueueOffsetsAreCutAndRebuilt) {
  auto store = Open();
  const std::vector<PutResult> puts = PutMany(*store, 400);
  ASSERT_TRUE(store->Shutdown().ok());
  // TopicA/1's unit 30 -> the record of its unit 35, and so on.
  std::vector<uint8_t> units(10 * kCqUnitSize, 0);
  int k = 0;
  for (size_t i = 0; i < puts.size() && k < 5; ++i) {
    if (i % 2 == 1 && i % 5 == 1 && puts[i].queue_offset >= 35) {
      EncodeCqUnit(ConsumeQueueUnit{puts[i].wrote_offset, puts[i].wrote_bytes, TagsCode("TagA")},
                   units.data() + k * kCqUnitSize);
      ++k;
    }
  }
  ASSERT_EQ(k, 5);
  test::PatchFile(QueueFile("TopicA", 1), 30 * kCqUnitSize, units.data(), units.size());
  store = Open();
  ASSERT_TRUE(store);
  EXPECT_EQ(store->GetMaxOffsetInQueue("TopicA", 1), 40);
  ExpectCompleteAndGoingOn(*store);
  ASSERT_TRUE(store->Shutdown().ok());
  test::VerifyClean(root_, config_.mappedFileSizeCommitLog);
}

// Cleanup deleted every record of a queue: the log's table no longer knows
// it, but its consumers' offsets must stay valid, so new records continue
// after its last unit (RocketMQ takes the table from the queues).
TEST_F(QueueRecoveryCatchUpTest, AQueueWhoseRecordsWereAllDeletedContinuesAfterItsLastUnit) {
  auto store = Open();
  for (int i = 0; i < 20; ++i) {
    test::OwnedMessage m("Old", 0, 100, "old" + std::to_string(i));
    ASSERT_TRUE(store->Put(m.message()).ok());
  }
  PutMany(*store, 500);
  ASSERT_TRUE(store->Shutdown().ok());
  ASSERT_GE(test::ListCommitLog(root_).size(), 3u);
  ASSERT_TRUE(FileSystem::Default().Remove(root_ + "/commitlog/00000000000000000000").ok());  // as cleanup would
  store = Open();
  ASSERT_TRUE(store);
  EXPECT_EQ(store->GetMaxOffsetInQueue("Old", 0), 20);
  EXPECT_EQ(store->NextQueueOffset("Old", 0), 20);
  for (int i = 0; i < 3; ++i) {
    test::OwnedMessage m("Old", 0, 100, "new" + std::to_string(i));
    const PutResult r = store->Put(m.message());
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.queue_offset, 20 + i);
  }
  test::WaitDispatched(*store);
  EXPECT_EQ(store->GetMaxOffsetInQueue("Old", 0), 23);
  for (int64_t n = 20; n < 23; ++n) {
    const GetMessageResult got = store->GetMessage("g", "Old", 0, n, 1);
    ASSERT_EQ(got.messages.size(), 1u) << "queue offset " << n;
    EXPECT_EQ(got.messages[0].queue_offset, n);
  }
}

// A short queue some of whose missing records cleanup deleted: it starts
// again at the first record left, and its units from there are right.
TEST_F(QueueRecoveryCatchUpTest, AShortQueueBehindDeletedRecordsRestartsAtTheFirstRecordLeft) {
  auto store = Open();
  std::vector<PutResult> old;
  auto put_old = [&](int n) {
    for (int i = 0; i < n; ++i) {
      test::OwnedMessage m("Old", 0, 100, "old" + std::to_string(old.size()));
      old.push_back(store->Put(m.message()));
      ASSERT_TRUE(old.back().ok());
    }
  };
  put_old(20);
  PutMany(*store, 200);
  put_old(10);
  PutMany(*store, 50, 1000);  // other queues go further
  ASSERT_TRUE(store->Shutdown().ok());
  ASSERT_LT(old[19].wrote_offset, config_.mappedFileSizeCommitLog);
  ASSERT_GE(old[20].wrote_offset, config_.mappedFileSizeCommitLog);
  const std::vector<uint8_t> zeros(15 * kCqUnitSize, 0);  // units 15..29 lost
  test::PatchFile(QueueFile("Old", 0), 15 * kCqUnitSize, zeros.data(), zeros.size());
  ASSERT_TRUE(FileSystem::Default().Remove(root_ + "/commitlog/00000000000000000000").ok());  // as cleanup would
  store = Open();
  ASSERT_TRUE(store);
  EXPECT_EQ(store->GetMaxOffsetInQueue("Old", 0), 30);
  EXPECT_EQ(store->GetMinOffsetInQueue("Old", 0), 20);
  for (int64_t n = 20; n < 30; ++n)
    EXPECT_EQ(store->GetCommitLogOffsetInQueue("Old", 0, n), old[static_cast<size_t>(n)].wrote_offset) << n;
  put_old(1);
  EXPECT_EQ(old.back().queue_offset, 30);
  test::WaitDispatched(*store);
  EXPECT_EQ(store->GetCommitLogOffsetInQueue("Old", 0, 30), old.back().wrote_offset);
}

// A record whose keys straddle two index files, the newer of which is lost:
// every key of every record after the last complete file is indexed again.
class QueueRecoveryIndexTest : public QueueRecoveryTest {
 protected:
  void SetUp() override {
    QueueRecoveryTest::SetUp();
    // 31 entries a file and three keys a record: record 10 puts its first
    // key in the first file and the other two in the second.
    config_.maxHashSlotNum = 8;
    config_.maxIndexNum = 32;
  }
  void PutRecords(MessageStore& store, int n) {
    for (int i = 0; i < n; ++i) {
      test::OwnedMessage m("TopicK", i % 3, 50, "u" + std::to_string(i));
      m.properties = *SerializeProperties({{"UNIQ_KEY", "u" + std::to_string(i)},
                                           {"KEYS", "a" + std::to_string(i) + " b" + std::to_string(i)}});
      ASSERT_TRUE(store.Put(m.message()).ok());
    }
  }
  void ExpectEveryKeyFound(MessageStore& store, int n) {
    for (int i = 0; i < n; ++i) {
      for (const char* prefix : {"u", "a", "b"}) {
        const std::string key = prefix + std::to_string(i);
        EXPECT_EQ(store.QueryMessage("TopicK", key, 32, 0, INT64_MAX).messages.size(), 1u) << key;
      }
    }
  }
  std::vector<SegmentFile> IndexFiles() const {
    auto files = ListIndexFiles(FileSystem::Default(), StorePaths{root_});
    EXPECT_TRUE(files.ok());
    return files.ok() ? *files : std::vector<SegmentFile>{};
  }
};

TEST_F(QueueRecoveryIndexTest, TheNewestIndexFileLostAfterACleanStopIsRebuiltWithTheRollOverRecord) {
  auto store = Open();
  PutRecords(*store, 15);
  ASSERT_TRUE(store->Shutdown().ok());
  ASSERT_EQ(IndexFiles().size(), 2u);
  ASSERT_TRUE(FileSystem::Default().Remove(IndexFiles().back().path).ok());
  store = Open();
  ASSERT_TRUE(store);
  ExpectEveryKeyFound(*store, 15);
  EXPECT_EQ(store->Stats().index.entries, 45u) << "no key twice";
}

TEST_F(QueueRecoveryIndexTest, TheNewestIndexFileLostBeforeACrashIsRebuiltWithTheRollOverRecord) {
  auto store = Open();
  PutRecords(*store, 15);
  ASSERT_TRUE(store->Shutdown().ok());
  ASSERT_TRUE(FileSystem::Default().Remove(IndexFiles().back().path).ok());
  std::ofstream(root_ + "/abort").close();
  store = Open();
  ASSERT_TRUE(store);
  ExpectEveryKeyFound(*store, 15);
  EXPECT_EQ(store->Stats().index.entries, 45u) << "no key twice";
}

// The newest file's header torn (a crash while it was being written): read
// as an empty file seeded with its end, it used to hide every key after the
// full file. It is dropped and what it held indexed again.
TEST_F(QueueRecoveryIndexTest, ATornNewestIndexFileAfterACrashIsRebuilt) {
  auto store = Open();
  PutRecords(*store, 15);
  ASSERT_TRUE(store->Shutdown().ok());
  test::PatchI32(IndexFiles().back().path, 36, -7);  // indexCount garbage
  std::ofstream(root_ + "/abort").close();
  store = Open();
  ASSERT_TRUE(store);
  ExpectEveryKeyFound(*store, 15);
  EXPECT_EQ(store->Stats().index.entries, 45u) << "no key twice";
}

}  // namespace
}  // namespace mqstore
