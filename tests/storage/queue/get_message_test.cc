// GetMessage and the other consumer reads: RocketMQ's statuses and
// nextBeginOffset rules, transfer limits, tag filters (bitmap and scan agree),
// pinned results, offsets by time, and queryMessage's real-key check.
#include "storage/queue/get_message.h"

#include <gtest/gtest.h>

#include "format/java_string_hash.h"
#include "storage/io/fake_clock.h"
#include "storage/message_store.h"
#include "storage/store_log.h"
#include "tests/storage/engine_test_util.h"
#include "tests/support/golden.h"

namespace mqstore {
namespace {

class GetMessageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetLogSink({});
    root_ = tmp_.path() + "/store";
    config_ = test::SmallStoreConfig(root_, true, 1 << 20);
  }
  void Open(const Env& env = Env::Default()) {
    auto store = MessageStore::Open(config_, env);
    ASSERT_TRUE(store.ok()) << store.error().ToString();
    store_ = std::move(*store);
  }
  PutResult Put(const std::string& topic, int32_t queue, size_t body, const std::string& tag,
                const std::string& key = "") {
    test::OwnedMessage m(topic, queue, body, key);
    std::vector<Property> props = {{"TAGS", tag}};
    if (!key.empty()) props.push_back({"UNIQ_KEY", key});
    m.properties = *SerializeProperties(props);
    const PutResult r = store_->Put(m.message());
    EXPECT_TRUE(r.ok()) << r.reason;
    return r;
  }
  void CaughtUp() { test::WaitDispatched(*store_); }
  // Queue offsets a consumer receives pulling the whole queue with `filter`.
  std::vector<int64_t> PullAll(const std::string& topic, const MessageFilter* filter, bool bitmap, int* calls) {
    std::vector<int64_t> got;
    GetMessageResult r;
    int64_t next = 0;
    *calls = 0;
    while (next < store_->GetMaxOffsetInQueue(topic, 0)) {
      store_->GetMessage(GetMessageRequest{"g", topic, 0, next, 32, filter, bitmap}, r);
      ++*calls;
      EXPECT_GT(r.next_begin_offset, next) << "a pull must make progress";
      if (r.next_begin_offset <= next) break;
      for (const FoundMessage& f : r.messages) got.push_back(f.queue_offset);
      next = r.next_begin_offset;
    }
    return got;
  }
  test::TempDir tmp_;
  std::string root_;
  StoreConfig config_;
  FakeClock clock_;  // a test's store time when it opens with it; outlives store_
  std::unique_ptr<MessageStore> store_;
};

TEST_F(GetMessageTest, StatusesAndNextBeginOffsetFollowRocketMq) {
  Open();
  std::vector<PutResult> puts;
  for (int i = 0; i < 10; ++i) puts.push_back(Put("T", 0, 100, "a"));
  CaughtUp();
  GetMessageResult r = store_->GetMessage("g", "Nope", 0, 0, 32);
  EXPECT_EQ(r.status, GetMessageStatus::kNoMatchedLogicQueue);
  EXPECT_EQ(r.next_begin_offset, 0);
  r = store_->GetMessage("g", "T", 0, 3, 4);
  ASSERT_EQ(r.status, GetMessageStatus::kFound);
  ASSERT_EQ(r.messages.size(), 4u);
  EXPECT_EQ(r.next_begin_offset, 7);
  EXPECT_EQ(r.messages[0].queue_offset, 3);
  EXPECT_EQ(r.messages[0].phy_offset, puts[3].wrote_offset);
  EXPECT_EQ(r.min_offset, 0);
  EXPECT_EQ(r.max_offset, 10);
  r = store_->GetMessage("g", "T", 0, 10, 4);
  EXPECT_EQ(r.status, GetMessageStatus::kOffsetOverflowOne);
  EXPECT_EQ(r.next_begin_offset, 10);
  r = store_->GetMessage("g", "T", 0, 25, 4);
  EXPECT_EQ(r.status, GetMessageStatus::kOffsetOverflowBadly);
  EXPECT_EQ(r.next_begin_offset, 10);
  // The min offset moves up when the log's head goes (cleanup does this).
  store_->consume_queues().Find("T", 0)->CorrectMinOffset(puts[5].wrote_offset);
  r = store_->GetMessage("g", "T", 0, 2, 4);
  EXPECT_EQ(r.status, GetMessageStatus::kOffsetTooSmall);
  EXPECT_EQ(r.next_begin_offset, 5);
  EXPECT_EQ(store_->GetMinOffsetInQueue("T", 0), 5);
  EXPECT_EQ(store_->GetMinOffsetInQueue("Nope", 0), -1);
  EXPECT_EQ(store_->GetMaxOffsetInQueue("Nope", 0), 0);
  EXPECT_EQ(store_->GetCommitLogOffsetInQueue("T", 0, 99), 0);
  EXPECT_EQ(ToString(GetMessageStatus::kOffsetTooSmall), "OFFSET_TOO_SMALL");
}

