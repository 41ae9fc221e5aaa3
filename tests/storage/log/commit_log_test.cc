// CommitLog through MessageStore with small segments, on both write backends.
#include "storage/log/commit_log.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "format/message_id.h"
#include "format/topic_name.h"
#include "storage/io/fake_clock.h"
#include "storage/log/commit_log_cursor.h"
#include "storage/message_store.h"
#include "storage/store_log.h"
#include "tests/storage/engine_test_util.h"
#include "tests/storage/store_test_util.h"
#include "tests/support/golden.h"

namespace mqstore {
namespace {

class CommitLogTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    SetLogSink({});
    config_ = test::SmallStoreConfig(tmp_.path() + "/store", GetParam());
  }
  std::unique_ptr<MessageStore> OpenStore() {
    auto store = MessageStore::Open(config_);
    EXPECT_TRUE(store.ok()) << store.error().ToString();
    return store.ok() ? std::move(*store) : nullptr;
  }
  test::TempDir tmp_;
  StoreConfig config_;
};

// A bare commit log of 64 KiB segments, no prefault window.
CommitLogOptions SmallLogOptions(const test::TempDir& tmp) {
  CommitLogOptions o;
  o.dir = tmp.path() + "/commitlog";
  o.segment_size = 64 * 1024;
  o.backend = WriteBackend::kMmap;
  o.prefault_ahead = 0;
  o.limits.max_record_size = 32 * 1024;
  return o;
}

// The log's events, counted.
struct CountedEvents final : CommitLogEvents {
  int backlogs = 0, segments = 0, commits = 0;
  void OnCommitBacklog() override { ++backlogs; }
  void OnSegmentsGrew() override { ++segments; }
  void OnCommitted() override { ++commits; }
};

// A slave's sender sends committed bytes only: with the write backend it
// is told each time a commit moved `committed`, and not for a commit that
// found nothing to write.
TEST(CommitLogCommitListener, HearsEachCommitThatMovedTheCommittedEnd) {
  SetLogSink({});
  test::TempDir tmp;
  CommitLogOptions o = SmallLogOptions(tmp);
  o.backend = WriteBackend::kWrite;
  CommitLog log(Env::Default(), o);
  ASSERT_TRUE(log.Load().ok());
  ASSERT_TRUE(log.Recover(false, 0).ok());
  CountedEvents events;
  log.SetEvents(&events);
  test::OwnedMessage m("T", 0, 100, "k");
  ASSERT_TRUE(log.Put(m.message()).ok());
  EXPECT_EQ(events.commits, 0) << "a put fills the ring only";
  EXPECT_EQ(log.MaxOffset(), 0);
  ASSERT_TRUE(log.Commit().ok());
  EXPECT_EQ(events.commits, 1);
  EXPECT_EQ(log.MaxOffset(), log.WroteOffset());
  ASSERT_TRUE(log.Commit().ok());
  EXPECT_EQ(events.commits, 1) << "nothing new was committed";
  log.SetEvents(nullptr);
}

// Retention is woken by these two events (cleanup_service.h): a segment
// more, and a full segment that became deletable.
TEST(CommitLogSegmentListener, HearsEachNewSegmentAndEachFullSegmentMadeDurable) {
  SetLogSink({});
  test::TempDir tmp;
  CommitLog log(Env::Default(), SmallLogOptions(tmp));
  ASSERT_TRUE(log.Load().ok());
  ASSERT_TRUE(log.Recover(false, 0).ok());
  CountedEvents events;
  log.SetEvents(&events);
  const int& heard = events.segments;
  test::OwnedMessage m("T", 0, 1000, "k");
  while (log.SegmentCount() < 3) ASSERT_TRUE(log.Put(m.message()).ok());
  EXPECT_EQ(heard, 3) << "the first segment and two rolls";
  ASSERT_TRUE(log.Put(m.message()).ok());
  EXPECT_EQ(heard, 3) << "a put into the same segment is not reported";

  CommitLog::SyncPlan plan;
  log.PlanSync(log.MarkNow(), 0, plan);
  ASSERT_EQ(plan.files.size(), 3u);
  log.SyncDone(plan);
  EXPECT_EQ(heard, 4) << "one report for the sync that made the two full segments durable";
  ASSERT_TRUE(log.Put(m.message()).ok());
  log.PlanSync(log.MarkNow(), 0, plan);
  ASSERT_EQ(plan.files.size(), 1u);
  log.SyncDone(plan);
  EXPECT_EQ(heard, 4) << "the newest is not full: nothing more can be deleted";
  EXPECT_EQ(log.OldestSegment()->start_offset(), 0);
}

