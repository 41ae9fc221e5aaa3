// The schedule rewrite of a put (RocketMQ's HookUtils.handleScheduleMessage,
// done inside the 4.9 store's put and by a 5.x broker's put hook): a
// delayed message goes to SCHEDULE_TOPIC_XXXX, a timer message to
// rmq_sys_wheel_timer, each with its real topic and queue kept in
// properties, for the store's delivery services to put back when due.
//
//   transaction type PREPARED or ROLLBACK ........................ unchanged
//   topic rmq_sys_wheel_timer (a rolled timer) ........ no timer rewrite
//   DELAY > 0:  TIMER_* dropped; DELAY clamped to the last level;
//               REAL_TOPIC, REAL_QID added; topic SCHEDULE_TOPIC_XXXX,
//               queue DELAY - 1
//   TIMER_DELAY_SEC / TIMER_DELAY_MS / TIMER_DELIVER_MS (that priority),
//   no TIMER_OUT_MS yet:
//     wheel off ................................... WHEEL_TIMER_NOT_ENABLE
//     unparsable ................................. WHEEL_TIMER_MSG_ILLEGAL
//     due at or before now: stored as it is (a TIMER_DEL_UNIQKEY cancel:
//                                                 WHEEL_TIMER_MSG_ILLEGAL)
//     more than timerMaxDelaySec ahead ........... WHEEL_TIMER_MSG_ILLEGAL
//     rounded to the precision p: an exact multiple of p moves one step
//       earlier (t - p), anything else is floored; slot full
//                                                 WHEEL_TIMER_FLOW_CONTROL
//     TIMER_OUT_MS = rounded time, REAL_TOPIC, REAL_QID added; topic
//     rmq_sys_wheel_timer, queue 0
//
// Unlike Java, a delay whose time in ms overflows 64 bits is refused
// (WHEEL_TIMER_MSG_ILLEGAL), and a DELAY that is not a number is
// MESSAGE_ILLEGAL rather than an exception.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "mqstore/message.h"
#include "mqstore/put_hook.h"
#include "mqstore/status.h"
#include "mqstore/store_config.h"

namespace mqstore {

inline constexpr std::string_view kScheduleTopicName = "SCHEDULE_TOPIC_XXXX";
inline constexpr std::string_view kTimerTopicName = "rmq_sys_wheel_timer";

struct ScheduleRules {
  std::vector<int64_t> delay_level_millis;  // messageDelayLevel, level 1 first
  bool timer_wheel_enable = true;
  int64_t timer_precision_ms = 1000;
  int64_t timer_max_delay_sec = 259200;
  // Flow control (TimerMessageStore.isReject): true when the slot of this
  // rounded delivery time is full. Unset: never.
  std::function<bool(int64_t deliver_ms)> timer_slot_congested;

  // The rules a store with `config` applies (messageDelayLevel must parse).
  static Result<ScheduleRules> FromConfig(const StoreConfig& config);
};

// False when the rewrite surely leaves `message` alone (no DELAY or TIMER_
// property, or a PREPARED/ROLLBACK transaction type): a put hook checks it
// before reading the clock.
bool MayNeedScheduleRewrite(const Message& message);

// Rewrites `message` (pointing its topic and properties into `rewrite`) as
// described above, with `now_ms` as the time; returns the put's answer when
// the message must not be stored, nullopt to go on with the put.
std::optional<PutResult> HandleScheduleMessage(const ScheduleRules& rules, int64_t now_ms, Message& message,
                                               MessageRewrite& rewrite);

}  // namespace mqstore
