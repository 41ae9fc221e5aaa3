// Put hooks on a live store: the store's own schedule rewrite (4.9 style),
// the same rewrite from an embedder's hook (5.x style), and hooks that
// refuse a put.
#include <gtest/gtest.h>

#include "format/property_map.h"
#include "storage/queue/consume_queue.h"
#include "storage/queue/consume_queue_store.h"
#include "storage/store_log.h"
#include "tests/storage/engine_test_util.h"
#include "tests/support/golden.h"

namespace mqstore {
namespace {

class PutHookTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetLogSink({});
    config_ = test::SmallStoreConfig(tmp_.path() + "/store");
  }
  std::unique_ptr<MessageStore> Open(const StoreHooks& hooks = {}) {
    auto store = MessageStore::Open(config_, Env::Default(), hooks);
    EXPECT_TRUE(store.ok()) << store.error().ToString();
    return store.ok() ? std::move(*store) : nullptr;
  }
  // A message to TopicA queue 1 with these properties added.
  test::OwnedMessage Delayed(const std::string& key, std::vector<std::pair<std::string, std::string>> extra) {
    test::OwnedMessage m("TopicA", 1, 100, key);
    PropertyMap props = PropertyMap::Parse(m.properties);
    for (const auto& [k, v] : extra) props.Set(k, v);
    m.properties = *props.Serialize();
    return m;
  }
  static ConsumeQueueUnit UnitOf(MessageStore& store, std::string_view topic, int32_t queue, int64_t offset) {
    const ConsumeQueue* q = store.consume_queues().Find(topic, queue);
    EXPECT_NE(q, nullptr) << topic << "/" << queue;
    auto unit = q ? q->GetUnit(offset) : std::nullopt;
    EXPECT_TRUE(unit.has_value());
    return unit.value_or(ConsumeQueueUnit{});
  }
  test::TempDir tmp_;
  StoreConfig config_;
};

TEST_F(PutHookTest, TheStoreMovesADelayedPutToItsLevelsQueueWithTheDeliverTimeAsTagsCode) {
  auto store = Open();
  ASSERT_TRUE(store);
  const auto m = Delayed("K1", {{"DELAY", "3"}});
  const PutResult r = store->Put(m.message());
  ASSERT_TRUE(r.ok()) << r.reason;
  test::WaitDispatched(*store);
  auto view = store->LookMessageByOffset(r.wrote_offset);
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->message.topic, "SCHEDULE_TOPIC_XXXX");
  EXPECT_EQ(view->message.queue_id, 2);
  EXPECT_EQ(view->message.properties().Get("REAL_TOPIC"), std::optional<std::string_view>("TopicA"));
  EXPECT_EQ(UnitOf(*store, "SCHEDULE_TOPIC_XXXX", 2, 0).tags_code, r.store_timestamp + 10000) << "level 3 = 10s";
}

TEST_F(PutHookTest, ATimerPutIsStoredOnTheWheelTopic) {
  auto store = Open();
  ASSERT_TRUE(store);
  const auto m = Delayed("K1", {{"TIMER_DELAY_SEC", "30"}});
  const PutResult r = store->Put(m.message());
  ASSERT_TRUE(r.ok()) << r.reason;
  test::WaitDispatched(*store);
  auto view = store->LookMessageByOffset(r.wrote_offset);
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->message.topic, "rmq_sys_wheel_timer");
  EXPECT_TRUE(view->message.properties().Get("TIMER_OUT_MS").has_value());
}

TEST_F(PutHookTest, ARefusedTimerStoresNothingAndCountsAsAFailedPut) {
  auto store = Open();
  ASSERT_TRUE(store);
  const int64_t before = store->GetMaxPhyOffset();
  const auto m = Delayed("K1", {{"TIMER_DELAY_SEC", "soon"}});
  const PutResult r = store->Put(m.message());
  EXPECT_EQ(r.status, PutStatus::kWheelTimerMsgIllegal);
  EXPECT_EQ(store->GetMaxPhyOffset(), before);
  EXPECT_EQ(store->Stats().puts_failed, 1u);
  auto f = store->PutAsync(m.message());
  EXPECT_EQ(f.get().status, PutStatus::kWheelTimerMsgIllegal) << "PutAsync runs the hooks too";
}

TEST_F(PutHookTest, ABatchIsStoredAsItIs) {
  auto store = Open();
  ASSERT_TRUE(store);
  const auto m = Delayed("K1", {{"DELAY", "3"}});
  const Message batch[] = {m.message()};
  const PutResult r = store->PutBatch(batch);
  ASSERT_TRUE(r.ok()) << r.reason;
  test::WaitDispatched(*store);
  auto view = store->LookMessageByOffset(r.wrote_offset);
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->message.topic, "TopicA");
}

