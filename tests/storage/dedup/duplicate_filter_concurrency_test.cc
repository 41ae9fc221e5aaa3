// Producers putting the same keys at the same moment: each key is stored
// once, every other put of it is answered with that record. Labelled tsan
// (tests/CMakeLists.txt): the stripes and the table under ThreadSanitizer.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "storage/message_store.h"
#include "storage/store_log.h"
#include "tests/storage/engine_test_util.h"
#include "tests/support/golden.h"

namespace mqstore {
namespace {

constexpr int kThreads = 4;
constexpr int kKeys = 300;

struct Answers {
  std::mutex mu;
  std::map<std::string, std::vector<PutResult>> by_key;
  void Add(const std::string& key, const PutResult& r) {
    std::lock_guard lock(mu);
    by_key[key].push_back(r);
  }
};

// Each key: stored exactly once, every answer names that one record.
void ExpectStoredOnce(Answers& answers, size_t puts_per_key) {
  for (const auto& [key, results] : answers.by_key) {
    SCOPED_TRACE(key);
    ASSERT_EQ(results.size(), puts_per_key);
    int stored = 0;
    for (const PutResult& r : results) {
      ASSERT_TRUE(r.ok()) << r.reason;
      stored += r.duplicate ? 0 : 1;
      EXPECT_EQ(r.wrote_offset, results.front().wrote_offset);
      EXPECT_EQ(r.queue_offset, results.front().queue_offset);
    }
    EXPECT_EQ(stored, 1);
  }
}

int CountRecords(MessageStore& store) {
  EXPECT_TRUE(store.Flush().ok());
  int n = 0;
  CommitLogCursor cursor = store.NewCursor(store.GetMinPhyOffset());
  for (auto e = cursor.Next(); e.kind == CommitLogCursor::Kind::kMessage; e = cursor.Next()) ++n;
  return n;
}

class DuplicateFilterConcurrencyTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    SetLogSink({});
    config_ = test::SmallStoreConfig(tmp_.path() + "/store", /*write_backend=*/GetParam());
    config_.dedupWindowSeconds = 600;
    auto opened = MessageStore::Open(config_);
    ASSERT_TRUE(opened.ok()) << opened.error().ToString();
    store_ = std::move(*opened);
  }
  test::TempDir tmp_;
  StoreConfig config_;
  std::unique_ptr<MessageStore> store_;
};

TEST_P(DuplicateFilterConcurrencyTest, ProducersPuttingTheSameKeyAtOnceStoreItOnce) {
  Answers answers;
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      ready.fetch_add(1);
      while (ready.load() < kThreads) std::this_thread::yield();  // start together
      for (int i = 0; i < kKeys; ++i) {
        // Half the threads go backwards: they meet the others in the middle.
        const int k = t % 2 == 0 ? i : kKeys - 1 - i;
        const std::string key = "K" + std::to_string(k);
        answers.Add(key, store_->Put(test::OwnedMessage("TopicA", k % 4, 64 + k % 200, key).message()));
      }
    });
  for (auto& th : threads) th.join();
  ExpectStoredOnce(answers, kThreads);
  EXPECT_EQ(answers.by_key.size(), static_cast<size_t>(kKeys));
  EXPECT_EQ(store_->Stats().dedup.duplicates, static_cast<uint64_t>(kKeys * (kThreads - 1)));
  EXPECT_EQ(CountRecords(*store_), kKeys);
}

// Batches that overlap: thread t puts keys [i, i+3) of one queue; the
// stripes of a batch are taken in order, so no two batches deadlock, and
// each key is stored once whichever batch got there first.
TEST_P(DuplicateFilterConcurrencyTest, OverlappingBatchesStoreEachKeyOnce) {
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i + 3 <= kKeys; i += 1 + t) {
        std::vector<test::OwnedMessage> owned;
        std::vector<Message> batch;
        for (int k = i; k < i + 3; ++k) owned.emplace_back("TopicA", 0, 64, "K" + std::to_string(k));
        for (const auto& m : owned) batch.push_back(m.message());
        const PutResult r = store_->PutBatch(batch);
        ASSERT_TRUE(r.ok()) << r.reason;
        ASSERT_EQ(r.msg_count + r.duplicates, 3);
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(CountRecords(*store_), kKeys);
  // Every key once: a later single put of each is a duplicate.
  for (int k = 0; k < kKeys; ++k)
    EXPECT_TRUE(store_->Put(test::OwnedMessage("TopicA", 0, 64, "K" + std::to_string(k)).message()).duplicate) << k;
}

INSTANTIATE_TEST_SUITE_P(Backends, DuplicateFilterConcurrencyTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Write" : "Mmap"; });

}  // namespace
}  // namespace mqstore
