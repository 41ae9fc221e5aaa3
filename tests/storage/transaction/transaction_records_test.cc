// The records of a transaction field by field, as RocketMQ's broker writes
// them (TransactionalMessageBridge and EndTransactionProcessor): the half, the committed message, the op record in both
// body forms, and the decisions the store refuses.
#include "storage/transaction/transaction_records.h"

#include <gtest/gtest.h>

#include "format/transaction_op_body.h"
#include "mqstore/sys_flag.h"
#include "tests/storage/transaction/transaction_test_util.h"

namespace mqstore {
namespace {

using test::TransactionStoreTest;

class TransactionRecordsTest : public TransactionStoreTest {};

TEST_F(TransactionRecordsTest, AHalfGoesToTheHalfTopicQueueZeroWithItsRealTopicAndTypeNot) {
  auto store = Open();
  ASSERT_TRUE(store);
  test::OwnedMessage m = test::TxMessage("K1", "TopicA", 2, {{"DELAY", "3"}});
  Message msg = test::Born(m, clock_.WallMillis());
  msg.sys_flag = sysflag::kTransactionPreparedType | sysflag::kMultiTags;
  const PutResult r = store->PutHalf(msg);
  ASSERT_TRUE(r.ok()) << r.reason;
  test::WaitDispatched(*store);
  EXPECT_EQ(r.queue_offset, 0);

  auto view = store->LookMessageByOffset(r.wrote_offset);
  ASSERT_TRUE(view.ok());
  const MessageRecordView& h = view->message;
  EXPECT_EQ(h.topic, "RMQ_SYS_TRANS_HALF_TOPIC");
  EXPECT_EQ(h.queue_id, 0);
  EXPECT_EQ(h.queue_offset, 0);
  EXPECT_EQ(h.sys_flag, sysflag::kMultiTags) << "transaction type reset to NOT, other bits kept";
  EXPECT_EQ(h.flag, 7);
  EXPECT_EQ(h.reconsume_times, 1);
  EXPECT_EQ(h.born_timestamp, clock_.WallMillis());
  EXPECT_EQ(h.prepared_transaction_offset, 0);
  const PropertiesView p = h.properties();
  EXPECT_EQ(p.Get("REAL_TOPIC"), "TopicA");
  EXPECT_EQ(p.Get("REAL_QID"), "2");
  EXPECT_EQ(p.Get("TRAN_MSG"), "true");
  EXPECT_EQ(p.Get("PGROUP"), "tx-group");
  EXPECT_EQ(p.Get("UNIQ_KEY"), "K1");
  EXPECT_EQ(p.Get("__transactionId__"), "K1") << "5.x: the transaction id is the producer's UNIQ_KEY";
  EXPECT_FALSE(p.Get("DELAY").has_value()) << "a delayed half would be parked in SCHEDULE_TOPIC_XXXX";

  EXPECT_EQ(store->GetMaxOffsetInQueue("RMQ_SYS_TRANS_HALF_TOPIC", 0), 1);
  EXPECT_EQ(store->GetMaxOffsetInQueue("TopicA", 2), 0) << "invisible to the real topic's consumers";
  EXPECT_EQ(store->GetMessage("g", "TopicA", 2, 0, 32).messages.size(), 0u);
  EXPECT_EQ(store->Stats().transaction.halves_put, 1u);
}

TEST_F(TransactionRecordsTest, ACommitPutsTheRealMessageRebuiltFromTheHalfThenTheOp) {
  auto store = Open();
  ASSERT_TRUE(store);
  const PutResult half = Half(*store, "K1");
  auto hv = store->LookMessageByOffset(half.wrote_offset);
  ASSERT_TRUE(hv.ok());
  const std::string half_props(hv->message.properties_raw);
  clock_.Advance(5);

  auto end = store->EndTransaction(half.wrote_offset, TransactionDecision::kCommit,
                                   test::EndOptions("tx-group", 0));
  ASSERT_TRUE(end.ok()) << end.error().ToString();
  EXPECT_TRUE(end->committed.ok());
  EXPECT_TRUE(end->op_written);
  test::WaitDispatched(*store);

  const auto real = Records(*store, "TopicA", 2);
  ASSERT_EQ(real.size(), 1u);
  const MessageRecordView& c = real[0].message;
  EXPECT_EQ(c.physical_offset, end->committed.wrote_offset);
  EXPECT_EQ(c.sys_flag, sysflag::kTransactionCommitType);
  EXPECT_EQ(c.prepared_transaction_offset, half.wrote_offset);
  EXPECT_EQ(c.queue_offset, 0);
  EXPECT_EQ(c.flag, 7);
  EXPECT_EQ(c.reconsume_times, 1);
  EXPECT_EQ(c.born_timestamp, hv->message.born_timestamp);
  EXPECT_EQ(c.born_host, hv->message.born_host);
  EXPECT_EQ(c.store_host, hv->message.store_host);
  EXPECT_EQ(c.store_timestamp, clock_.WallMillis()) << "a new store time";
  EXPECT_EQ(Body(c), Body(hv->message));
  EXPECT_EQ(c.properties_raw, half_props) << "Java builds the string before removing REAL_TOPIC, REAL_QID, TRAN_MSG";
  EXPECT_EQ(c.properties().Get("TRAN_MSG"), "true");
  EXPECT_EQ(c.properties().Get("REAL_TOPIC"), "TopicA");

  const auto ops = Records(*store, "RMQ_SYS_TRANS_OP_HALF_TOPIC", 0);
  ASSERT_EQ(ops.size(), 1u);
  const MessageRecordView& op = ops[0].message;
  EXPECT_GT(op.physical_offset, c.physical_offset) << "the op follows the real message";
  EXPECT_EQ(op.queue_id, 0);
  EXPECT_EQ(op.sys_flag, 0);
  EXPECT_EQ(op.flag, 0);
  EXPECT_EQ(op.reconsume_times, 0);
  EXPECT_EQ(Body(op), "0") << "4.x form: the half's queue offset";
  EXPECT_EQ(op.properties_raw, std::string("WAIT\x01true\x02TAGS\x01" "d", 16));
  EXPECT_EQ(op.born_timestamp, clock_.WallMillis());
  EXPECT_EQ(op.born_host, hv->message.store_host) << "born and store host are the broker's";
  EXPECT_EQ(op.store_host, hv->message.store_host);
  const TransactionStats s = store->Stats().transaction;
  EXPECT_EQ(s.commits, 1u);
  EXPECT_EQ(s.ops_written, 1u);
}

TEST_F(TransactionRecordsTest, ARollbackWritesOnlyTheOp) {
  auto store = Open();
  ASSERT_TRUE(store);
  Half(*store, "K0");
  const PutResult half = Half(*store, "K1");
  auto end = store->EndTransaction(half.wrote_offset, TransactionDecision::kRollback);
  ASSERT_TRUE(end.ok()) << end.error().ToString();
  test::WaitDispatched(*store);
  EXPECT_EQ(store->GetMaxOffsetInQueue("TopicA", 2), 0);
  const auto ops = Records(*store, "RMQ_SYS_TRANS_OP_HALF_TOPIC", 0);
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(Body(ops[0].message), "1");
  EXPECT_EQ(store->Stats().transaction.rollbacks, 1u);
}

TEST_F(TransactionRecordsTest, UnknownDoesNothing) {
  auto store = Open();
  ASSERT_TRUE(store);
  const PutResult half = Half(*store, "K1");
  const int64_t end_before = store->GetMaxPhyOffset();
  auto end = store->EndTransaction(half.wrote_offset, TransactionDecision::kUnknown);
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(end->op_written);
  EXPECT_EQ(store->GetMaxPhyOffset(), end_before);
}

TEST_F(TransactionRecordsTest, BatchedOpsAreOneRecordFlushedBySizeOrInterval) {
  config_.transactionOpBatchEnable = true;
  config_.transactionOpMsgMaxSize = 8;
  auto store = Open();
  ASSERT_TRUE(store);
  std::vector<PutResult> halves;
  for (int i = 0; i < 5; ++i) halves.push_back(Half(*store, "K" + std::to_string(i)));
  EXPECT_FALSE(store->EndTransaction(halves[0].wrote_offset, TransactionDecision::kCommit)->op_written);
  EXPECT_FALSE(store->EndTransaction(halves[1].wrote_offset, TransactionDecision::kRollback)->op_written);
  EXPECT_FALSE(store->EndTransaction(halves[2].wrote_offset, TransactionDecision::kCommit)->op_written);
  EXPECT_TRUE(store->EndTransaction(halves[3].wrote_offset, TransactionDecision::kRollback)->op_written)
      << "\"0,1,2,3,\" reaches transactionOpMsgMaxSize";
  EXPECT_FALSE(store->EndTransaction(halves[4].wrote_offset, TransactionDecision::kCommit)->op_written);
  ASSERT_TRUE(store->transactions().FlushOps(false).ok());
  test::WaitDispatched(*store);
  ASSERT_EQ(Records(*store, "RMQ_SYS_TRANS_OP_HALF_TOPIC", 0).size(), 1u) << "not due yet";
  clock_.Advance(config_.transactionOpBatchInterval);
  ASSERT_TRUE(store->transactions().FlushOps(false).ok());
  test::WaitDispatched(*store);
  const auto ops = Records(*store, "RMQ_SYS_TRANS_OP_HALF_TOPIC", 0);
  ASSERT_EQ(ops.size(), 2u);
  EXPECT_EQ(Body(ops[0].message), "0,1,2,3,");
  EXPECT_EQ(Body(ops[1].message), "4,");
  EXPECT_EQ(ops[0].message.properties_raw, std::string("WAIT\x01true\x02TAGS\x01" "d\x02", 17))
      << "5.2.0+ writers end the properties with 0x02";
  auto parsed = ParseOpBody(Body(ops[0].message));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, (std::vector<int64_t>{0, 1, 2, 3}));
}

TEST_F(TransactionRecordsTest, DecisionsThatDoNotMatchTheHalfAreRefused) {
  auto store = Open();
  ASSERT_TRUE(store);
  const PutResult half = Half(*store, "K1");
  EXPECT_FALSE(store->EndTransaction(half.wrote_offset, TransactionDecision::kCommit, test::EndOptions("other")).ok());
  EXPECT_FALSE(store->EndTransaction(half.wrote_offset, TransactionDecision::kCommit, test::EndOptions("", 5)).ok());
  EXPECT_FALSE(store->EndTransaction(half.wrote_offset + 1, TransactionDecision::kCommit).ok());
  const PutResult plain = store->Put(test::OwnedMessage("TopicB", 0, 10, "P").message());
  ASSERT_TRUE(plain.ok());
  auto not_half = store->EndTransaction(plain.wrote_offset, TransactionDecision::kRollback);
  ASSERT_FALSE(not_half.ok());
  EXPECT_NE(not_half.error().message().find("not RMQ_SYS_TRANS_HALF_TOPIC"), std::string::npos);
  test::WaitDispatched(*store);
  EXPECT_EQ(store->GetMaxOffsetInQueue("TopicA", 2), 0);
  EXPECT_EQ(store->GetMaxOffsetInQueue("RMQ_SYS_TRANS_OP_HALF_TOPIC", 0), 0);
}

TEST_F(TransactionRecordsTest, ALateDecisionOnAnImmuneHalfIsTheChecksOnly) {
  auto store = Open();
  ASSERT_TRUE(store);
  const PutResult half = Half(*store, "K1", {{"CHECK_IMMUNITY_TIME_IN_SECONDS", "10"}});
  clock_.Advance(10001);
  EXPECT_FALSE(store->EndTransaction(half.wrote_offset, TransactionDecision::kCommit).ok())
      << "5.x rejectCommitOrRollback: past max(immunity, transactionTimeOut)";
  EXPECT_TRUE(store->EndTransaction(half.wrote_offset, TransactionDecision::kCommit, test::FromCheck()).ok());
}

TEST_F(TransactionRecordsTest, RejectTransactionMessageRefusesHalves) {
  config_.rejectTransactionMessage = true;
  auto store = Open();
  ASSERT_TRUE(store);
  const PutResult r = store->PutHalf(test::Born(test::TxMessage("K1"), clock_.WallMillis()));
  EXPECT_EQ(r.status, PutStatus::kMessageIllegal);
}

TEST(TransactionRecordBuilders, TheRenewedHalfKeepsNeitherFlagNorReconsumeTimes) {
  const std::string props = "UNIQ_KEY\x01K\x02REAL_TOPIC\x01T\x02REAL_QID\x01" "1";
  const std::vector<uint8_t> body = {1, 2, 3};
  MessageRecordView half;
  half.topic = "RMQ_SYS_TRANS_HALF_TOPIC";
  half.properties_raw = props;
  half.body = body;
  half.flag = 9;
  half.reconsume_times = 3;
  half.sys_flag = 0x10;
  half.born_timestamp = 123;
  half.queue_offset = 4;
  auto copy = BuildRenewedHalf(half, 2, 4);
  ASSERT_TRUE(copy.ok());
  const Message m = copy->view();
  EXPECT_EQ(m.topic, "RMQ_SYS_TRANS_HALF_TOPIC");
  EXPECT_EQ(m.flag, 0);
  EXPECT_EQ(m.reconsume_times, 0);
  EXPECT_EQ(m.sys_flag, 0x10);
  EXPECT_EQ(m.born_timestamp, 123);
  EXPECT_EQ(m.flush_wait, FlushWait::kNoWait);
  const PropertiesView p(m.properties);
  EXPECT_EQ(p.Get("TRANSACTION_CHECK_TIMES"), "2");
  EXPECT_EQ(p.Get("TRAN_PREPARED_QUEUE_OFFSET"), "4");
  EXPECT_EQ(p.Get("REAL_TOPIC"), "T");

  const BuiltMessage discarded = BuildDiscarded(half);
  EXPECT_EQ(discarded.view().topic, "TRANS_CHECK_MAX_TIME_TOPIC");
  EXPECT_EQ(discarded.view().properties, props);
  EXPECT_EQ(discarded.view().flag, 9);
  EXPECT_EQ(discarded.view().reconsume_times, 3);

  half.properties_raw = "UNIQ_KEY\x01K";
  auto no_real = BuildCommit(half);
  ASSERT_FALSE(no_real.ok());
  EXPECT_NE(no_real.error().message().find("REAL_TOPIC"), std::string::npos);
}

}  // namespace
}  // namespace mqstore
