// The schedule rewrite (include/mqstore/schedule_message.h).
#include "mqstore/schedule_message.h"

#include <string>

#include "format/delay_levels.h"
#include "format/java_number.h"
#include "format/property_map.h"
#include "mqstore/sys_flag.h"

namespace mqstore {
namespace {

PutResult Refuse(PutStatus status, std::string reason) {
  PutResult r;
  r.status = status;
  r.reason = std::move(reason);
  return r;
}

// Points the message at its rewritten topic, queue and properties.
std::optional<PutResult> Apply(const PropertyMap& props, std::string_view topic, int32_t queue_id, Message& m,
                               MessageRewrite& rewrite) {
  auto raw = props.Serialize();
  if (!raw.ok()) return Refuse(PutStatus::kMessageIllegal, raw.error().ToString());
  rewrite.properties = std::move(*raw);
  rewrite.topic.assign(topic);
  m.properties = rewrite.properties;
  m.topic = rewrite.topic;
  m.queue_id = queue_id;
  return std::nullopt;
}

void KeepRealTopicAndQueue(PropertyMap& props, const Message& m) {
  props.Set(property::kRealTopic, m.topic);
  props.Set(property::kRealQueueId, std::to_string(m.queue_id));
}

std::optional<PutResult> RewriteDelayLevel(const ScheduleRules& rules, int32_t level, PropertyMap& props, Message& m,
                                           MessageRewrite& rewrite) {
  const auto max_level = static_cast<int32_t>(rules.delay_level_millis.size());
  if (level > max_level) {
    level = max_level;
    props.Set(property::kDelay, std::to_string(level));
  }
  KeepRealTopicAndQueue(props, m);
  return Apply(props, kScheduleTopicName, level - 1, m, rewrite);
}

// The delivery time a timer message asks for: TIMER_DELAY_SEC, else
// TIMER_DELAY_MS, else TIMER_DELIVER_MS. nullopt: not a number, or the sum
// overflows.
std::optional<int64_t> RequestedDeliverMs(const PropertyMap& props, int64_t now_ms) {
  int64_t out = 0;
  if (auto sec = props.Get(property::kTimerDelaySec)) {
    const auto n = ParseJavaInteger<int64_t>(*sec);
    int64_t ms = 0;
    if (!n || __builtin_mul_overflow(*n, int64_t{1000}, &ms) || __builtin_add_overflow(now_ms, ms, &out))
      return std::nullopt;
    return out;
  }
  if (auto delay = props.Get(property::kTimerDelayMs)) {
    const auto n = ParseJavaInteger<int64_t>(*delay);
    if (!n || __builtin_add_overflow(now_ms, *n, &out)) return std::nullopt;
    return out;
  }
  return ParseJavaInteger<int64_t>(props.Get(property::kTimerDeliverMs).value_or(""));
}

// TimerMessageStore's rounding: floor to the precision, except that an
// exact multiple moves one step earlier.
int64_t RoundToPrecision(int64_t deliver_ms, int64_t precision_ms) {
  if (deliver_ms % precision_ms == 0) return deliver_ms - precision_ms;
  return deliver_ms / precision_ms * precision_ms;
}

std::optional<PutResult> RewriteTimer(const ScheduleRules& rules, int64_t now_ms, PropertyMap& props, Message& m,
                                      MessageRewrite& rewrite) {
  if (!rules.timer_wheel_enable)
    return Refuse(PutStatus::kWheelTimerNotEnable, "a timer message, and timerWheelEnable=false");
  const auto deliver = RequestedDeliverMs(props, now_ms);
  if (!deliver) return Refuse(PutStatus::kWheelTimerMsgIllegal, "TIMER_DELAY_SEC/TIMER_DELAY_MS/TIMER_DELIVER_MS is not a time in ms");
  if (*deliver <= now_ms) {
    if (props.Has(property::kTimerDelUniqKey))
      return Refuse(PutStatus::kWheelTimerMsgIllegal, "a timer cancel (TIMER_DEL_UNIQKEY) for a time already past");
    return std::nullopt;  // due now: an ordinary message
  }
  if (*deliver - now_ms > rules.timer_max_delay_sec * 1000)
    return Refuse(PutStatus::kWheelTimerMsgIllegal,
                  "delivery " + std::to_string(*deliver - now_ms) + " ms ahead is past timerMaxDelaySec=" +
                      std::to_string(rules.timer_max_delay_sec));
  const int64_t rounded = RoundToPrecision(*deliver, rules.timer_precision_ms);
  if (rules.timer_slot_congested && rules.timer_slot_congested(rounded))
    return Refuse(PutStatus::kWheelTimerFlowControl, "the timer slot of " + std::to_string(rounded) + " is full");
  props.Set(property::kTimerOutMs, std::to_string(rounded));
  KeepRealTopicAndQueue(props, m);
  return Apply(props, kTimerTopicName, 0, m, rewrite);
}

}  // namespace

// A quick look before any parsing: most puts carry neither property.
bool MayNeedScheduleRewrite(const Message& m) {
  if (!sysflag::TakesQueueOffset(m.sys_flag)) return false;  // the same NOT or COMMIT rule
  const std::string_view raw = m.properties;
  return raw.find(property::kDelay) != std::string_view::npos || raw.find("TIMER_") != std::string_view::npos;
}

Result<ScheduleRules> ScheduleRules::FromConfig(const StoreConfig& config) {
  auto levels = ParseDelayLevels(config.messageDelayLevel);
  if (!levels.ok()) return levels.error().WithContext("messageDelayLevel");
  ScheduleRules rules;
  rules.delay_level_millis = std::move(*levels);
  rules.timer_wheel_enable = config.timerWheelEnable;
  rules.timer_precision_ms = config.timerPrecisionMs;
  rules.timer_max_delay_sec = config.timerMaxDelaySec;
  return rules;
}

std::optional<PutResult> HandleScheduleMessage(const ScheduleRules& rules, int64_t now_ms, Message& m,
                                               MessageRewrite& rewrite) {
  if (!MayNeedScheduleRewrite(m)) return std::nullopt;
  PropertyMap props = PropertyMap::Parse(m.properties);
  int32_t level = 0;
  if (auto delay = props.Get(property::kDelay)) {
    const auto n = ParseJavaInteger<int32_t>(*delay);
    if (!n) return Refuse(PutStatus::kMessageIllegal, "DELAY='" + std::string(*delay) + "' is not a delay level");
    level = *n;
  }
  if (level > 0) {
    // The level wins over any timer property (HookUtils.checkIfTimerMessage).
    props.Erase(property::kTimerDeliverMs);
    props.Erase(property::kTimerDelaySec);
    props.Erase(property::kTimerDelayMs);
    return RewriteDelayLevel(rules, level, props, m, rewrite);
  }
  const bool rolled = m.topic == kTimerTopicName;  // a timer coming back from a roll
  const bool timer = props.Has(property::kTimerDeliverMs) || props.Has(property::kTimerDelayMs) ||
                     props.Has(property::kTimerDelaySec);
  if (rolled || !timer || props.Has(property::kTimerOutMs)) return std::nullopt;
  return RewriteTimer(rules, now_ms, props, m, rewrite);
}

}  // namespace mqstore