// PutBatch asks its gate once the batch is checked and encoded, before it
// appends: an answer is the put's result and nothing is appended; a message
// the log refuses is refused without asking.
TEST(CommitLogPutGate, AnAnswerStopsThePutAndARefusedMessageNeverAsks) {
  SetLogSink({});
  test::TempDir tmp;
  CommitLog log(Env::Default(), SmallLogOptions(tmp));
  ASSERT_TRUE(log.Load().ok());
  ASSERT_TRUE(log.Recover(false, 0).ok());
  struct Gate final : CommitLog::PutGate {
    int asked = 0;
    std::optional<PutResult> answer;
    std::optional<PutResult> BeforeAppend() override {
      ++asked;
      return answer;
    }
  } gate;
  test::OwnedMessage m("T", 0, 100, "k");
  const Message message = m.message();

  const PutResult stored = log.PutBatch({&message, 1}, &gate);
  ASSERT_TRUE(stored.ok()) << stored.reason;
  EXPECT_EQ(gate.asked, 1);
  const int64_t end = log.WroteOffset();
  EXPECT_EQ(end, stored.wrote_bytes);

  PutResult answer;
  answer.status = PutStatus::kPutOk;
  answer.duplicate = true;
  answer.wrote_offset = stored.wrote_offset;
  gate.answer = answer;
  const PutResult answered = log.PutBatch({&message, 1}, &gate);
  EXPECT_EQ(gate.asked, 2);
  EXPECT_TRUE(answered.ok());
  EXPECT_TRUE(answered.duplicate) << "the gate's answer, as it gave it";
  EXPECT_EQ(log.WroteOffset(), end) << "nothing appended";

  Message bad = message;
  bad.queue_id = -1;
  const PutResult refused = log.PutBatch({&bad, 1}, &gate);
  EXPECT_EQ(refused.status, PutStatus::kMessageIllegal);
  EXPECT_EQ(gate.asked, 2) << "a refused message never reaches the gate";
}

TEST_P(CommitLogTest, PutAssignsContiguousOffsetsAndTheRecordReadsBack) {
  auto store = OpenStore();
  ASSERT_TRUE(store);
  test::OwnedMessage m("TopicA", 3, 100, "K1");
  const PutResult a = store->Put(m.message());
  const PutResult b = store->Put(m.message());
  ASSERT_EQ(a.status, PutStatus::kPutOk) << a.reason;
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a.wrote_offset, 0);
  EXPECT_EQ(b.wrote_offset, a.wrote_bytes);
  EXPECT_EQ(a.queue_offset, 0);
  EXPECT_EQ(b.queue_offset, 1);
  EXPECT_EQ(a.msg_id(), OffsetMsgId(SocketAddress::V4(10, 0, 0, 2, 10911), 0));
  ASSERT_TRUE(store->Flush().ok());
  auto view = store->LookMessageByOffset(b.wrote_offset);
  ASSERT_TRUE(view.ok()) << view.error().ToString();
  EXPECT_EQ(view->message.topic, "TopicA");
  EXPECT_EQ(view->message.queue_id, 3);
  EXPECT_EQ(view->message.queue_offset, 1);
  EXPECT_EQ(view->message.physical_offset, b.wrote_offset);
  EXPECT_EQ(view->message.store_timestamp, b.store_timestamp);
  EXPECT_TRUE(view->message.BodyCrcMatches());
  EXPECT_EQ(view->message.properties().Get("UNIQ_KEY"), "K1");
  EXPECT_EQ(store->GetMaxPhyOffset(), a.wrote_bytes * 2);
  EXPECT_EQ(store->NextQueueOffset("TopicA", 3), 2);
}

