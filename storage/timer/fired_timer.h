// What firing a timer makes of its record (TimerMessageStore.convert and convertMessage): the
// properties it reads, the fired properties (TIMER_ENQUEUE_MS,
// TIMER_DEQUEUE_MS and for a roll TIMER_ROLL_TIMES added, nothing removed),
// and the message re-put to the real topic. Shared by the one-by-one path
// and the bulk one (timer_message_store_staging.cc), so both store the same
// bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "format/properties.h"
#include "format/message_record.h"
#include "mqstore/message.h"

namespace mqstore {

// A decimal long as Java's Long.parseLong reads it; nullopt when absent,
// empty or not a number.
std::optional<int64_t> ParseTimerLong(std::optional<std::string_view> s);

// What firing a timer reads from its record's properties, in one pass
// (the last pair of a name wins, as in the map).
struct FiredTimerProperties {
  std::string_view real_topic, uniq;
  std::optional<std::string_view> real_qid, del_key, roll_times, out_ms;
  bool stamped = false;  // TIMER_ENQUEUE_MS / TIMER_DEQUEUE_MS already there (a rolled timer)

  static FiredTimerProperties Of(const PropertiesView& props);
};

// Whether BuildFiredProperties appends the two stamps to the record's
// string as it is: then TIMER_DEQUEUE_MS's value is the last thing before
// the final separator.
bool FiredPropertiesAppend(const PropertiesView& props, const FiredTimerProperties& f, bool roll);

// convert + convertMessage's properties into `out` (reused: this runs for
// every timer); false when they cannot be written again.
bool BuildFiredProperties(const PropertiesView& props, const FiredTimerProperties& f, int64_t enqueue_ms,
                          int64_t now_ms, bool roll, std::string& out);

// The message re-put for a fired timer: to REAL_TOPIC / `real_qid` (a
// roll: the timer topic again), the record's other fields, `properties`,
// waiting for no flush (RocketMQ's waitStoreMsgOK = false). Views into `m`.
Message FiredMessage(const MessageRecordView& m, const FiredTimerProperties& f, bool roll, int32_t real_qid,
                     std::string_view properties);

}  // namespace mqstore
