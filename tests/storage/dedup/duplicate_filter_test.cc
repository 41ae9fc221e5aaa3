// Duplicate suppression through MessageStore (storage/dedup/): a key stored
// within the window is answered with its first record and not stored again,
// across a clean restart too; outside the window, without the key, with
// dedup off, and on a forced hash collision the message is stored; the
// table's bound; batches and asynchronous puts.
#include "storage/dedup/duplicate_filter.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "format/property_map.h"
#include "format/sys_flag.h"
#include "storage/io/fake_clock.h"
#include "storage/message_store.h"
#include "storage/store_log.h"
#include "tests/storage/engine_test_util.h"
#include "tests/support/golden.h"

namespace mqstore {
namespace {

constexpr int32_t kWindowSeconds = 60;
constexpr int64_t kWindowMs = kWindowSeconds * 1000;

class DuplicateFilterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetLogSink({});
    // The write backend: a duplicate right after its original finds the
    // record still in the ring (its commit waits on the fake clock).
    config_ = test::SmallStoreConfig(tmp_.path() + "/store");
    config_.dedupWindowSeconds = kWindowSeconds;
  }
  std::unique_ptr<MessageStore> Open(const StoreHooks& hooks = {}, FileSystem& fs = FileSystem::Default()) {
    auto store = MessageStore::Open(config_, Env(fs, clock_), hooks);
    EXPECT_TRUE(store.ok()) << store.error().ToString();
    return store.ok() ? std::move(*store) : nullptr;
  }
  static test::OwnedMessage Msg(const std::string& key, const std::string& topic = "TopicA", int32_t queue = 0,
                                size_t body = 100) {
    return test::OwnedMessage(topic, queue, body, key);
  }
  // The UNIQ_KEY of the record at `offset` (flushed first: the write
  // backend's ring is committed on the fake clock's interval).
  static std::string KeyAt(MessageStore& store, int64_t offset) {
    EXPECT_TRUE(store.Flush().ok());
    auto view = store.LookMessageByOffset(offset);
    EXPECT_TRUE(view.ok()) << view.error().ToString();
    return view.ok() ? std::string(view->message.properties().Get("UNIQ_KEY").value_or("?")) : "";
  }
  // Records in the whole log.
  static int CountRecords(MessageStore& store) {
    EXPECT_TRUE(store.Flush().ok());
    int n = 0;
    CommitLogCursor cursor = store.NewCursor(store.GetMinPhyOffset());
    for (auto e = cursor.Next(); e.kind == CommitLogCursor::Kind::kMessage; e = cursor.Next()) ++n;
    return n;
  }
  static void ExpectDuplicateOf(const PutResult& dup, const PutResult& first) {
    EXPECT_TRUE(dup.ok()) << dup.reason;
    EXPECT_TRUE(dup.duplicate);
    EXPECT_EQ(dup.duplicates, 1);
    EXPECT_EQ(dup.msg_count, 0) << "nothing was written";
    EXPECT_EQ(dup.wrote_offset, first.wrote_offset);
    EXPECT_EQ(dup.wrote_bytes, first.wrote_bytes);
    EXPECT_EQ(dup.queue_offset, first.queue_offset);
    EXPECT_EQ(dup.store_timestamp, first.store_timestamp);
    EXPECT_EQ(dup.msg_id(), first.msg_id());
  }

  test::TempDir tmp_;
  StoreConfig config_;
  FakeClock clock_;
};