TEST_P(CommitLogTest, RollsOverWithABlankRecordAndRejectsARecordLargerThanASegment) {
  config_.maxMessageSize = 1 << 20;  // larger than a segment: the segment is the limit
  auto store = OpenStore();
  ASSERT_TRUE(store);
  const int64_t segment = config_.mappedFileSizeCommitLog;
  // Size one record so it leaves exactly 8 bytes: it still fits.
  test::OwnedMessage probe("T", 0, 0, "P");
  const PutResult first = store->Put(probe.message());
  ASSERT_TRUE(first.ok());
  const int64_t overhead = first.wrote_bytes;  // record size with an empty body
  test::OwnedMessage exact("T", 0, static_cast<size_t>(segment - first.wrote_bytes - 8 - overhead), "P");
  const PutResult fit = store->Put(exact.message());
  ASSERT_TRUE(fit.ok()) << fit.reason;
  EXPECT_EQ(fit.wrote_offset + fit.wrote_bytes, segment - 8) << "a record may leave exactly the blank's 8 bytes";
  const PutResult next = store->Put(probe.message());
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next.wrote_offset, segment) << "the next record starts the next file";
  // Fill until a few more rolls happened.
  test::OwnedMessage mid("T", 1, 5000, "M");
  while (store->GetMaxPhyOffset() < 4 * segment) ASSERT_TRUE(store->Put(mid.message()).ok());
  // Too big for any segment: refused, nothing written.
  // (The wrote position: the readable end of the write backend moves with
  // the commit thread on its own.)
  const int64_t before = store->Stats().wrote_offset;
  test::OwnedMessage huge("T", 0, static_cast<size_t>(segment), "H");
  EXPECT_EQ(store->Put(huge.message()).status, PutStatus::kMessageIllegal);
  EXPECT_EQ(store->Stats().wrote_offset, before);
  ASSERT_TRUE(store->Shutdown().ok());
  const VerifyReport report = test::VerifyClean(config_.storePathRootDir, segment);
  EXPECT_GE(report.blanks, 4u);
  EXPECT_EQ(report.records, store->Stats().messages_stored);
}

TEST_P(CommitLogTest, CursorReadsEveryRecordInOrderAcrossSegments) {
  auto store = OpenStore();
  ASSERT_TRUE(store);
  std::vector<int64_t> offsets;
  for (int i = 0; i < 300; ++i) {
    test::OwnedMessage m("TopicC", i % 4, 100 + (i * 37) % 900, "K" + std::to_string(i));
    const PutResult r = store->Put(m.message());
    ASSERT_TRUE(r.ok());
    offsets.push_back(r.wrote_offset);
  }
  ASSERT_TRUE(store->Flush().ok());
  CommitLogCursor cursor = store->NewCursor(0);
  std::vector<int64_t> seen;
  for (auto e = cursor.Next(); e.kind == CommitLogCursor::Kind::kMessage; e = cursor.Next()) seen.push_back(e.offset);
  EXPECT_EQ(seen, offsets);
  EXPECT_EQ(cursor.Next().kind, CommitLogCursor::Kind::kCaughtUp);
  EXPECT_EQ(cursor.offset(), store->GetMaxPhyOffset());
}

TEST_P(CommitLogTest, BatchGetsConsecutiveQueueOffsetsAndOneStoreTime) {
  auto store = OpenStore();
  ASSERT_TRUE(store);
  std::vector<test::OwnedMessage> owned;
  for (int i = 0; i < 5; ++i) owned.emplace_back("TopicB", 2, 50 + i, "B" + std::to_string(i));
  std::vector<Message> batch;
  for (const auto& m : owned) batch.push_back(m.message());
  const PutResult r = store->PutBatch(batch);
  ASSERT_TRUE(r.ok()) << r.reason;
  ASSERT_TRUE(store->Flush().ok());  // the write backend shows readers committed bytes only
  EXPECT_EQ(r.msg_count, 5);
  CommitLogCursor cursor = store->NewCursor(0);
  for (int i = 0; i < 5; ++i) {
    auto e = cursor.Next();
    ASSERT_EQ(e.kind, CommitLogCursor::Kind::kMessage);
    EXPECT_EQ(e.message.queue_offset, i);
    EXPECT_EQ(e.message.store_timestamp, r.store_timestamp);
    EXPECT_EQ(e.message.body.size(), 50u + i);
  }
  batch[1].queue_id = 3;
  EXPECT_EQ(store->PutBatch(batch).status, PutStatus::kMessageIllegal) << "one topic and queue per batch";
}

