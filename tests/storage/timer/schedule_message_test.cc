// The schedule rewrite of a put: delay levels and timer admission as the
// 5.3.3 broker's handleScheduleMessage does them.
#include "mqstore/schedule_message.h"

#include <gtest/gtest.h>

#include "format/delay_levels.h"
#include "format/property_map.h"
#include "mqstore/sys_flag.h"

namespace mqstore {
namespace {

constexpr int64_t kNow = 1796508487363;

class ScheduleMessageTest : public ::testing::Test {
 protected:
  ScheduleMessageTest() { rules_.delay_level_millis = DefaultDelayLevels(); }

  // Runs the rewrite on a message to TopicA queue 2 with these properties.
  std::optional<PutResult> Rewrite(std::vector<std::pair<std::string, std::string>> props, int64_t now = kNow) {
    PropertyMap map;
    for (const auto& [k, v] : props) map.Set(k, v);
    raw_ = *map.Serialize();
    message_ = Message{};
    message_.topic = "TopicA";
    message_.queue_id = 2;
    message_.properties = raw_;
    message_.sys_flag = sys_flag_;
    return HandleScheduleMessage(rules_, now, message_, rewrite_);
  }
  std::optional<std::string_view> Prop(std::string_view name) {
    stored_ = PropertyMap::Parse(message_.properties);
    return stored_.Get(name);
  }