TEST_F(GetMessageTest, TransferLimitsCapABatchButNeverBeforeTheFirstMessage) {
  config_.maxMessageSize = 512 * 1024;
  Open();
  for (int i = 0; i < 40; ++i) Put("Big", 0, 10 * 1024, "a");
  for (int i = 0; i < 50; ++i) Put("Small", 0, 10, "a");
  Put("Huge", 0, 300 * 1024, "a");
  CaughtUp();
  GetMessageResult r = store_->GetMessage("g", "Big", 0, 0, 64);
  ASSERT_EQ(r.status, GetMessageStatus::kFound);
  EXPECT_LE(r.buffer_total_size, config_.maxTransferBytesOnMessageInMemory);
  EXPECT_EQ(r.messages.size(), static_cast<size_t>(config_.maxTransferBytesOnMessageInMemory / r.messages[0].bytes.size()))
      << "256 KiB of 10 KiB records";
  r = store_->GetMessage("g", "Small", 0, 0, 64);
  EXPECT_EQ(r.messages.size(), 32u) << "maxTransferCountOnMessageInMemory";
  EXPECT_EQ(r.next_begin_offset, 32);
  r = store_->GetMessage("g", "Small", 0, 0, 5);
  EXPECT_EQ(r.messages.size(), 5u);
  r = store_->GetMessage("g", "Huge", 0, 0, 5);
  EXPECT_EQ(r.messages.size(), 1u) << "a record larger than the byte limit still comes alone";
}

TEST_F(GetMessageTest, TagFilterTakesOnlyItsTagAndCountsSkippedUnitsAsConsumed) {
  Open();
  for (int i = 0; i < 20; ++i) Put("T", 0, 50, i % 2 ? "TagB" : "TagA");
  CaughtUp();
  const TagFilter b = TagFilter::Parse("TagB");
  for (bool bitmap : {true, false}) {
    GetMessageResult r;
    store_->GetMessage(GetMessageRequest{"g", "T", 0, 0, 3, &b, bitmap}, r);
    ASSERT_EQ(r.status, GetMessageStatus::kFound);
    ASSERT_EQ(r.messages.size(), 3u);
    EXPECT_EQ(r.messages[0].queue_offset, 1);
    EXPECT_EQ(r.messages[2].queue_offset, 5);
    EXPECT_EQ(r.next_begin_offset, 6) << (bitmap ? "bitmap" : "scan");
    const TagFilter none = TagFilter::Parse("TagZ || TagY");
    store_->GetMessage(GetMessageRequest{"g", "T", 0, 0, 3, &none, bitmap}, r);
    EXPECT_EQ(r.status, GetMessageStatus::kNoMatchedMessage);
    EXPECT_TRUE(r.messages.empty());
    EXPECT_EQ(r.next_begin_offset, 20) << "every unit was looked at";
  }
  const TagFilter both = TagFilter::Parse(" TagA || TagB ");
  EXPECT_EQ(store_->GetMessage("g", "T", 0, 0, 32, &both).messages.size(), 20u);
  EXPECT_TRUE(TagFilter::Parse("*").accepts_all());
}

TEST_F(GetMessageTest, BitmapAndScanDeliverTheSameMessagesForARareTag) {
  Open();
  for (int i = 0; i < 3000; ++i) Put("T", 0, 20, i % 97 == 5 ? "Rare" : "Common" + std::to_string(i % 3));
  CaughtUp();
  const TagFilter rare = TagFilter::Parse("Rare");
  int bitmap_calls = 0, scan_calls = 0;
  const std::vector<int64_t> by_bitmap = PullAll("T", &rare, true, &bitmap_calls);
  const std::vector<int64_t> by_scan = PullAll("T", &rare, false, &scan_calls);
  EXPECT_EQ(by_bitmap, by_scan);
  EXPECT_EQ(by_bitmap.size(), 31u);
  EXPECT_LT(bitmap_calls, scan_calls) << "the bitmap jumps past non-matching units";
  EXPECT_GT(store_->Stats().tag_bitmap_bytes, 0u);
}