TEST_P(CommitLogTest, TransactionPreparedAndRollbackRecordsTakeNoQueueOffset) {
  auto store = OpenStore();
  ASSERT_TRUE(store);
  test::OwnedMessage normal("TopicT", 0, 10, "N");
  test::OwnedMessage prepared("TopicT", 0, 10, "P", 0x4);
  test::OwnedMessage rollback("TopicT", 0, 10, "R", 0xC);
  test::OwnedMessage commit("TopicT", 0, 10, "C", 0x8);
  EXPECT_EQ(store->Put(normal.message()).queue_offset, 0);
  EXPECT_EQ(store->Put(prepared.message()).queue_offset, 0);
  EXPECT_EQ(store->Put(rollback.message()).queue_offset, 0);
  EXPECT_EQ(store->Put(commit.message()).queue_offset, 1);
  EXPECT_EQ(store->NextQueueOffset("TopicT", 0), 2);
}

TEST_P(CommitLogTest, RefusesWhatRocketMqRefusesWithItsStatus) {
  auto store = OpenStore();
  ASSERT_TRUE(store);
  test::OwnedMessage m("TopicA", 0, 10, "K");
  std::string long_props(40000, 'x');
  Message bad = m.message();
  bad.properties = long_props;
  EXPECT_EQ(store->Put(bad).status, PutStatus::kPropertiesSizeExceeded);
  test::OwnedMessage big("TopicA", 0, static_cast<size_t>(config_.maxMessageSize) + 1, "K");
  EXPECT_EQ(store->Put(big.message()).status, PutStatus::kMessageIllegal);
  bad = m.message();
  bad.queue_id = -1;
  EXPECT_EQ(store->Put(bad).status, PutStatus::kMessageIllegal);
  EXPECT_EQ(PutStatusName(PutStatus::kOsPageCacheBusy), "OS_PAGE_CACHE_BUSY");
  ASSERT_TRUE(store->Shutdown().ok());
  EXPECT_EQ(store->Put(m.message()).status, PutStatus::kServiceNotAvailable);
}

TEST_P(CommitLogTest, TopicsThatAreNotOnePathComponentAreRefusedAndCreateNothing) {
  auto store = OpenStore();
  ASSERT_TRUE(store);
  const std::vector<std::string> bad = {"", ".", "..", "../../x", "a/b", "a\\b", std::string("x\0y", 3), "a\nb",
                                        std::string(128, 't'), std::string(256, 't'), "a.b", "t\xc3\xa9"};
  for (const std::string& topic : bad) {
    test::OwnedMessage m(topic, 0, 10, "K");
    const PutResult r = store->Put(m.message());
    EXPECT_EQ(r.status, PutStatus::kMessageIllegal) << EscapeForDisplay(topic);
    EXPECT_NE(r.reason.find("topic"), std::string::npos) << r.reason;
  }
  ASSERT_TRUE(store->Put(test::OwnedMessage("%RETRY%group|a-b_c", 0, 10, "K").message()).ok());
  ASSERT_TRUE(store->Flush().ok());
  test::WaitDispatched(*store);
  ASSERT_TRUE(store->Shutdown().ok());
  // Nothing beside the store root, nothing in consumequeue/ but the good topic.
  auto beside = FileSystem::Default().ListDirectory(tmp_.path());
  ASSERT_TRUE(beside.ok());
  EXPECT_EQ(*beside, std::vector<std::string>{"store"});
  auto queues = FileSystem::Default().ListDirectory(config_.storePathRootDir + "/consumequeue");
  ASSERT_TRUE(queues.ok());
  EXPECT_EQ(*queues, std::vector<std::string>{"%RETRY%group|a-b_c"});
  store = OpenStore();
  ASSERT_TRUE(store) << "the store opens again";
}

