// Power loss at each exact point of a transaction's life, through the
// fault-injecting file system (what no sync covered is gone): after the half
// was acknowledged and before its decision; after a commit's real message
// was durable and before its op record was (the batched form keeps ops in
// memory; the 4.x form writes the op right after the real message, so the
// log's durable prefix ends between the two); in the middle of a check round
// (a copy durable, the round's progress not). After each the store is
// reopened and the producer answers the checks: nothing acknowledged is lost,
// no rolled-back message is ever in its topic, and a decision that was
// durable is never asked for again. The random-moment SIGKILL of a broker
// process is transaction_kill_test.cc.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "storage/io/fault_injection_file_system.h"
#include "storage/offline/transaction_reader.h"
#include "tests/storage/transaction/transaction_test_util.h"

namespace mqstore {
namespace {

using Decisions = std::map<std::string, TransactionDecision>;
constexpr auto kCommit = TransactionDecision::kCommit;
constexpr auto kRollback = TransactionDecision::kRollback;

class TransactionCrashTest : public test::TransactionStoreTest {
 protected:
  // A store on `fs` holding the durable halves of C and R.
  std::unique_ptr<MessageStore> OpenWithDurableHalves(FaultInjectionFileSystem& fs) {
    auto store = Open(fs);
    if (!store) return nullptr;
    Half(*store, "C");
    Half(*store, "R");
    EXPECT_TRUE(store->Flush().ok());  // acknowledged durable, as SYNC_FLUSH answers
    return store;
  }

  // The producer answers every check from its local transactions' outcome.
  static void Answer(MessageStore& store, const Decisions& decisions) {
    store.SetTransactionCheckListener([&store, decisions](const TransactionCheck& c) {
      auto end = store.EndTransaction(c.half_offset, decisions.at(c.uniq_key), test::FromCheck());
      EXPECT_TRUE(end.ok()) << end.error().ToString();
    });
  }

  // Check rounds, each past the time-out, until two in a row ask nothing.
  // Returns the checks sent.
  size_t CheckUntilQuiet(MessageStore& store) {
    size_t checks = 0;
    int quiet = 0;
    for (int round = 0; round < 50 && quiet < 2; ++round) {
      clock_.Advance(config_.transactionCheckInterval + config_.transactionTimeOut + 1);
      const size_t n = Check(store);
      EXPECT_TRUE(store.transactions().FlushOps(true).ok());
      test::WaitDispatched(store);
      quiet = n == 0 ? quiet + 1 : 0;
      checks += n;
    }
    EXPECT_EQ(quiet, 2) << "the checks came to an end";
    return checks;
  }

  // UNIQ_KEYs of the real messages a consumer of TopicA/2 gets.
  static std::vector<std::string> Delivered(MessageStore& store) {
    std::vector<std::string> keys;
    for (const MessageView& v : Records(store, "TopicA", 2))
      keys.emplace_back(v.message.properties().Get("UNIQ_KEY").value_or("?"));
    return keys;
  }

  // Each transaction's state as `mqstore dump transactions` derives it.
  std::map<std::string, TransactionState> States() {
    auto summary = ReadTransactions(FileSystem::Default(), StorePaths{config_.storePathRootDir}, StoreReadOptions{});
    EXPECT_TRUE(summary.ok()) << summary.error().ToString();
    std::map<std::string, TransactionState> out;
    if (summary.ok())
      for (const HalfRecordInfo& h : summary->halves)
        if (h.latest) out[h.uniq_key] = h.state;
    return out;
  }

  // A power cut that kept the log only up to `offset`: the bytes from there
  // to the end of its file read as never written (zeros, as a preallocated
  // file holds them).
  void LoseLogFrom(int64_t offset) {
    const int64_t size = config_.mappedFileSizeCommitLog;
    const int64_t file_start = offset / size * size;
    char name[21];
    std::snprintf(name, sizeof name, "%020lld", static_cast<long long>(file_start));
    std::fstream f(config_.storePathRootDir + "/commitlog/" + name, std::ios::in | std::ios::out | std::ios::binary);
    ASSERT_TRUE(f.is_open()) << name;
    f.seekp(offset - file_start);
    const std::vector<char> zeros(static_cast<size_t>(file_start + size - offset), 0);
    f.write(zeros.data(), static_cast<std::streamsize>(zeros.size()));
    ASSERT_TRUE(f.good());
  }

