// The check-back on a fake clock (TransactionalMessageServiceImpl.check): when a half is checked, what the
// check writes, the listener's answers, the bound of transactionCheckMax,
// immunity, and the progress in config/consumerOffset.json.
#include "storage/transaction/transaction_service.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <mutex>
#include <thread>

#include "format/consumer_offset_json.h"
#include "tests/storage/transaction/transaction_test_util.h"

namespace mqstore {
namespace {

using test::TransactionStoreTest;

class TransactionCheckTest : public TransactionStoreTest {
 protected:
  // Listens and keeps every check.
  void Listen(MessageStore& store) {
    store.SetTransactionCheckListener([this](const TransactionCheck& c) {
      std::lock_guard lock(mu_);
      checks_.push_back(c);
    });
  }
  std::vector<TransactionCheck> Checks() {
    std::lock_guard lock(mu_);
    return checks_;
  }
  std::optional<int64_t> Progress(const std::string& topic) {
    auto parsed = ParseConsumerOffsetJson(test::ReadWholeFile(OffsetsPath()));
    if (!parsed.ok()) return std::nullopt;
    auto it = parsed->offset_table.find(topic + "@CID_RMQ_SYS_TRANS");
    if (it == parsed->offset_table.end() || !it->second.count(0)) return std::nullopt;
    return it->second.at(0);
  }

