// Duplicate suppression and the store's own puts: the transaction check's
// copy of a half (same topic, same UNIQ_KEY) and a timer's delivery are
// stored whatever the table remembers; a commit's real message is stored
// once per EndTransaction; a producer's resent half is answered with the
// first. Each test fails when those puts go through the duplicate check.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "format/property_map.h"
#include "storage/timer/timer_message_store.h"
#include "storage/transaction/transaction_service.h"
#include "tests/storage/timer/timer_test_util.h"
#include "tests/storage/transaction/transaction_test_util.h"

namespace mqstore {
namespace {

constexpr int32_t kWindowSeconds = 3600;
constexpr const char* kHalfTopic = "RMQ_SYS_TRANS_HALF_TOPIC";

class DedupTransactionTest : public test::TransactionStoreTest {
 protected:
  void SetUp() override {
    TransactionStoreTest::SetUp();
    config_.dedupWindowSeconds = kWindowSeconds;
  }
};

TEST_F(DedupTransactionTest, TheChecksCopyOfAHalfIsStoredAndChecked) {
  auto store = Open();
  ASSERT_TRUE(store);
  std::vector<TransactionCheck> checks;
  store->SetTransactionCheckListener([&](const TransactionCheck& c) { checks.push_back(c); });
  const PutResult half = Half(*store, "K1");
  ASSERT_FALSE(half.duplicate);
  clock_.Advance(config_.transactionTimeOut + 1);  // well inside the window
  EXPECT_EQ(Check(*store), 1u);
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_GT(checks[0].half_offset, half.wrote_offset) << "the copy was answered with the half it copies";
  EXPECT_EQ(store->GetMaxOffsetInQueue(kHalfTopic, 0), 2) << "the half and its copy";
  auto copy = store->LookMessageByOffset(checks[0].half_offset);
  ASSERT_TRUE(copy.ok()) << copy.error().ToString();
  EXPECT_EQ(copy->message.properties().Get("UNIQ_KEY"), "K1");
  EXPECT_EQ(copy->message.properties().Get("TRANSACTION_CHECK_TIMES"), "1");
  EXPECT_EQ(store->Stats().dedup.duplicates, 0u);

  // A second round copies the copy: stored again.
  clock_.Advance(config_.transactionTimeOut + 1);
  EXPECT_EQ(Check(*store), 1u);
  ASSERT_EQ(checks.size(), 2u);
  EXPECT_GT(checks[1].half_offset, checks[0].half_offset);
  EXPECT_EQ(store->GetMaxOffsetInQueue(kHalfTopic, 0), 3);

  // The answer to the last check commits the message once.
  auto end = store->EndTransaction(checks[1].half_offset, TransactionDecision::kCommit, test::FromCheck());
  ASSERT_TRUE(end.ok()) << end.error().ToString();
  EXPECT_FALSE(end->committed.duplicate);
  test::WaitDispatched(*store);
  EXPECT_EQ(store->GetMaxOffsetInQueue("TopicA", 2), 1);
}

// After a restart the table holds the half and its copy (read back from the
// log): the next round's copy is stored all the same.
TEST_F(DedupTransactionTest, TheChecksCopyIsStoredAfterARestartRemembersTheHalf) {
  {
    auto store = Open();
    ASSERT_TRUE(store);
    Half(*store, "K1");
    clock_.Advance(config_.transactionTimeOut + 1);
    EXPECT_EQ(Check(*store), 1u);
    ASSERT_TRUE(store->Shutdown().ok());
  }
  auto store = Open();
  ASSERT_TRUE(store);
  EXPECT_GE(store->Stats().dedup.rebuilt, 1u);
  clock_.Advance(config_.transactionTimeOut + 1);
  EXPECT_EQ(Check(*store), 1u);
  EXPECT_EQ(store->GetMaxOffsetInQueue(kHalfTopic, 0), 3);
  EXPECT_EQ(store->Stats().dedup.duplicates, 0u);
}

// RocketMQ's broker stores the real message at every commit it is sent; so
// does the store with duplicate suppression on (a commit is not a
// producer's put, and its UNIQ_KEY is the half's).
TEST_F(DedupTransactionTest, EveryCommitStoresTheRealMessageOnce) {
  auto store = Open();
  ASSERT_TRUE(store);
  const PutResult half = Half(*store, "K1");
  auto first = store->EndTransaction(half.wrote_offset, TransactionDecision::kCommit);
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  auto second = store->EndTransaction(half.wrote_offset, TransactionDecision::kCommit);
  ASSERT_TRUE(second.ok()) << second.error().ToString();
  EXPECT_FALSE(second->committed.duplicate);
  EXPECT_NE(second->committed.wrote_offset, first->committed.wrote_offset);
  test::WaitDispatched(*store);
  EXPECT_EQ(store->GetMaxOffsetInQueue("TopicA", 2), 2);
  EXPECT_EQ(store->Stats().transaction.commits, 2u);
  EXPECT_EQ(store->Stats().dedup.duplicates, 0u);
}

// A producer's half is a put like any other: resent within the window, it
// is answered with the first half, which the decision then names.
TEST_F(DedupTransactionTest, AResentHalfIsAnsweredWithTheFirst) {
  auto store = Open();
  ASSERT_TRUE(store);
  const PutResult half = Half(*store, "K1");
  const PutResult again = Half(*store, "K1");
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.wrote_offset, half.wrote_offset);
  EXPECT_EQ(store->GetMaxOffsetInQueue(kHalfTopic, 0), 1);
  EXPECT_EQ(store->Stats().transaction.halves_put, 1u);
  EXPECT_FALSE(Half(*store, "K2").duplicate);
}

// --- Timers (storage/timer/) ---

constexpr int64_t kP = 1000;

class DedupTimerTest : public ::testing::TestWithParam<int64_t> {
 protected:
  void SetUp() override {
    SetLogSink({});
    config_ = test::SmallStoreConfig(tmp_.path() + "/store", /*write_backend=*/false);
    config_.mappedFileSizeTimerLog = 4096;
    config_.dedupWindowSeconds = kWindowSeconds;
    clock_.SetWallMillis(t0() + 300);
  }
  int64_t t0() const { return GetParam(); }
  std::unique_ptr<MessageStore> Open() {
    auto store = MessageStore::Open(config_, Env(FileSystem::Default(), clock_));
    EXPECT_TRUE(store.ok()) << store.error().ToString();
    return store.ok() ? std::move(*store) : nullptr;
  }
  static test::OwnedMessage Msg(const std::string& key, std::vector<std::pair<std::string, std::string>> extra = {}) {
    test::OwnedMessage m("TopicA", 1, 100, key);
    PropertyMap props = PropertyMap::Parse(m.properties);
    for (const auto& [k, v] : extra) props.Set(k, v);
    m.properties = *props.Serialize();
    return m;
  }