  ScheduleRules rules_;
  int32_t sys_flag_ = 0;
  std::string raw_;
  Message message_;
  MessageRewrite rewrite_;
  PropertyMap stored_;
};

TEST_F(ScheduleMessageTest, ADelayLevelGoesToTheScheduleTopicQueueLevelMinusOne) {
  EXPECT_FALSE(Rewrite({{"DELAY", "3"}, {"UNIQ_KEY", "K"}}));
  EXPECT_EQ(message_.topic, "SCHEDULE_TOPIC_XXXX");
  EXPECT_EQ(message_.queue_id, 2);
  EXPECT_EQ(Prop("REAL_TOPIC"), std::optional<std::string_view>("TopicA"));
  EXPECT_EQ(Prop("REAL_QID"), std::optional<std::string_view>("2"));
  EXPECT_EQ(Prop("DELAY"), std::optional<std::string_view>("3")) << "the dispatcher needs it for the deliver time";
}

TEST_F(ScheduleMessageTest, ALevelPastTheLastIsClampedToIt) {
  EXPECT_FALSE(Rewrite({{"DELAY", "99"}}));
  EXPECT_EQ(message_.queue_id, 17);
  EXPECT_EQ(Prop("DELAY"), std::optional<std::string_view>("18"));
}

TEST_F(ScheduleMessageTest, ALevelWinsOverTimerPropertiesWhichAreDropped) {
  EXPECT_FALSE(Rewrite({{"DELAY", "1"}, {"TIMER_DELIVER_MS", std::to_string(kNow + 5000)}, {"TIMER_DELAY_SEC", "9"}}));
  EXPECT_EQ(message_.topic, "SCHEDULE_TOPIC_XXXX");
  EXPECT_FALSE(Prop("TIMER_DELIVER_MS"));
  EXPECT_FALSE(Prop("TIMER_DELAY_SEC"));
}

TEST_F(ScheduleMessageTest, PreparedAndRollbackMessagesAreNeverDelayed) {
  for (int32_t flag : {sysflag::kTransactionPreparedType, sysflag::kTransactionRollbackType}) {
    sys_flag_ = flag;
    EXPECT_FALSE(Rewrite({{"DELAY", "3"}, {"TIMER_DELAY_SEC", "5"}}));
    EXPECT_EQ(message_.topic, "TopicA") << flag;
  }
  sys_flag_ = sysflag::kTransactionCommitType;
  EXPECT_FALSE(Rewrite({{"DELAY", "3"}}));
  EXPECT_EQ(message_.topic, "SCHEDULE_TOPIC_XXXX") << "a commit is delayed like an ordinary message";
}

TEST_F(ScheduleMessageTest, ADelayThatIsNotANumberIsIllegalAndZeroIsNoDelay) {
  auto r = Rewrite({{"DELAY", "3x"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, PutStatus::kMessageIllegal);
  EXPECT_NE(r->reason.find("DELAY"), std::string::npos) << r->reason;
  EXPECT_FALSE(Rewrite({{"DELAY", "0"}}));
  EXPECT_EQ(message_.topic, "TopicA");
}

TEST_F(ScheduleMessageTest, ATimerGoesToTheWheelTopicWithItsRoundedTime) {
  EXPECT_FALSE(Rewrite({{"TIMER_DELAY_SEC", "3"}, {"UNIQ_KEY", "K"}}));
  EXPECT_EQ(message_.topic, "rmq_sys_wheel_timer");
  EXPECT_EQ(message_.queue_id, 0);
  EXPECT_EQ(Prop("TIMER_OUT_MS"), std::optional<std::string_view>("1796508490000")) << "golden put n=0";
  EXPECT_EQ(Prop("REAL_TOPIC"), std::optional<std::string_view>("TopicA"));
  EXPECT_EQ(Prop("REAL_QID"), std::optional<std::string_view>("2"));
  EXPECT_EQ(Prop("TIMER_DELAY_SEC"), std::optional<std::string_view>("3")) << "the request stays in the record";
}

TEST_F(ScheduleMessageTest, AnExactMultipleOfThePrecisionMovesOneStepEarlier) {
  const int64_t base = 1796508488000;
  EXPECT_FALSE(Rewrite({{"TIMER_DELIVER_MS", std::to_string(base + 9000)}}));
  EXPECT_EQ(Prop("TIMER_OUT_MS"), std::optional<std::string_view>(std::to_string(base + 8000)));
  EXPECT_FALSE(Rewrite({{"TIMER_DELIVER_MS", std::to_string(base + 12345)}}));
  EXPECT_EQ(Prop("TIMER_OUT_MS"), std::optional<std::string_view>(std::to_string(base + 12000)));
}

TEST_F(ScheduleMessageTest, SecondsWinOverMillisWhichWinOverAnAbsoluteTime) {
  EXPECT_FALSE(Rewrite({{"TIMER_DELIVER_MS", std::to_string(kNow + 50000)}, {"TIMER_DELAY_MS", "20500"},
                        {"TIMER_DELAY_SEC", "7"}}));
  EXPECT_EQ(Prop("TIMER_OUT_MS"), std::optional<std::string_view>(std::to_string((kNow + 7000) / 1000 * 1000)));
  EXPECT_FALSE(Rewrite({{"TIMER_DELIVER_MS", std::to_string(kNow + 50000)}, {"TIMER_DELAY_MS", "20500"}}));
  EXPECT_EQ(Prop("TIMER_OUT_MS"), std::optional<std::string_view>(std::to_string((kNow + 20500) / 1000 * 1000)));
}

TEST_F(ScheduleMessageTest, ATimeAlreadyPastIsAnOrdinaryMessageButAPastCancelIsIllegal) {
  EXPECT_FALSE(Rewrite({{"TIMER_DELIVER_MS", std::to_string(kNow - 60000)}}));
  EXPECT_EQ(message_.topic, "TopicA");
  EXPECT_EQ(message_.properties, raw_) << "not a byte changed";
  auto r = Rewrite({{"TIMER_DELIVER_MS", std::to_string(kNow)}, {"TIMER_DEL_UNIQKEY", "TopicA+K"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, PutStatus::kWheelTimerMsgIllegal);
}

TEST_F(ScheduleMessageTest, IllegalTimersAreRefusedWithTheirReason) {
  for (const auto& props : std::vector<std::vector<std::pair<std::string, std::string>>>{
           {{"TIMER_DELAY_SEC", "soon"}},
           {{"TIMER_DELAY_SEC", std::to_string(3 * 86400 + 3600)}},  // past timerMaxDelaySec
           {{"TIMER_DELAY_MS", "1e3"}},
           {{"TIMER_DELAY_SEC", "9223372036854775"}},  // x1000 overflows: Java wraps, we refuse
           {{"TIMER_DELIVER_MS", "99999999999999999999"}}}) {
    auto r = Rewrite(props);
    ASSERT_TRUE(r) << props[0].first << "=" << props[0].second;
    EXPECT_EQ(r->status, PutStatus::kWheelTimerMsgIllegal) << props[0].second;
    EXPECT_FALSE(r->reason.empty());
  }
}

TEST_F(ScheduleMessageTest, AWheelThatIsOffRefusesTimersButNotDelayLevels) {
  rules_.timer_wheel_enable = false;
  auto r = Rewrite({{"TIMER_DELAY_SEC", "3"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, PutStatus::kWheelTimerNotEnable);
  EXPECT_FALSE(Rewrite({{"DELAY", "2"}}));
}

TEST_F(ScheduleMessageTest, AFullSlotIsFlowControlAskedWithTheRoundedTime) {
  int64_t asked = 0;
  rules_.timer_slot_congested = [&](int64_t ms) {
    asked = ms;
    return true;
  };
  auto r = Rewrite({{"TIMER_DELAY_MS", "2500"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, PutStatus::kWheelTimerFlowControl);
  EXPECT_EQ(asked, (kNow + 2500) / 1000 * 1000);
}

TEST_F(ScheduleMessageTest, ARolledOrAlreadyTimedMessageIsNotTimedAgain) {
  EXPECT_FALSE(Rewrite({{"TIMER_DELAY_SEC", "3"}, {"TIMER_OUT_MS", "1796508490000"}}));
  EXPECT_EQ(message_.topic, "TopicA") << "TIMER_OUT_MS: a fired timer being put back";
  PropertyMap map;
  map.Set("TIMER_DELAY_SEC", "3");
  raw_ = *map.Serialize();
  message_ = Message{};
  message_.topic = "rmq_sys_wheel_timer";
  message_.properties = raw_;
  EXPECT_FALSE(HandleScheduleMessage(rules_, kNow, message_, rewrite_));
  EXPECT_EQ(message_.properties, raw_);
}

TEST_F(ScheduleMessageTest, OtherPropertiesKeepTheirBytesEmptyValuesIncluded) {
  EXPECT_FALSE(Rewrite({{"TRACE_CONTEXT", ""}, {"TIMER_DELAY_SEC", "3"}}));
  EXPECT_EQ(Prop("TRACE_CONTEXT"), std::optional<std::string_view>(""));
}

TEST_F(ScheduleMessageTest, TheQuickLookPassesOnlyWhatTheRewriteMayChange) {
  Message m;
  const std::string plain("KEYS\x01" "k\x02" "TAGS\x01" "t\x02"), delayed("DELAY\x01" "2\x02"),
      timed("TIMER_DELAY_MS\x01" "5\x02");
  m.properties = plain;
  EXPECT_FALSE(MayNeedScheduleRewrite(m));
  m.properties = delayed;
  EXPECT_TRUE(MayNeedScheduleRewrite(m));
  m.properties = timed;
  EXPECT_TRUE(MayNeedScheduleRewrite(m));
  m.sys_flag = sysflag::kTransactionPreparedType;
  EXPECT_FALSE(MayNeedScheduleRewrite(m));
}

TEST_F(ScheduleMessageTest, RulesComeFromTheConfig) {
  StoreConfig c;
  c.messageDelayLevel = "2s 4s";
  c.timerPrecisionMs = 100;
  c.timerMaxDelaySec = 60;
  c.timerWheelEnable = false;
  auto rules = ScheduleRules::FromConfig(c);
  ASSERT_TRUE(rules.ok());
  EXPECT_EQ(rules->delay_level_millis, (std::vector<int64_t>{2000, 4000}));
  EXPECT_EQ(rules->timer_precision_ms, 100);
  EXPECT_EQ(rules->timer_max_delay_sec, 60);
  EXPECT_FALSE(rules->timer_wheel_enable);
}

}  // namespace
}  // namespace mqstore