TEST_F(PutHookTest, WithTheRewriteOutOfTheStoreAnEmbeddersHookDoesIt) {
  config_.scheduleRewriteInStore = false;
  MessageStore* self = nullptr;
  int calls = 0;
  StoreHooks hooks;
  hooks.put_hooks.push_back([&](Message& msg, MessageRewrite& rewrite) {
    ++calls;
    return HandleScheduleMessage(self->schedule_rules(), 1796508487363, msg, rewrite);
  });
  auto store = Open(hooks);
  ASSERT_TRUE(store);
  self = store.get();
  const auto m = Delayed("K1", {{"DELAY", "2"}});
  const PutResult r = store->Put(m.message());
  ASSERT_TRUE(r.ok()) << r.reason;
  EXPECT_EQ(calls, 1);
  test::WaitDispatched(*store);
  auto view = store->LookMessageByOffset(r.wrote_offset);
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->message.topic, "SCHEDULE_TOPIC_XXXX");
  EXPECT_EQ(view->message.queue_id, 1);
}

TEST_F(PutHookTest, WithoutAnyHookADelayedPutStaysInItsTopic) {
  config_.scheduleRewriteInStore = false;
  auto store = Open();
  ASSERT_TRUE(store);
  const auto m = Delayed("K1", {{"DELAY", "2"}, {"TIMER_DELAY_SEC", "soon"}});
  const PutResult r = store->Put(m.message());
  ASSERT_TRUE(r.ok()) << r.reason;
  test::WaitDispatched(*store);
  auto view = store->LookMessageByOffset(r.wrote_offset);
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->message.topic, "TopicA");
}

TEST_F(PutHookTest, AHookThatAnswersEndsThePutAndLaterHooksDoNotRun) {
  bool second_ran = false;
  StoreHooks hooks;
  hooks.put_hooks.push_back([](Message& msg, MessageRewrite&) -> std::optional<PutResult> {
    if (msg.topic != "Forbidden") return std::nullopt;
    PutResult r;
    r.status = PutStatus::kMessageIllegal;
    r.reason = "no";
    return r;
  });
  hooks.put_hooks.push_back([&](Message&, MessageRewrite&) -> std::optional<PutResult> {
    second_ran = true;
    return std::nullopt;
  });
  auto store = Open(hooks);
  ASSERT_TRUE(store);
  test::OwnedMessage m("Forbidden", 0, 10, "K");
  EXPECT_EQ(store->Put(m.message()).status, PutStatus::kMessageIllegal);
  EXPECT_FALSE(second_ran);
  test::OwnedMessage ok("Allowed", 0, 10, "K2");
  EXPECT_TRUE(store->Put(ok.message()).ok());
  EXPECT_TRUE(second_ran);
}

// Every timer put of the golden 5.3.3 run, re-admitted: the record RocketMQ
// stored, less what the rewrite added, sent again to its real topic at the
// time RocketMQ took it, gives the same topic, queue and TIMER_OUT_MS, and
// every other property as stored.
TEST(ScheduleMessageGolden, TimerPutsOfA533RunAreAdmittedAsRocketMqAdmittedThem) {
  MQ_GOLDEN_OR_SKIP(golden);
  const std::string set = golden + "/rocketmq-5.3.3-timer/timer-clean";
  std::map<int64_t, test::Json> records;
  for (auto& j : test::ReadJsonLines(set + "/expected-commitlog.jsonl")) records[j["commitLogOffset"].i] = j;
  StoreConfig config;
  auto rules = ScheduleRules::FromConfig(config);
  ASSERT_TRUE(rules.ok());
  int checked = 0;
  for (const test::Json& put : test::ReadJsonLines(set + "/expected-puts.jsonl")) {
    if (put["status"].s != "PUT_OK" || put["storedTopic"].s != "rmq_sys_wheel_timer") continue;
    SCOPED_TRACE("put n=" + std::to_string(put["n"].i));
    const test::Json& stored = records.at(put["commitLogOffset"].i);
    PropertyMap sent;
    for (const auto& [k, v] : stored["properties"].StringMap())
      if (k != "REAL_TOPIC" && k != "REAL_QID" && k != "TIMER_OUT_MS") sent.Set(k, v);
    const std::string raw = *sent.Serialize();
    // The hook read the clock between the put call and the store time.
    bool matched = false;
    for (int64_t now : {put["putWallMs"].i, stored["storeTimestamp"].i}) {
      Message m;
      m.topic = put["sentTopic"].s;
      m.queue_id = static_cast<int32_t>(put["sentQueueId"].i);
      m.properties = raw;
      MessageRewrite rewrite;
      ASSERT_FALSE(HandleScheduleMessage(*rules, now, m, rewrite));
      EXPECT_EQ(m.topic, "rmq_sys_wheel_timer");
      EXPECT_EQ(m.queue_id, 0);
      PropertyMap got = PropertyMap::Parse(m.properties);
      matched = matched || got.Get("TIMER_OUT_MS") == std::to_string(put["timerOutMs"].i);
      EXPECT_EQ(got.Get("REAL_TOPIC"), put["sentTopic"].s);
      EXPECT_EQ(got.Get("REAL_QID"), std::to_string(put["sentQueueId"].i));
    }
    EXPECT_TRUE(matched) << "TIMER_OUT_MS " << put["timerOutMs"].i;
    ++checked;
  }
  EXPECT_EQ(checked, 305) << "292 timers and 13 recall markers";
}

}  // namespace
}  // namespace mqstore