TEST_F(DuplicateFilterTest, EveryRepeatWithinTheWindowIsAnsweredWithTheFirstRecordAndNotStored) {
  auto store = Open();
  ASSERT_TRUE(store);
  std::vector<PutResult> first;
  for (int i = 0; i < 50; ++i) {
    first.push_back(store->Put(Msg("K" + std::to_string(i), "TopicA", i % 3).message()));
    ASSERT_TRUE(first.back().ok());
    EXPECT_FALSE(first.back().duplicate);
    EXPECT_EQ(first.back().duplicates, 0);
  }
  const int64_t end = store->commit_log().WroteOffset();
  for (int round = 0; round < 2; ++round)
    for (int i = 0; i < 50; ++i) {
      SCOPED_TRACE("K" + std::to_string(i));
      ExpectDuplicateOf(store->Put(Msg("K" + std::to_string(i), "TopicA", i % 3).message()), first[i]);
    }
  EXPECT_EQ(store->commit_log().WroteOffset(), end) << "no byte written for a duplicate";
  const int64_t next_queue_offset[] = {17, 17, 16};  // keys i % 3 of 0..49
  for (int q = 0; q < 3; ++q) EXPECT_EQ(store->NextQueueOffset("TopicA", q), next_queue_offset[q]) << q;
  const StoreStats s = store->Stats();
  EXPECT_TRUE(s.dedup.enabled);
  EXPECT_EQ(s.dedup.duplicates, 100u);
  EXPECT_EQ(s.dedup.entries, 50u);
  EXPECT_EQ(s.dedup.false_matches, 0u);
  EXPECT_EQ(s.messages_stored, 50u);
  EXPECT_EQ(s.puts_ok, 150u);
  EXPECT_EQ(CountRecords(*store), 50);
}

TEST_F(DuplicateFilterTest, TheSameKeyInAnotherTopicIsStored) {
  auto store = Open();
  ASSERT_TRUE(store);
  const PutResult a = store->Put(Msg("K1", "TopicA").message());
  const PutResult b = store->Put(Msg("K1", "TopicB").message());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_FALSE(b.duplicate);
  EXPECT_NE(a.wrote_offset, b.wrote_offset);
  ExpectDuplicateOf(store->Put(Msg("K1", "TopicB").message()), b);
}

TEST_F(DuplicateFilterTest, PutsWithoutTheKeyAreNeverSuppressed) {
  auto store = Open();
  ASSERT_TRUE(store);
  test::OwnedMessage m = Msg("unused");
  m.properties = *SerializeProperties({{"TAGS", "TagA"}, {"KEYS", "same"}});
  const PutResult a = store->Put(m.message());
  const PutResult b = store->Put(m.message());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_FALSE(b.duplicate);
  EXPECT_NE(a.wrote_offset, b.wrote_offset);
  EXPECT_EQ(store->Stats().dedup.entries, 0u);
}

TEST_F(DuplicateFilterTest, TheEmbedderNamesTheKeyProperty) {
  config_.dedupKeyProperty = "bizId";
  auto store = Open();
  ASSERT_TRUE(store);
  auto with = [](const std::string& uniq, const std::string& biz) {
    test::OwnedMessage m = Msg(uniq);
    PropertyMap props = PropertyMap::Parse(m.properties);
    props.Set("bizId", biz);
    m.properties = *props.Serialize();
    return m;
  };
  const PutResult first = store->Put(with("U1", "order-7").message());
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(store->Put(with("U1", "order-8").message()).duplicate) << "the same UNIQ_KEY is not the key now";
  ExpectDuplicateOf(store->Put(with("U2", "order-7").message()), first);
  EXPECT_FALSE(store->Put(Msg("U1").message()).duplicate) << "no bizId: never suppressed";
  ASSERT_TRUE(store->Shutdown().ok());
  store = Open();  // the rebuild reads the same property
  ASSERT_TRUE(store);
  ExpectDuplicateOf(store->Put(with("U3", "order-7").message()), first);
  EXPECT_FALSE(store->Put(with("U1", "order-9").message()).duplicate);
}

TEST_F(DuplicateFilterTest, OnlyInsideTheWindowFromTheFirstStoreTime) {
  auto store = Open();
  ASSERT_TRUE(store);
  const PutResult first = store->Put(Msg("K1").message());
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first.store_timestamp, clock_.WallMillis()) << "store times come from the Env's clock";
  clock_.Advance(kWindowMs - 1);
  ExpectDuplicateOf(store->Put(Msg("K1").message()), first);
  clock_.Advance(1);
  const PutResult again = store->Put(Msg("K1").message());
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again.duplicate) << "a window after the first store time it is a new message";
  EXPECT_GT(again.wrote_offset, first.wrote_offset);
  EXPECT_EQ(again.queue_offset, first.queue_offset + 1);
  ExpectDuplicateOf(store->Put(Msg("K1").message()), again);
}

