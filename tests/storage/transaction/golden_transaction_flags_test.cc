// Store-level transaction flags (PREPARED / COMMIT / ROLLBACK written
// directly, as pre-4.3 brokers did) keep the dispatcher rules the golden
// RocketMQ 4.9.8 store shows: rebuilt from its commit log, the queues are
// RocketMQ's unit for unit, the PREPARED (sysFlag 0x14 at 61820) and
// ROLLBACK (0xC at 62012) records are in no queue with queueOffset 0, and
// the COMMIT record (0x8 at 62182) is TopicA/2 unit 11. (The golden store
// has no broker-style RMQ_SYS_TRANS_* records.)
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <tuple>

#include "mqstore/sys_flag.h"
#include "tests/storage/engine_test_util.h"
#include "tests/storage/store_test_util.h"

namespace mqstore {
namespace {

constexpr int64_t kPrepared = 61820, kRollback = 62012, kCommit = 62182;

StoreConfig GoldenConfig(const std::string& root) {
  StoreConfig c;
  c.storePathRootDir = root;
  c.mappedFileSizeCommitLog = test::kSmallSegmentSize;
  c.mappedFileSizeConsumeQueue = 6000;
  c.maxHashSlotNum = 100;
  c.maxIndexNum = 400;
  c.maxMessageSize = 4 * 1024 * 1024;
  c.writeWithoutMmap = true;
  c.scheduleMessageServiceEnable = false;  // the two delayed messages stay where they are
  c.transactionCheckEnable = false;
  return c;
}

TEST(GoldenTransactionFlags, QueuesRebuiltFromTheLogAreRocketMqsWithPreparedAndRollbackInNone) {
  MQ_GOLDEN_OR_SKIP(golden);
  test::StoreCopy copy(golden + test::kSmallStore);
  std::filesystem::remove_all(copy.At("/consumequeue"));
  std::filesystem::remove_all(copy.At("/index"));
  auto store = MessageStore::Open(GoldenConfig(copy.root()));
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  test::WaitDispatched(**store);

  std::map<int64_t, std::tuple<std::string, int64_t, int64_t>> units;  // commit-log offset -> topic, queue, offset
  for (const test::Json& u : test::ReadJsonLines(golden + test::kSmallSet + "/expected-consumequeue.jsonl")) {
    const std::string topic = u["topic"].s;
    const auto queue = static_cast<int32_t>(u["queueId"].i);
    EXPECT_EQ((*store)->GetCommitLogOffsetInQueue(topic, queue, u["queueOffset"].i), u["commitLogOffset"].i)
        << topic << "/" << queue << " unit " << u["queueOffset"].i;
    units[u["commitLogOffset"].i] = {topic, queue, u["queueOffset"].i};
  }
  ASSERT_EQ(units.size(), 941u);
  for (const test::Json& q : test::ReadJsonLines(golden + test::kSmallSet + "/expected-queues.jsonl"))
    EXPECT_EQ((*store)->GetMaxOffsetInQueue(q["queue"].s, static_cast<int32_t>(q["queueId"].i)), q["maxOffset"].i)
        << q["queue"].s;

  for (int64_t offset : {kPrepared, kRollback}) {
    auto view = (*store)->LookMessageByOffset(offset);
    ASSERT_TRUE(view.ok());
    EXPECT_FALSE(sysflag::TakesQueueOffset(view->message.sys_flag)) << offset;
    EXPECT_EQ(view->message.queue_offset, 0) << offset;
    EXPECT_EQ(units.count(offset), 0u) << offset << " is in no queue";
  }
  auto commit = (*store)->LookMessageByOffset(kCommit);
  ASSERT_TRUE(commit.ok());
  EXPECT_EQ(sysflag::TransactionType(commit->message.sys_flag), sysflag::kTransactionCommitType);
  EXPECT_EQ(units.at(kCommit), std::make_tuple(std::string("TopicA"), int64_t{2}, int64_t{11}));
  // Keys: the PREPARED record is indexed, the ROLLBACK one is not.
  auto rollback = (*store)->LookMessageByOffset(kRollback);
  ASSERT_TRUE(rollback.ok());
  const std::string rollback_key(rollback->message.properties().Get("UNIQ_KEY").value_or(""));
  for (const MessageView& hit : (*store)->QueryMessage("TopicA", rollback_key, 32, 0, INT64_MAX).messages)
    EXPECT_NE(hit.message.physical_offset, kRollback);
}

TEST(GoldenTransactionFlags, PreparedAndRollbackRecordsAppendedToTheGoldenStoreTakeNoQueueOffset) {
  MQ_GOLDEN_OR_SKIP(golden);
  test::StoreCopy copy(golden + test::kSmallStore);
  auto store = MessageStore::Open(GoldenConfig(copy.root()));
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  const int64_t next = (*store)->NextQueueOffset("TopicA", 2);
  for (int32_t flag : {sysflag::kTransactionPreparedType, sysflag::kTransactionRollbackType}) {
    test::OwnedMessage m("TopicA", 2, 10, "tx-" + std::to_string(flag), flag);
    const PutResult put = (*store)->Put(m.message());
    ASSERT_TRUE(put.ok()) << put.reason;
    EXPECT_EQ(put.queue_offset, 0);
  }
  test::OwnedMessage c("TopicA", 2, 10, "tx-commit", sysflag::kTransactionCommitType);
  const PutResult committed = (*store)->Put(c.message());
  ASSERT_TRUE(committed.ok());
  EXPECT_EQ(committed.queue_offset, next) << "PREPARED and ROLLBACK left the counter alone";
  test::WaitDispatched(**store);
  EXPECT_EQ((*store)->GetMaxOffsetInQueue("TopicA", 2), next + 1);
  EXPECT_EQ((*store)->GetCommitLogOffsetInQueue("TopicA", 2, next), committed.wrote_offset);
}

}  // namespace
}  // namespace mqstore
