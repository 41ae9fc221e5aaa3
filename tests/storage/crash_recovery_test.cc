// Crash tests: power loss through the fault-injecting file system (unsynced
// bytes vanish, the last page may tear, a write or sync may fail first) and a
// real writer process killed with SIGKILL. After each: reopen and count.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <random>

#include "storage/io/fault_injection_file_system.h"
#include "storage/message_store.h"
#include "storage/store_log.h"
#include "tests/storage/engine_test_util.h"
#include "tests/support/golden.h"
#include "tests/support/reporting_child.h"

namespace mqstore {
namespace {

struct Acked {
  int64_t offset;
  int32_t size;
  std::string key;
  std::string topic;
  int32_t queue_id;
};

// Everything a reopened store must show: every record acknowledged durable
// is there, nothing after the end, queue offsets continue, puts work.
void CheckRecovered(FileSystem& fs, const StoreConfig& config, const std::vector<Acked>& puts, int64_t durable_end) {
  auto opened = test::OpenAfterPowerLoss(config, fs, durable_end);
  ASSERT_TRUE(opened.ok()) << opened.error().ToString();
  MessageStore& store = **opened;
  const int64_t end = store.GetMaxPhyOffset();
  ASSERT_GE(end, durable_end) << store.recovery().ToString();
  // Every record in the log is one that was put, at its offset; the log holds
  // a prefix of the puts.
  std::map<std::pair<std::string, int32_t>, int64_t> per_queue;
  CommitLogCursor cursor = store.NewCursor(0);
  size_t i = 0;
  for (auto e = cursor.Next(); e.kind == CommitLogCursor::Kind::kMessage; e = cursor.Next(), ++i) {
    ASSERT_LT(i, puts.size()) << "a record at " << e.offset << " that was never put";
    EXPECT_EQ(e.offset, puts[i].offset);
    EXPECT_EQ(e.size, puts[i].size);
    if (!test::IsTornLastRecord(e, end, durable_end)) {
      EXPECT_EQ(e.message.properties().Get("UNIQ_KEY"), puts[i].key);
    }
    EXPECT_TRUE(e.message.BodyCrcMatches());
    ++per_queue[{puts[i].topic, puts[i].queue_id}];
  }
  EXPECT_EQ(cursor.offset(), end) << "nothing undecodable before the end";
  for (size_t j = 0; j < puts.size(); ++j)
    if (puts[j].offset + puts[j].size <= durable_end) {
      EXPECT_LT(j, i) << "durable record " << puts[j].key << " lost";
    }
  for (const auto& [queue, count] : per_queue) EXPECT_EQ(store.NextQueueOffset(queue.first, queue.second), count);
  const PutResult after = store.Put(test::OwnedMessage("TopicA", 0, 64, "after").message());
  ASSERT_TRUE(after.ok()) << after.reason;
  EXPECT_EQ(after.queue_offset, (per_queue[{"TopicA", 0}]));
  ASSERT_TRUE(store.Shutdown().ok());
  test::VerifyClean(config.storePathRootDir, config.mappedFileSizeCommitLog);
}

// On both backends (the write backend's pwrites, the mmap backend's stores
// through the mapping; consume queues and index files are mapped on both).
class PowerLossTest : public ::testing::TestWithParam<std::tuple<bool, int>> {};

TEST_P(PowerLossTest, NoDurableRecordIsLostAndNoGarbageSurvives) {
  SetLogSink({});
  const auto [write_backend, seed] = GetParam();
  std::mt19937 rng(static_cast<uint32_t>(seed));
  test::TempDir tmp;
  FaultInjectionFileSystem fs(FileSystem::Default());
  StoreConfig config = test::SmallStoreConfig(tmp.path() + "/store", write_backend);
  config.flushIntervalCommitLog = 3600 * 1000;  // only the test's own flushes
  std::vector<Acked> puts;
  int64_t durable_end = 0;
  {
    auto store = MessageStore::Open(config, Env(fs));
    ASSERT_TRUE(store.ok()) << store.error().ToString();
    const int fault_round = static_cast<int>(rng() % 8);
    for (int round = 0; round < 8; ++round) {
      if (round == fault_round) fs.FailNthMutatingCall(1 + rng() % 6, (seed & 1) ? EIO : ENOSPC);
      const int n = 5 + static_cast<int>(rng() % 40);
      for (int k = 0; k < n; ++k) {
        const std::string key = "s" + std::to_string(seed) + "r" + std::to_string(round) + "k" + std::to_string(k);
        test::OwnedMessage m(k % 3 ? "TopicA" : "TopicB", k % 2, 30 + rng() % 3000, key);
        const PutResult r = (*store)->Put(m.message());
        if (r.ok()) puts.push_back({r.wrote_offset, r.wrote_bytes, key, m.topic, m.queue_id});
      }
      if (rng() % 2 && (*store)->Flush().ok()) durable_end = (*store)->Stats().flushed_offset;
    }
    // Power loss: nothing more reaches the disk, not even the shutdown's flush.
    fs.FailAllMutatingCalls(true);
  }
  fs.FailAllMutatingCalls(false);
  ASSERT_TRUE(fs.Crash(/*tear_last_write=*/seed % 3 == 0, static_cast<uint64_t>(seed)).ok());
  CheckRecovered(fs, config, puts, durable_end);
}

INSTANTIATE_TEST_SUITE_P(Seeds, PowerLossTest, ::testing::Combine(::testing::Bool(), ::testing::Range(0, 40)),
                         [](const auto& info) {
                           return std::string(std::get<0>(info.param) ? "write_" : "mmap_") +
                                  std::to_string(std::get<1>(info.param));
                         });

// The store root (and commitlog/ in it) made by the first open is synced into
// its parent: an acknowledged SYNC_FLUSH put inside a root whose name a power
// loss drops would be lost with it.
TEST(PowerLossDirectoryTest, ANewStoreRootSurvivesAPowerLossAfterTheFirstSyncedPut) {
  SetLogSink({});
  test::TempDir tmp;
  FaultInjectionFileSystem fs(FileSystem::Default());
  StoreConfig config = test::SmallStoreConfig(tmp.path() + "/new/store");
  config.flushDiskType = FlushDiskType::kSyncFlush;
  PutResult put;
  {
    auto store = MessageStore::Open(config, Env(fs));
    ASSERT_TRUE(store.ok()) << store.error().ToString();
    put = (*store)->Put(test::OwnedMessage("TopicA", 0, 100, "first").message());
    ASSERT_TRUE(put.ok()) << put.reason;
    fs.FailAllMutatingCalls(true);
  }
  fs.FailAllMutatingCalls(false);
  ASSERT_TRUE(fs.Crash().ok());
  auto store = MessageStore::Open(config, Env(fs));
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  auto view = (*store)->LookMessageByOffset(put.wrote_offset);
  ASSERT_TRUE(view.ok()) << view.error().ToString();
  EXPECT_EQ(view->message.properties().Get("UNIQ_KEY"), "first");
}

// A writer process killed at a random moment: the page cache keeps what it
// wrote, so everything it acknowledged (after a flush) must be there.
class KillTest : public ::testing::TestWithParam<bool> {};

TEST_P(KillTest, WriterKilledWithSigkillReopensAndVerifies) {
  SetLogSink({});
  test::TempDir tmp;
  StoreConfig config = test::SmallStoreConfig(tmp.path() + "/store", /*write_backend=*/GetParam());
  for (int round = 0; round < 3; ++round) {
    test::ReportingChild child([&](int report) {
      auto store = MessageStore::Open(config);
      if (!store.ok()) _exit(3);
      for (int i = 0;; ++i) {
        const std::string key = "r" + std::to_string(round) + "-" + std::to_string(i);
        test::OwnedMessage m("TopicA", i % 2, 100 + (i * 7) % 1500, key);
        const PutResult r = (*store)->Put(m.message());
        if (!r.ok()) _exit(4);
        if (i % 20 == 19) {
          if (!(*store)->Flush().ok()) _exit(5);
          const int64_t flushed = (*store)->Stats().flushed_offset;
          if (write(report, &flushed, sizeof flushed) != sizeof flushed) _exit(6);
        }
      }
    });
    ASSERT_TRUE(child.started());
    int64_t durable = 0, v = 0;
    const int acks = 5 + round * 7;
    for (int a = 0; a < acks && child.Read(v); ++a) durable = v;
    ASSERT_TRUE(child.KillAndReap()) << "the writer stopped by itself: " << child.why();
    auto store = MessageStore::Open(config);
    ASSERT_TRUE(store.ok()) << store.error().ToString();
    EXPECT_TRUE((*store)->recovery().abnormal) << "a killed store leaves its abort file";
    EXPECT_GE((*store)->GetMaxPhyOffset(), durable);
    ASSERT_TRUE((*store)->Shutdown().ok());
    test::VerifyClean(config.storePathRootDir, config.mappedFileSizeCommitLog);
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, KillTest, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "write" : "mmap"; });

}  // namespace
}  // namespace mqstore