TEST_F(DuplicateFilterTest, EveryRepeatIsSuppressedAcrossACleanRestart) {
  std::vector<PutResult> first;
  {
    auto store = Open();
    ASSERT_TRUE(store);
    for (int i = 0; i < 100; ++i) first.push_back(store->Put(Msg("K" + std::to_string(i), "TopicA", i % 4).message()));
    ASSERT_TRUE(store->Shutdown().ok());
  }
  auto store = Open();
  ASSERT_TRUE(store);
  EXPECT_FALSE(store->recovery().abnormal);
  EXPECT_EQ(store->Stats().dedup.rebuilt, 100u);
  EXPECT_EQ(store->Stats().dedup.entries, 100u);
  const int64_t end = store->commit_log().WroteOffset();
  for (int i = 0; i < 100; ++i) {
    SCOPED_TRACE("K" + std::to_string(i));
    ExpectDuplicateOf(store->Put(Msg("K" + std::to_string(i), "TopicA", i % 4).message()), first[i]);
  }
  EXPECT_EQ(store->commit_log().WroteOffset(), end);
}

// A power cut: the table is rebuilt from what the log kept. A key whose
// record was durable is a duplicate; a key whose record was lost (acked
// PUT_OK under ASYNC_FLUSH, never synced) is stored again when the producer
// resends it, not answered with an offset the log no longer holds. And a
// key outside the window is not remembered by the rebuild either.
TEST_F(DuplicateFilterTest, APowerCutForgetsExactlyTheKeysWhoseRecordsItLost) {
  FaultInjectionFileSystem fs(FileSystem::Default());
  std::vector<PutResult> durable;
  int64_t durable_end = 0;
  {
    auto store = Open({}, fs);
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->Put(Msg("old").message()).ok());
    clock_.Advance(kWindowMs);
    for (int i = 0; i < 20; ++i) durable.push_back(store->Put(Msg("D" + std::to_string(i)).message()));
    ASSERT_TRUE(store->Flush().ok());
    durable_end = store->commit_log().WroteOffset();
    for (int i = 0; i < 20; ++i) ASSERT_TRUE(store->Put(Msg("L" + std::to_string(i)).message()).ok());
    test::PowerCut(fs, std::move(store));
  }
  auto store = Open();
  ASSERT_TRUE(store);
  EXPECT_TRUE(store->recovery().abnormal);
  EXPECT_EQ(store->commit_log().WroteOffset(), durable_end) << "the unsynced records are gone";
  EXPECT_EQ(store->Stats().dedup.rebuilt, 20u) << "D0..D19; \"old\" is a window back";
  for (int i = 0; i < 20; ++i) {
    SCOPED_TRACE("D" + std::to_string(i));
    ExpectDuplicateOf(store->Put(Msg("D" + std::to_string(i)).message()), durable[static_cast<size_t>(i)]);
  }
  for (int i = 0; i < 20; ++i) {
    const PutResult r = store->Put(Msg("L" + std::to_string(i)).message());
    EXPECT_TRUE(r.ok() && !r.duplicate && r.msg_count == 1) << "L" << i << " was lost, so it is stored";
  }
  EXPECT_FALSE(store->Put(Msg("old").message()).duplicate);
  EXPECT_EQ(CountRecords(*store), 1 + 20 + 20 + 1);
}

// The window's records span several segments; the table is read back from
// the newest segment that starts before the window, and exactly the records
// inside it are remembered.
TEST_F(DuplicateFilterTest, TheRestartRemembersExactlyTheRecordsInsideTheWindow) {
  config_.dedupWindowSeconds = 100;
  constexpr int kPuts = 300;  // one a second, ~60 a 64 KiB segment
  {
    auto store = Open();
    ASSERT_TRUE(store);
    for (int i = 0; i < kPuts; ++i) {
      ASSERT_TRUE(store->Put(Msg("K" + std::to_string(i), "TopicA", 0, 1000).message()).ok());
      clock_.Advance(1000);
    }
    EXPECT_GE(store->Stats().segments, 5u);
    ASSERT_TRUE(store->Shutdown().ok());
  }
  // Now t0 + 300 s: K200 was stored 100 s ago (outside), K201..K299 inside.
  auto store = Open();
  ASSERT_TRUE(store);
  EXPECT_EQ(store->Stats().dedup.rebuilt, 99u);
  EXPECT_EQ(store->Stats().dedup.entries, 99u);
  EXPECT_FALSE(store->Put(Msg("K200", "TopicA", 0, 1000).message()).duplicate);
  EXPECT_FALSE(store->Put(Msg("K0", "TopicA", 0, 1000).message()).duplicate);
  for (int i = 201; i < kPuts; ++i) EXPECT_TRUE(store->Put(Msg("K" + std::to_string(i), "TopicA", 0, 1000).message()).duplicate) << i;
}