  std::mutex mu_;
  std::vector<TransactionCheck> checks_;
};

TEST_F(TransactionCheckTest, AHalfIsCheckedOnlyOnceOlderThanTransactionTimeOutAndThroughACopy) {
  auto store = Open();
  ASSERT_TRUE(store);
  Listen(*store);
  const PutResult half = Half(*store, "K1");
  clock_.Advance(config_.transactionTimeOut);
  EXPECT_EQ(Check(*store), 0u) << "age == transactionTimeOut is not older";
  clock_.Advance(1);
  EXPECT_EQ(Check(*store), 1u);
  const auto checks = Checks();
  ASSERT_EQ(checks.size(), 1u);
  const TransactionCheck& c = checks[0];
  EXPECT_GT(c.half_offset, half.wrote_offset) << "the check names the copy at the queue's tail";
  EXPECT_EQ(c.half_queue_offset, 1);
  EXPECT_EQ(c.producer_group, "tx-group");
  EXPECT_EQ(c.uniq_key, "K1");
  EXPECT_EQ(c.transaction_id, "K1");
  EXPECT_EQ(c.real_topic, "TopicA");
  EXPECT_EQ(c.real_queue_id, 2);
  EXPECT_EQ(c.check_times, 1);

  auto copy = store->LookMessageByOffset(c.half_offset);
  ASSERT_TRUE(copy.ok());
  EXPECT_EQ(copy->message.topic, "RMQ_SYS_TRANS_HALF_TOPIC");
  EXPECT_EQ(copy->message.properties().Get("TRANSACTION_CHECK_TIMES"), "1");
  EXPECT_EQ(copy->message.flag, 0);
  EXPECT_EQ(copy->message.reconsume_times, 0);
  EXPECT_EQ(Progress("RMQ_SYS_TRANS_HALF_TOPIC"), 1) << "the original is behind the progress now";
  EXPECT_EQ(store->Stats().transaction.checks_sent, 1u);

  // The producer answers later, from another thread, naming the copy.
  std::thread answer([&] {
    auto end = store->EndTransaction(c.half_offset, TransactionDecision::kCommit, test::FromCheck());
    EXPECT_TRUE(end.ok()) << end.error().ToString();
  });
  answer.join();
  test::WaitDispatched(*store);
  clock_.Advance(config_.transactionCheckInterval);
  EXPECT_EQ(Check(*store), 0u) << "decided";
  EXPECT_EQ(store->GetMaxOffsetInQueue("TopicA", 2), 1) << "one real message";
  EXPECT_EQ(Progress("RMQ_SYS_TRANS_HALF_TOPIC"), 2);
  EXPECT_EQ(Progress("RMQ_SYS_TRANS_OP_HALF_TOPIC"), 1);
}

TEST_F(TransactionCheckTest, ADecidedHalfIsNeverChecked) {
  auto store = Open();
  ASSERT_TRUE(store);
  Listen(*store);
  const PutResult a = Half(*store, "A");
  const PutResult b = Half(*store, "B");
  ASSERT_TRUE(store->EndTransaction(b.wrote_offset, TransactionDecision::kRollback).ok());
  ASSERT_TRUE(store->EndTransaction(a.wrote_offset, TransactionDecision::kCommit).ok());
  test::WaitDispatched(*store);
  clock_.Advance(config_.transactionTimeOut + 1);
  EXPECT_EQ(Check(*store), 0u);
  EXPECT_TRUE(Checks().empty());
  EXPECT_EQ(Progress("RMQ_SYS_TRANS_HALF_TOPIC"), 2);
  EXPECT_EQ(Progress("RMQ_SYS_TRANS_OP_HALF_TOPIC"), 2) << "both ops met their halves";
}

TEST_F(TransactionCheckTest, AHalfStoredAfterTheRoundBeganOrYoungerThanTheTimeOutStopsTheRound) {
  auto store = Open();
  ASSERT_TRUE(store);
  Listen(*store);
  Half(*store, "old");
  clock_.Advance(config_.transactionTimeOut + 1);
  Half(*store, "young");
  EXPECT_EQ(Check(*store), 1u) << "only the old one";
  EXPECT_EQ(Progress("RMQ_SYS_TRANS_HALF_TOPIC"), 1) << "stopped at the young one";
  clock_.Advance(config_.transactionTimeOut + 1);
  EXPECT_EQ(Check(*store), 2u) << "the young one, and the old one's copy again";
}

// An embedder that never answers: each transaction is checked exactly
// transactionCheckMax times, then discarded; nothing is kept per check, and
// the half queue grows by one copy per check only.
TEST_F(TransactionCheckTest, AStormIsBoundedByTransactionCheckMaxThenTheHalfIsDiscarded) {
  config_.transactionCheckMax = 3;
  auto store = Open();
  ASSERT_TRUE(store);
  Listen(*store);
  constexpr int kHalves = 20;
  for (int i = 0; i < kHalves; ++i) Half(*store, "K" + std::to_string(i));
  size_t checks = 0;
  for (int round = 0; round < 10; ++round) {
    clock_.Advance(config_.transactionCheckInterval);
    checks += Check(*store);
    if (round == 0) {
      EXPECT_EQ(store->Stats().transaction.pending_halves, kHalves) << "each one's copy, undecided";
    }
  }
  EXPECT_EQ(checks, static_cast<size_t>(kHalves * config_.transactionCheckMax));
  const TransactionStats s = store->Stats().transaction;
  EXPECT_EQ(s.discarded, static_cast<uint64_t>(kHalves));
  EXPECT_EQ(s.pending_halves, 0);
  EXPECT_EQ(store->GetMaxOffsetInQueue("RMQ_SYS_TRANS_HALF_TOPIC", 0), kHalves * (1 + config_.transactionCheckMax));
  const auto discarded = Records(*store, "TRANS_CHECK_MAX_TIME_TOPIC", 0);
  ASSERT_EQ(discarded.size(), static_cast<size_t>(kHalves));
  EXPECT_EQ(discarded[0].message.properties().Get("TRANSACTION_CHECK_TIMES"), "3");
  EXPECT_EQ(discarded[0].message.properties().Get("REAL_TOPIC"), "TopicA");
  std::map<std::string, int> per_key;
  for (const TransactionCheck& c : Checks()) ++per_key[c.uniq_key];
  for (const auto& [key, n] : per_key) EXPECT_EQ(n, config_.transactionCheckMax) << key;
}

TEST_F(TransactionCheckTest, AnImmuneHalfIsPutBackWithItsFirstQueueOffsetUntilItsImmunityEnds) {
  auto store = Open();
  ASSERT_TRUE(store);
  Listen(*store);
  Half(*store, "K1", {{"CHECK_IMMUNITY_TIME_IN_SECONDS", "60"}});
  clock_.Advance(10000);
  EXPECT_EQ(Check(*store), 0u);
  auto halves = Records(*store, "RMQ_SYS_TRANS_HALF_TOPIC", 0);
  ASSERT_EQ(halves.size(), 2u);
  EXPECT_EQ(halves[1].message.properties().Get("TRAN_PREPARED_QUEUE_OFFSET"), "0");
  clock_.Advance(50001);
  EXPECT_EQ(Check(*store), 1u) << "immunity over";
  ASSERT_EQ(Checks().size(), 1u);
}

TEST_F(TransactionCheckTest, ProgressKeepsEveryOtherEntryOfABrokersConsumerOffsetFile) {
  // What a 5.x broker wrote: another group's offsets, a dataVersion, and the
  // check's progress past one half.
  std::filesystem::create_directories(config_.storePathRootDir + "/config");
  const std::string broker_file =
      "{\n\t\"dataVersion\":{\n\t\t\"counter\":7,\n\t\t\"stateVersion\":0,\n\t\t\"timestamp\":1700000000000\n\t},"
      "\n\t\"offsetTable\":{\n\t\t\"TopicA@consumers\":{0:10,1:11,2:12,3:13\n\t\t},"
      "\n\t\t\"RMQ_SYS_TRANS_HALF_TOPIC@CID_RMQ_SYS_TRANS\":{0:1\n\t\t},"
      "\n\t\t\"RMQ_SYS_TRANS_OP_HALF_TOPIC@CID_RMQ_SYS_TRANS\":{0:0\n\t\t}\n\t}\n}";
  {
    std::ofstream out(OffsetsPath(), std::ios::binary);
    out << broker_file;
  }
  auto store = Open();
  ASSERT_TRUE(store);
  Listen(*store);
  Half(*store, "settled-by-the-broker");
  Half(*store, "K2");
  clock_.Advance(config_.transactionTimeOut + 1);
  EXPECT_EQ(Check(*store), 1u) << "the check resumes where the broker's left off";
  ASSERT_EQ(Checks().size(), 1u);
  EXPECT_EQ(Checks()[0].uniq_key, "K2");
  ASSERT_TRUE(store->Shutdown().ok());

  auto parsed = ParseConsumerOffsetJson(test::ReadWholeFile(OffsetsPath()));
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  EXPECT_EQ(parsed->offset_table.at("TopicA@consumers"), (std::map<int32_t, int64_t>{{0, 10}, {1, 11}, {2, 12}, {3, 13}}));
  EXPECT_EQ(parsed->offset_table.at("RMQ_SYS_TRANS_HALF_TOPIC@CID_RMQ_SYS_TRANS").at(0), 2);
  EXPECT_EQ(parsed->other_fields.at("dataVersion"),
            "{\n\t\t\"counter\":7,\n\t\t\"stateVersion\":0,\n\t\t\"timestamp\":1700000000000\n\t}");
  EXPECT_EQ(test::ReadWholeFile(OffsetsPath() + ".bak"), broker_file) << "the broker's file is the backup";
}

TEST_F(TransactionCheckTest, ProgressSurvivesAReopen) {
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
  EXPECT_EQ(store->Stats().transaction.half_check_offset, 1);
  clock_.Advance(config_.transactionCheckInterval);
  EXPECT_EQ(Check(*store), 1u) << "the copy, not the original again";
  EXPECT_EQ(store->GetMaxOffsetInQueue("RMQ_SYS_TRANS_HALF_TOPIC", 0), 3);
}

TEST_F(TransactionCheckTest, ADamagedProgressFileAndBackupStopTheCheckButNotTheDecisions) {
  std::filesystem::create_directories(config_.storePathRootDir + "/config");
  for (const std::string& p : {OffsetsPath(), OffsetsPath() + ".bak"}) {
    std::ofstream out(p, std::ios::binary);
    out << "{\"offsetTable\":{";
  }
  auto store = Open();
  ASSERT_TRUE(store);
  EXPECT_NE(store->Stats().transaction.error.find("consumerOffset.json"), std::string::npos);
  const PutResult half = Half(*store, "K1");
  clock_.Advance(config_.transactionTimeOut + 1);
  EXPECT_EQ(Check(*store), 0u);
  EXPECT_TRUE(store->EndTransaction(half.wrote_offset, TransactionDecision::kCommit).ok());
  ASSERT_TRUE(store->Shutdown().ok());
  EXPECT_EQ(test::ReadWholeFile(OffsetsPath()), "{\"offsetTable\":{") << "never overwritten";
}

TEST_F(TransactionCheckTest, TheThreadChecksEveryTransactionCheckInterval) {
  config_.transactionCheckEnable = true;
  auto store = Open();
  ASSERT_TRUE(store);
  Listen(*store);
  Half(*store, "K1");
  EXPECT_TRUE(store->Stats().transaction.checking);
  for (int i = 0; i < 2000 && Checks().empty(); ++i) {
    clock_.Advance(1000);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_FALSE(Checks().empty());
  const TransactionCheck c = Checks()[0];
  ASSERT_TRUE(store->EndTransaction(c.half_offset, TransactionDecision::kRollback, test::FromCheck()).ok());
  ASSERT_TRUE(store->Shutdown().ok());
}

}  // namespace
}  // namespace mqstore
