// `mqstore dump transactions`: one line per half record with the state of
// its transaction, derived from the op, commit and discard records; and the
// command changes no byte of the store.
#include <gtest/gtest.h>

#include <map>

#include "storage/offline/transaction_reader.h"
#include "tests/storage/transaction/transaction_test_util.h"
#include "tests/support/dir_snapshot.h"
#include "tests/tools/cli_test_util.h"

namespace mqstore {
namespace {

class TransactionCliTest : public test::TransactionStoreTest {
 protected:
  // A store with one transaction of each state: C committed, R rolled back,
  // P pending after one check, D discarded (transactionCheckMax = 1), and
  // X committed through its check's copy.
  void Build() {
    config_.transactionCheckMax = 1;
    auto store = Open();
    ASSERT_TRUE(store);
    TransactionCheck x_check;
    store->SetTransactionCheckListener([&](const TransactionCheck& c) {
      if (c.uniq_key == "X") x_check = c;
    });
    const PutResult c = Half(*store, "C");
    const PutResult r = Half(*store, "R");
    Half(*store, "D");
    Half(*store, "X");
    ASSERT_TRUE(store->EndTransaction(c.wrote_offset, TransactionDecision::kCommit).ok());
    ASSERT_TRUE(store->EndTransaction(r.wrote_offset, TransactionDecision::kRollback).ok());
    test::WaitDispatched(*store);
    clock_.Advance(config_.transactionTimeOut + 1);
    EXPECT_EQ(Check(*store), 2u);  // D and X
    ASSERT_TRUE(store->EndTransaction(x_check.half_offset, TransactionDecision::kCommit, test::FromCheck()).ok());
    clock_.Advance(config_.transactionCheckInterval);
    Half(*store, "P");
    clock_.Advance(config_.transactionTimeOut + 1);
    test::WaitDispatched(*store);
    EXPECT_EQ(Check(*store), 1u);  // P; D's copy is discarded
    commit_of_c_ = c.wrote_offset;
    ASSERT_TRUE(store->Shutdown().ok());
  }
  int64_t commit_of_c_ = 0;
};

TEST_F(TransactionCliTest, EachHalfRecordIsListedWithItsTransactionsState) {
  Build();
  const std::string root = config_.storePathRootDir;
  const auto before = test::SnapshotTree(root);
  const test::CliResult r = test::Cli({"dump", "transactions", root, "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::map<std::string, std::vector<test::Json>> by_key;
  for (const test::Json& line : r.Lines()) by_key[line["uniqKey"].s].push_back(line);
  ASSERT_EQ(by_key.size(), 5u) << r.out;
  EXPECT_EQ(by_key["C"].size(), 1u);
  EXPECT_EQ(by_key["C"][0]["state"].s, "committed");
  EXPECT_EQ(by_key["C"][0]["halfOffset"].i, commit_of_c_);
  EXPECT_EQ(by_key["C"][0]["queueOffset"].i, 0);
  EXPECT_EQ(by_key["C"][0]["realTopic"].s, "TopicA");
  EXPECT_EQ(by_key["C"][0]["checks"].i, 0);
  EXPECT_EQ(by_key["R"][0]["state"].s, "rolled_back");
  ASSERT_EQ(by_key["X"].size(), 2u) << "the original and the check's copy";
  EXPECT_EQ(by_key["X"][1]["state"].s, "committed");
  EXPECT_EQ(by_key["X"][0]["state"].s, "committed");
  EXPECT_EQ(by_key["X"][1]["checks"].i, 1);
  ASSERT_EQ(by_key["D"].size(), 2u);
  EXPECT_EQ(by_key["D"][1]["state"].s, "discarded");
  ASSERT_EQ(by_key["P"].size(), 2u);
  EXPECT_EQ(by_key["P"][1]["state"].s, "pending");
  EXPECT_EQ(by_key["P"][1]["checks"].i, 1);

  const test::CliResult text = test::Cli({"dump", "transactions", root});
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_NE(text.out.find("8 half record(s): transactions 1 pending, 2 committed, 1 rolled back, 1 discarded"),
            std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("check progress (CID_RMQ_SYS_TRANS) half 7, op 3"), std::string::npos) << text.out;
  test::ExpectSameTree(before, test::SnapshotTree(root));
}

TEST_F(TransactionCliTest, AStoreWithoutTransactionsListsNothing) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->Put(test::OwnedMessage("TopicA", 0, 10, "k").message()).ok());
  ASSERT_TRUE(store->Shutdown().ok());
  const test::CliResult r = test::Cli({"dump", "transactions", config_.storePathRootDir});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("0 half record(s)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("half none, op none"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace mqstore