TEST_F(DuplicateFilterTest, ARestartAfterTheWindowForgetsTheKeys) {
  {
    auto store = Open();
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->Put(Msg("K1").message()).ok());
    ASSERT_TRUE(store->Shutdown().ok());
  }
  clock_.Advance(kWindowMs);
  auto store = Open();
  ASSERT_TRUE(store);
  EXPECT_EQ(store->Stats().dedup.entries, 0u);
  const PutResult r = store->Put(Msg("K1").message());
  EXPECT_TRUE(r.ok());
  EXPECT_FALSE(r.duplicate);
}

// Every key hashes to 7: the 64-bit match is confirmed against the stored
// record, so a second key is stored, not dropped.
TEST_F(DuplicateFilterTest, AForcedHashCollisionIsStillStored) {
  StoreHooks hooks;
  hooks.dedup_hash = [](std::string_view, std::string_view) -> uint64_t { return 7; };
  auto store = Open(hooks);
  ASSERT_TRUE(store);
  const PutResult a = store->Put(Msg("A").message());
  const PutResult b = store->Put(Msg("B").message());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_FALSE(b.duplicate) << "B collides with A but is another key";
  EXPECT_NE(b.wrote_offset, a.wrote_offset);
  EXPECT_EQ(KeyAt(*store, a.wrote_offset), "A");
  EXPECT_EQ(KeyAt(*store, b.wrote_offset), "B");
  EXPECT_EQ(store->Stats().dedup.false_matches, 1u);
  ExpectDuplicateOf(store->Put(Msg("B").message()), b);
  // One entry per hash: B took it, so A is not remembered any more and a
  // repeat of A is stored (never dropped).
  const PutResult a2 = store->Put(Msg("A").message());
  EXPECT_FALSE(a2.duplicate);
  EXPECT_EQ(KeyAt(*store, a2.wrote_offset), "A");
  EXPECT_EQ(store->Stats().dedup.false_matches, 2u);
  EXPECT_EQ(CountRecords(*store), 3);
}

// dedupMaxEntries=4: four shards of one key each. What a shard keeps is its
// newest key; every key it dropped is stored again when repeated (the
// bound's price), every key it kept is suppressed.
TEST_F(DuplicateFilterTest, TheTableHoldsAtMostMaxEntriesAndEvictsTheOldestFirst) {
  config_.dedupMaxEntries = 4;
  auto store = Open();
  ASSERT_TRUE(store);
  std::vector<PutResult> first;
  for (int i = 0; i < 10; ++i) first.push_back(store->Put(Msg("K" + std::to_string(i)).message()));
  const DedupStats s = store->Stats().dedup;
  EXPECT_LE(s.entries, 4u);
  EXPECT_GE(s.entries, 1u);
  EXPECT_EQ(s.entries + s.evictions, 10u);
  ExpectDuplicateOf(store->Put(Msg("K9").message()), first[9]);  // the newest of its shard
  uint64_t suppressed = 1;
  for (int i = 8; i >= 0; --i) {
    const PutResult r = store->Put(Msg("K" + std::to_string(i)).message());
    ASSERT_TRUE(r.ok());
    suppressed += r.duplicate ? 1 : 0;
    if (!r.duplicate) {
      EXPECT_NE(r.wrote_offset, first[i].wrote_offset) << "K" << i << " stored again";
    }
  }
  EXPECT_EQ(suppressed, s.entries) << "each kept key suppressed, each evicted one stored";
  EXPECT_LE(store->Stats().dedup.entries, 4u);
  ASSERT_TRUE(store->Shutdown().ok());
  store = Open();
  ASSERT_TRUE(store);
  EXPECT_LE(store->Stats().dedup.entries, 4u) << "the bound holds while the table is read back too";
  EXPECT_GE(store->Stats().dedup.evictions, 1u);
}