TEST_F(GetMessageTest, TagsBeyondTheTrackedBoundAreStillFoundByScanning) {
  config_.tagBitmapMaxTags = 2;
  Open();
  for (int i = 0; i < 200; ++i) Put("T", 0, 20, "Tag" + std::to_string(i % 5));
  CaughtUp();
  for (int t = 0; t < 5; ++t) {
    const TagFilter f = TagFilter::Parse("Tag" + std::to_string(t));
    int a = 0, b = 0;
    const std::vector<int64_t> with = PullAll("T", &f, true, &a);
    EXPECT_EQ(with, PullAll("T", &f, false, &b)) << "Tag" << t;
    EXPECT_EQ(with.size(), 40u);
  }
}

TEST_F(GetMessageTest, AUnitWhoseRecordIsGoneIsMessageWasRemoving) {
  Open();
  Put("T", 0, 50, "a");
  CaughtUp();
  ConsumeQueueOptions o;
  o.dir = tmp_.path() + "/other-cq";
  o.topic = "X";
  o.file_size = test::kSmallCqFileSize;
  ConsumeQueue q(FileSystem::Default(), o);
  ASSERT_TRUE(q.Load().ok());
  ASSERT_TRUE(q.PutUnit(50ll << 20, 100, 0, 0, 1).ok());  // past the log's end
  GetMessageResult r;
  GetMessage(store_->commit_log(), &q, GetMessageRequest{"g", "X", 0, 0, 4, nullptr, true}, ReadLimits{}, r);
  EXPECT_EQ(r.status, GetMessageStatus::kMessageWasRemoving);
  EXPECT_EQ(r.next_begin_offset, 1);
}

TEST_F(GetMessageTest, FoundRecordsStayReadableAfterTheStoreIsGone) {
  Open();
  Put("T", 0, 300, "a", "pinned-key");
  CaughtUp();
  GetMessageResult r = store_->GetMessage("g", "T", 0, 0, 1);
  ASSERT_EQ(r.status, GetMessageStatus::kFound);
  ASSERT_TRUE(store_->Shutdown().ok());
  store_.reset();
  auto rec = DecodeRecord(r.messages[0].bytes, RecordDecodeOptions{kDefaultMaxRecordSize, true});
  ASSERT_TRUE(rec.ok()) << "the result pins the segment mapping";
  EXPECT_EQ(rec->message.properties().Get("UNIQ_KEY"), "pinned-key");
  r.Clear();
  EXPECT_TRUE(r.pins.empty());
}

// Store times from a FakeClock: three records at each of four times, 3 ms
// apart.
TEST_F(GetMessageTest, OffsetByTimeFindsTheFirstRecordStoredAtOrAfterIt) {
  Open(Env::WithClock(clock_));
  std::vector<PutResult> puts;
  for (int i = 0; i < 12; ++i) {
    puts.push_back(Put("T", 0, 20, "a"));
    if (i % 3 == 2) clock_.Advance(3);
  }
  ASSERT_TRUE(store_->Flush().ok());  // commits them: the write backend would on its interval of the clock
  CaughtUp();
  for (int i = 0; i < 12; ++i) {
    int64_t first = i;
    while (first > 0 && puts[static_cast<size_t>(first - 1)].store_timestamp == puts[static_cast<size_t>(i)].store_timestamp) --first;
    EXPECT_EQ(store_->GetOffsetInQueueByTime("T", 0, puts[static_cast<size_t>(i)].store_timestamp), first);
  }
  EXPECT_EQ(store_->GetOffsetInQueueByTime("T", 0, 0), 0);
  EXPECT_EQ(store_->GetOffsetInQueueByTime("T", 0, puts.back().store_timestamp + 1), 12);
  EXPECT_EQ(store_->GetOffsetInQueueByTime("Nope", 0, 0), 0);
}

TEST_F(GetMessageTest, QueryMessageReturnsOnlyRecordsWhoseKeysReallyMatch) {
  Open();
  ASSERT_EQ(JavaStringHashCode("T#Aa"), JavaStringHashCode("T#BB")) << "a real String.hashCode collision";
  const PutResult aa = Put("T", 0, 20, "a", "Aa");
  Put("T", 0, 20, "a", "BB");
  Put("U", 0, 20, "a", "Aa");  // same key, other topic
  CaughtUp();
  QueryMessageResult q = store_->QueryMessage("T", "Aa", 32, 0, INT64_MAX);
  ASSERT_EQ(q.messages.size(), 1u);
  EXPECT_EQ(q.messages[0].message.physical_offset, aa.wrote_offset);
  EXPECT_GT(q.index_last_update_timestamp, 0);
  EXPECT_TRUE(store_->QueryMessage("T", "Aa", 32, 0, aa.store_timestamp - 1).messages.empty())
      << "stored after the end of the range";
  EXPECT_TRUE(store_->QueryMessage("T", "Cc", 32, 0, INT64_MAX).messages.empty());
}

}  // namespace
}  // namespace mqstore