TEST_P(CommitLogTest, MaxTopicLengthBoundsTheTopicUpToWhatAFileNameHolds) {
  {
    auto store = OpenStore();
    ASSERT_TRUE(store);
    EXPECT_TRUE(store->Put(test::OwnedMessage(std::string(127, 't'), 0, 10, "K").message()).ok());
    const PutResult r = store->Put(test::OwnedMessage(std::string(128, 't'), 0, 10, "K").message());
    EXPECT_EQ(r.status, PutStatus::kMessageIllegal);
    EXPECT_NE(r.reason.find("maxTopicLength"), std::string::npos) << r.reason;
  }
  config_.maxTopicLength = 255;
  auto store = OpenStore();
  ASSERT_TRUE(store);
  EXPECT_TRUE(store->Put(test::OwnedMessage(std::string(255, 't'), 0, 10, "K").message()).ok());
  EXPECT_EQ(store->Put(test::OwnedMessage(std::string(256, 't'), 0, 10, "K").message()).status,
            PutStatus::kMessageIllegal);
}

TEST_P(CommitLogTest, LongTopicsUseTheV2Magic) {
  config_.maxTopicLength = 255;
  auto store = OpenStore();
  ASSERT_TRUE(store);
  test::OwnedMessage m(std::string(200, 't'), 0, 10, "K");
  const PutResult r = store->Put(m.message());
  ASSERT_TRUE(r.ok()) << r.reason;
  ASSERT_TRUE(store->Flush().ok());
  auto view = store->LookMessageByOffset(r.wrote_offset);
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->message.version, MessageVersion::kV2);
  EXPECT_EQ(view->message.topic.size(), 200u);
}

// Opening commit-log files after the first one blocks until the test lets
// it go (a disk that stalls while the log rolls to a new file under the put
// lock).
class StallingNewSegmentFileSystem final : public test::ForwardingFileSystem {
 public:
  Result<std::unique_ptr<RandomRWFile>> OpenRandomRW(const std::string& path, OpenMode mode) override {
    if (path.find("/commitlog/") != std::string::npos && path.find("/00000000000000000000") == std::string::npos) {
      std::unique_lock lock(mu_);
      stalled_ = true;
      cv_.notify_all();
      cv_.wait(lock, [&] { return released_; });
    }
    return base().OpenRandomRW(path, mode);
  }
  void WaitUntilStalled() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return stalled_; });
  }
  void Release() {
    std::lock_guard lock(mu_);
    released_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stalled_ = false;
  bool released_ = false;
};

// The put lock's hold time is the Env's clock: a FakeClock moved past
// osPageCacheBusyTimeOutMills while the roll stalls, not a real wait.
TEST_P(CommitLogTest, APutLockHeldTooLongAnswersOsPageCacheBusy) {
  config_.osPageCacheBusyTimeOutMills = 100;
  StallingNewSegmentFileSystem fs;
  FakeClock clock;
  auto opened = MessageStore::Open(config_, Env(fs, clock));
  ASSERT_TRUE(opened.ok()) << opened.error().ToString();
  MessageStore& store = **opened;
  (*opened)->commit_log().Stop();  // no background allocation: the roll creates the file under the put lock
  test::OwnedMessage big("T", 0, 15000, "B");  // four fit a 64 KiB file, the fifth rolls
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(store.Put(big.message()).ok());
  std::thread roller([&] { EXPECT_TRUE(store.Put(big.message()).ok()); });  // rolls: stalls inside the lock
  fs.WaitUntilStalled();
  clock.Advance(400);
  const PutResult busy = store.Put(big.message());
  fs.Release();
  roller.join();
  EXPECT_EQ(busy.status, PutStatus::kOsPageCacheBusy) << PutStatusName(busy.status) << " " << busy.reason;
  EXPECT_TRUE(store.Put(big.message()).ok()) << "busy only while the lock is held";
}

INSTANTIATE_TEST_SUITE_P(Backends, CommitLogTest, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "write" : "mmap"; });

}  // namespace
}  // namespace mqstore