  test::TempDir tmp_;
  StoreConfig config_;
  FakeClock clock_;
};

// A producer put K1 to TopicA, then a timer message with the same key; its
// delivery to TopicA is the store's re-put and lands beside the direct put.
TEST_P(DedupTimerTest, ATimersDeliveryIsStoredThoughItsKeyIsInItsTopic) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Put(Msg("K1").message()).ok());
  const test::OwnedMessage timer = Msg("K1", {{"TIMER_DELIVER_MS", std::to_string(t0() + 5000)}});
  const PutResult held = store->Put(timer.message());
  ASSERT_TRUE(held.ok()) << held.reason;
  EXPECT_FALSE(held.duplicate) << "the timer topic is another topic";
  EXPECT_TRUE(store->Put(timer.message()).duplicate) << "a producer's retry of the timer message";
  test::Settle(*store);  // the direct put dispatched: Deliveries reads from after it
  test::Deliveries delivered(*store, {{"TopicA", 4}});
  clock_.SetWallMillis(t0() + 5000 + kP);
  test::Settle(*store);
  delivered.Collect();
  EXPECT_EQ(delivered.Count("K1"), 1) << "the delivery was suppressed";
  EXPECT_EQ(store->GetMaxOffsetInQueue("TopicA", 1), 2);
  EXPECT_EQ(store->Stats().timer.fired, 1u);
  EXPECT_EQ(store->Stats().dedup.duplicates, 1u) << "only the producer's retry";
}

// A 13-digit clock fires a slot as one bulk append (staged); another clock
// fires record by record through the single re-put. Both pass the check by.
INSTANTIATE_TEST_SUITE_P(FiringPaths, DedupTimerTest, ::testing::Values(int64_t{1800000000000}, int64_t{900000000000}),
                         [](const auto& info) { return info.param >= 1000000000000 ? "Staged" : "OneByOne"; });

}  // namespace
}  // namespace mqstore