TEST_F(DuplicateFilterTest, WithDedupOffThereIsNoTableAndRepeatsAreStored) {
  config_.dedupWindowSeconds = 0;
  EXPECT_EQ(StoreConfig().dedupWindowSeconds, 0) << "off by default";
  auto store = Open();
  ASSERT_TRUE(store);
  const PutResult a = store->Put(Msg("K1").message());
  const PutResult b = store->Put(Msg("K1").message());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_FALSE(b.duplicate);
  EXPECT_NE(a.wrote_offset, b.wrote_offset);
  const DedupStats s = store->Stats().dedup;
  EXPECT_FALSE(s.enabled);
  EXPECT_EQ(s.entries + s.duplicates + s.rebuilt, 0u);
}

TEST_F(DuplicateFilterTest, ABatchOfDuplicatesIsAnsweredWithTheFirstRecordAndWritesNothing) {
  auto store = Open();
  ASSERT_TRUE(store);
  const std::vector<test::OwnedMessage> owned = {Msg("K0"), Msg("K1"), Msg("K2")};
  std::vector<Message> batch;
  for (const auto& m : owned) batch.push_back(m.message());
  const PutResult first = store->PutBatch(batch);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first.msg_count, 3);
  const int64_t end = store->commit_log().WroteOffset();
  const PutResult again = store->PutBatch(batch);
  EXPECT_TRUE(again.ok());
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.duplicates, 3);
  EXPECT_EQ(again.msg_count, 0);
  EXPECT_EQ(again.wrote_offset, first.wrote_offset);
  EXPECT_EQ(again.queue_offset, first.queue_offset);
  EXPECT_EQ(store->commit_log().WroteOffset(), end);
  // Each message of the batch was remembered at its own record.
  const PutResult k2 = store->Put(Msg("K2").message());
  EXPECT_TRUE(k2.duplicate);
  EXPECT_EQ(KeyAt(*store, k2.wrote_offset), "K2");
  EXPECT_EQ(k2.queue_offset, first.queue_offset + 2);
}

TEST_F(DuplicateFilterTest, ABatchStoresOnlyItsNewMessagesAndARepeatWithinItOnce) {
  auto store = Open();
  ASSERT_TRUE(store);
  const PutResult k0 = store->Put(Msg("K0").message());
  const PutResult k1 = store->Put(Msg("K1").message());
  test::OwnedMessage no_key = Msg("unused");
  no_key.properties = *SerializeProperties({{"TAGS", "TagA"}});
  const std::vector<test::OwnedMessage> owned = {Msg("K0"), Msg("N1", "TopicA", 0, 333), Msg("K1"), no_key,
                                                 Msg("N1"), Msg("N2", "TopicA", 0, 50)};
  std::vector<Message> batch;
  for (const auto& m : owned) batch.push_back(m.message());
  const PutResult r = store->PutBatch(batch);
  ASSERT_TRUE(r.ok()) << r.reason;
  EXPECT_FALSE(r.duplicate);
  EXPECT_EQ(r.duplicates, 3) << "K0 and K1 stored before, N1 twice in the batch";
  EXPECT_EQ(r.msg_count, 3) << "N1, the message without a key, N2";
  EXPECT_EQ(r.queue_offset, k1.queue_offset + 1);
  EXPECT_EQ(KeyAt(*store, r.wrote_offset), "N1");
  ExpectDuplicateOf(store->Put(Msg("K0").message()), k0);
  const PutResult n2 = store->Put(Msg("N2", "TopicA", 0, 50).message());
  EXPECT_TRUE(n2.duplicate);
  EXPECT_EQ(KeyAt(*store, n2.wrote_offset), "N2") << "remembered at its offset inside the stored batch";
  EXPECT_EQ(n2.queue_offset, r.queue_offset + 2);
  EXPECT_EQ(n2.wrote_offset + n2.wrote_bytes, r.wrote_offset + r.wrote_bytes);
  EXPECT_EQ(CountRecords(*store), 5);
}