  const std::map<std::string, TransactionState> kFinal{{"C", TransactionState::kCommitted},
                                                       {"R", TransactionState::kRolledBack}};
};

TEST_F(TransactionCrashTest, HalvesAcknowledgedBeforeTheirDecisionAreCheckedAfterAPowerCut) {
  FaultInjectionFileSystem fs(FileSystem::Default());
  test::PowerCut(fs, OpenWithDurableHalves(fs));
  auto store = Open();
  ASSERT_TRUE(store);
  EXPECT_TRUE(store->recovery().abnormal);
  Answer(*store, {{"C", kCommit}, {"R", kRollback}});
  EXPECT_EQ(CheckUntilQuiet(*store), 2u) << "each undecided transaction asked about once";
  EXPECT_EQ(Delivered(*store), std::vector<std::string>{"C"});
  ASSERT_TRUE(store->Shutdown().ok());
  EXPECT_EQ(States(), kFinal);
}

// Batched ops (5.x form): both decisions were taken and C's real message was
// durable, but the ops were still in memory. Both are asked again; C's real
// message is stored a second time (at-least-once, as with RocketMQ).
TEST_F(TransactionCrashTest, DecisionsWhoseBatchedOpsWereLostAreAskedAgain) {
  config_.transactionOpBatchEnable = true;
  config_.transactionOpBatchInterval = 60000;
  config_.transactionOpMsgMaxSize = 4096;
  FaultInjectionFileSystem fs(FileSystem::Default());
  {
    auto store = Open(fs);
    ASSERT_TRUE(store);
    const PutResult c = Half(*store, "C");
    const PutResult r = Half(*store, "R");
    auto commit = store->EndTransaction(c.wrote_offset, kCommit);
    auto rollback = store->EndTransaction(r.wrote_offset, kRollback);
    ASSERT_TRUE(commit.ok() && rollback.ok());
    EXPECT_FALSE(commit->op_written || rollback->op_written) << "the ops wait in memory";
    ASSERT_TRUE(store->Flush().ok());
    test::PowerCut(fs, std::move(store));
  }
  auto store = Open();
  ASSERT_TRUE(store);
  EXPECT_EQ(Delivered(*store), std::vector<std::string>{"C"}) << "the durable real message";
  Answer(*store, {{"C", kCommit}, {"R", kRollback}});
  EXPECT_EQ(CheckUntilQuiet(*store), 2u);
  EXPECT_EQ(Delivered(*store), (std::vector<std::string>{"C", "C"}));
  ASSERT_TRUE(store->Shutdown().ok());
  EXPECT_EQ(States(), kFinal);
}

// One op per decision (4.x form): R's rollback op is durable, so R is never
// asked again; the log kept C's real message but not the op written after it.
TEST_F(TransactionCrashTest, ACommitWhoseOpRecordWasLostIsAskedAgainAndADurableRollbackIsNot) {
  FaultInjectionFileSystem fs(FileSystem::Default());
  int64_t op_start = 0;
  {
    auto store = Open(fs);
    ASSERT_TRUE(store);
    const PutResult c = Half(*store, "C");
    const PutResult r = Half(*store, "R");
    ASSERT_TRUE(store->EndTransaction(r.wrote_offset, kRollback).ok());
    auto commit = store->EndTransaction(c.wrote_offset, kCommit);
    ASSERT_TRUE(commit.ok());
    ASSERT_TRUE(commit->op_written);
    op_start = commit->committed.wrote_offset + commit->committed.wrote_bytes;
    auto op = store->LookMessageByOffset(op_start);
    ASSERT_TRUE(op.ok()) << op.error().ToString();
    EXPECT_EQ(op->message.topic, "RMQ_SYS_TRANS_OP_HALF_TOPIC");
    EXPECT_EQ(store->GetMaxPhyOffset(), op_start + op->message.total_size) << "C's op is the log's last record";
    ASSERT_TRUE(store->Flush().ok());
    test::PowerCut(fs, std::move(store));
  }
  LoseLogFrom(op_start);
  auto store = Open();
  ASSERT_TRUE(store);
  EXPECT_TRUE(store->recovery().abnormal);
  EXPECT_EQ(store->GetMaxPhyOffset(), op_start) << store->recovery().ToString();
  Answer(*store, {{"C", kCommit}, {"R", kRollback}});
  EXPECT_EQ(CheckUntilQuiet(*store), 1u) << "only C";
  EXPECT_EQ(Delivered(*store), (std::vector<std::string>{"C", "C"}));
  ASSERT_TRUE(store->Shutdown().ok());
  EXPECT_EQ(States(), kFinal);
}

// The power goes while the producer is being asked: C's copy is durable, R's
// copy and the round's progress are not. The reopened store checks from the
// last saved progress (none: the round's was lost): the original halves
// and C's durable copy are asked about again, and every answer holds.
TEST_F(TransactionCrashTest, ACheckRoundCutByAPowerCutAsksAgainFromTheSavedProgress) {
  FaultInjectionFileSystem fs(FileSystem::Default());
  {
    auto store = OpenWithDurableHalves(fs);
    ASSERT_TRUE(store);
    int asked = 0;
    store->SetTransactionCheckListener([&](const TransactionCheck& c) {
      if (++asked > 1) return;
      EXPECT_EQ(c.uniq_key, "C");
      EXPECT_TRUE(store->Flush().ok());  // C's copy is durable; nothing after it will be
      fs.FailAllMutatingCalls(true);
    });
    clock_.Advance(config_.transactionTimeOut + 1);
    EXPECT_EQ(Check(*store), 2u);
    EXPECT_EQ(asked, 2);
    test::PowerCut(fs, std::move(store));
  }
  auto store = Open();
  ASSERT_TRUE(store);
  EXPECT_TRUE(store->recovery().abnormal);
  EXPECT_EQ(store->GetMaxOffsetInQueue("RMQ_SYS_TRANS_HALF_TOPIC", 0), 3) << "C, R and C's copy";
  EXPECT_EQ(store->Stats().transaction.pending_halves, 0) << "not known before a round";
  Answer(*store, {{"C", kCommit}, {"R", kRollback}});
  EXPECT_EQ(CheckUntilQuiet(*store), 3u) << "C, R and C's durable copy, each once: no progress was saved";
  const std::vector<std::string> delivered = Delivered(*store);
  ASSERT_FALSE(delivered.empty());
  for (const std::string& key : delivered) EXPECT_EQ(key, "C") << "R was rolled back";
  ASSERT_TRUE(store->Shutdown().ok());
  EXPECT_EQ(States(), kFinal);
}

}  // namespace
}  // namespace mqstore
