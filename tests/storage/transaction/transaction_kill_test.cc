// SIGKILL of a broker process in the middle of transactions: between a half
// and its decision, between a decision and its op (batched ops are still in
// memory), during check rounds. After a restart the check asks again about
// everything undecided: no transaction is lost, no rolled-back message is
// ever in its topic, and every decision is recovered (a commit may be stored
// twice: at-least-once, as in RocketMQ).
#include <gtest/gtest.h>

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "storage/offline/transaction_reader.h"
#include "tests/storage/transaction/transaction_test_util.h"
#include "tests/support/reporting_child.h"

namespace mqstore {
namespace {

// The producer's local transactions: tx-<i> commits when i % 4 is 0 or 3,
// rolls back otherwise. i % 4 == 2 and 3 are never decided at once: only
// the check learns them.
bool Commits(int i) { return i % 4 == 0 || i % 4 == 3; }
bool DecidedAtOnce(int i) { return i % 4 < 2; }
int KeyIndex(std::string_view key) { return std::stoi(std::string(key.substr(3))); }
TransactionDecision Decision(int i) { return Commits(i) ? TransactionDecision::kCommit : TransactionDecision::kRollback; }

class TransactionKillTest : public ::testing::TestWithParam<bool> {};

TEST_P(TransactionKillTest, NothingIsLostAndNoRolledBackMessageIsDeliveredAfterAKill) {
  SetLogSink({});
  test::TempDir tmp;
  StoreConfig config = test::SmallStoreConfig(tmp.path() + "/store", /*write_backend=*/false, 256 * 1024);
  config.transactionCheckInterval = 10;
  config.transactionTimeOut = 20;
  config.transactionCheckMax = 10000;
  config.transactionOpBatchEnable = GetParam();  // ops in memory: a kill between decision and op
  config.transactionOpBatchInterval = 60000;
  config.transactionOpMsgMaxSize = 64;

  ASSERT_TRUE(config.Validate().ok()) << config.Validate().ToString();
  test::ReportingChild child([&](int report) {
    auto opened = MessageStore::Open(config);  // the real clock; the check thread runs
    if (!opened.ok()) _exit(3);
    MessageStore& store = **opened;
    // Answers to check-backs come later, from another thread.
    std::mutex mu;
    std::condition_variable cv;
    std::deque<TransactionCheck> questions;
    store.SetTransactionCheckListener([&](const TransactionCheck& c) {
      std::lock_guard lock(mu);
      questions.push_back(c);
      cv.notify_one();
    });
    std::thread answers([&] {
      while (true) {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return !questions.empty(); });
        const TransactionCheck c = questions.front();
        questions.pop_front();
        lock.unlock();
        (void)store.EndTransaction(c.half_offset, Decision(KeyIndex(c.uniq_key)), test::FromCheck());
      }
    });
    answers.detach();
    for (int i = 0;; ++i) {
      test::OwnedMessage m = test::TxMessage("tx-" + std::to_string(i));
      const PutResult half = store.PutHalf(test::Born(m, Clock::System().WallMillis()));
      if (!half.ok()) _exit(4);
      if (write(report, &i, sizeof i) != sizeof i) _exit(5);  // acked to the producer
      if (DecidedAtOnce(i) && !store.EndTransaction(half.wrote_offset, Decision(i)).ok()) _exit(6);
      std::this_thread::sleep_for(std::chrono::microseconds(300));
    }
  });
  ASSERT_TRUE(child.started());
  int acked = -1;
  for (int i = 0; i < 400 && child.Read(acked);) i = acked;
  ASSERT_TRUE(child.KillAndReap()) << "the broker stopped by itself: " << child.why();
  ASSERT_GE(acked, 300);

  // Restarted, with the producer still answering; rounds until none asks.
  config.transactionCheckEnable = false;
  FakeClock later(Clock::System().WallMillis() + 60000);
  {
    auto opened = MessageStore::Open(config, Env(FileSystem::Default(), later));
    ASSERT_TRUE(opened.ok()) << opened.error().ToString();
    MessageStore& store = **opened;
    store.SetTransactionCheckListener([&](const TransactionCheck& c) {
      auto end = store.EndTransaction(c.half_offset, Decision(KeyIndex(c.uniq_key)), test::FromCheck());
      EXPECT_TRUE(end.ok()) << end.error().ToString();
    });
    int quiet = 0;
    size_t rechecks = 0;
    for (int round = 0; round < 100 && quiet < 2; ++round) {
      later.Advance(config.transactionCheckInterval + config.transactionTimeOut + 1);
      test::WaitDispatched(store);
      const size_t checks = store.transactions().Check();
      ASSERT_TRUE(store.transactions().FlushOps(true).ok());
      test::WaitDispatched(store);
      quiet = checks == 0 ? quiet + 1 : 0;
      rechecks += checks;
    }
    EXPECT_EQ(quiet, 2) << "the checks came to an end";
    EXPECT_GT(rechecks, 0u) << "the kill left transactions undecided";

    std::set<int> delivered;
    for (int64_t q = 0; q < 4; ++q) {
      for (int64_t o = 0; o < store.GetMaxOffsetInQueue("TopicA", static_cast<int32_t>(q)); ++o) {
        auto view = store.LookMessageByOffset(store.GetCommitLogOffsetInQueue("TopicA", static_cast<int32_t>(q), o));
        ASSERT_TRUE(view.ok());
        const int i = KeyIndex(view->message.properties().Get("UNIQ_KEY").value_or("tx--1"));
        EXPECT_TRUE(Commits(i)) << "tx-" << i << " was rolled back, yet delivered";
        delivered.insert(i);
      }
    }
    for (int i = 0; i <= acked; ++i) {
      if (!Commits(i)) continue;
      EXPECT_TRUE(delivered.count(i)) << "tx-" << i << " was committed, and is not in its topic";
    }
    ASSERT_TRUE(store.Shutdown().ok());
  }
  auto summary = ReadTransactions(FileSystem::Default(), StorePaths{config.storePathRootDir}, StoreReadOptions{});
  ASSERT_TRUE(summary.ok()) << summary.error().ToString();
  std::map<int, TransactionState> final_state;
  for (const HalfRecordInfo& h : summary->halves)
    if (h.latest) final_state[KeyIndex(h.uniq_key)] = h.state;
  for (int i = 0; i <= acked; ++i) {
    ASSERT_TRUE(final_state.count(i)) << "tx-" << i << "'s half was acknowledged and is gone";
    EXPECT_EQ(final_state[i], Commits(i) ? TransactionState::kCommitted : TransactionState::kRolledBack) << "tx-" << i;
  }
}

INSTANTIATE_TEST_SUITE_P(OpForms, TransactionKillTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "BatchedOps" : "OneOpPerDecision"; });

}  // namespace
}  // namespace mqstore