// Store-level transactions (as brokers before 4.3 wrote them): the
// PREPARED record and the COMMIT that decides it share topic and UNIQ_KEY,
// and both are stored; a repeat of either is a duplicate of its own kind.
TEST_F(DuplicateFilterTest, APreparedRecordAndItsCommitAreBothStored) {
  auto store = Open();
  ASSERT_TRUE(store);
  auto typed = [](int32_t type) {
    test::OwnedMessage m = Msg("K1");
    m.sys_flag = type;
    return m;
  };
  const PutResult prepared = store->Put(typed(sysflag::kTransactionPreparedType).message());
  const PutResult commit = store->Put(typed(sysflag::kTransactionCommitType).message());
  ASSERT_TRUE(prepared.ok() && commit.ok());
  EXPECT_FALSE(commit.duplicate) << "the decision is not a copy of the prepared record";
  EXPECT_NE(commit.wrote_offset, prepared.wrote_offset);
  ExpectDuplicateOf(store->Put(typed(sysflag::kTransactionPreparedType).message()), prepared);
  ExpectDuplicateOf(store->Put(typed(sysflag::kTransactionCommitType).message()), commit);
  SCOPED_TRACE("a plain message is what a commit makes visible");
  ExpectDuplicateOf(store->Put(Msg("K1").message()), commit);
  EXPECT_FALSE(store->Put(typed(sysflag::kTransactionRollbackType).message()).duplicate);
}

TEST_F(DuplicateFilterTest, PutAsyncAnswersADuplicateThroughItsCallback) {
  auto store = Open();
  ASSERT_TRUE(store);
  const PutResult first = store->PutAsync(Msg("K1").message()).get();
  ASSERT_TRUE(first.ok());
  ExpectDuplicateOf(store->PutAsync(Msg("K1").message()).get(), first);
}

// A delivered delay-level message is the store's own re-put: it lands in
// its real topic even though a producer put the same key there directly.
TEST_F(DuplicateFilterTest, TheStoresOwnRePutsAreNotChecked) {
  config_.scheduleMessageServiceEnable = false;
  config_.writeWithoutMmap = false;  // records readable at once: the dispatcher sees them on a fake clock
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->Put(Msg("K1").message()).ok());
  test::OwnedMessage delayed = Msg("K1");
  PropertyMap props = PropertyMap::Parse(delayed.properties);
  props.Set("DELAY", "1");
  delayed.properties = *props.Serialize();
  const PutResult held = store->Put(delayed.message());
  ASSERT_TRUE(held.ok());
  EXPECT_FALSE(held.duplicate) << "another topic (SCHEDULE_TOPIC_XXXX)";
  ExpectDuplicateOf(store->Put(delayed.message()), held);  // a producer's retry, rewritten the same way
  clock_.Advance(2000);  // level 1 (1 s) is due, well inside the window
  test::WaitDispatched(*store);
  EXPECT_EQ(store->schedule_messages().DeliverDue(), 1u);
  test::WaitDispatched(*store);
  EXPECT_EQ(store->GetMaxOffsetInQueue("TopicA", 0), 2) << "the delivery was stored beside the direct put";
}

TEST_F(DuplicateFilterTest, ADuplicateThatMustWaitIsAnsweredOnlyOnceItsOriginalIsDurable) {
  auto store = Open();
  ASSERT_TRUE(store);
  const test::OwnedMessage m = Msg("K1");
  Message no_wait = m.message();
  no_wait.flush_wait = FlushWait::kNoWait;
  const PutResult first = store->Put(no_wait);
  ASSERT_TRUE(first.ok());
  const int64_t end = first.wrote_offset + first.wrote_bytes;
  ASSERT_LT(store->commit_log().FlushedOffset(), end) << "the fake clock holds the interval flush back";
  Message wait = m.message();
  wait.flush_wait = FlushWait::kWait;
  ExpectDuplicateOf(store->Put(wait), first);
  EXPECT_GE(store->commit_log().FlushedOffset(), end) << "answered before the original was durable";
}

}  // namespace
}  // namespace mqstore
