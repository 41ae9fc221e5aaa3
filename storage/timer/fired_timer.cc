#include "storage/timer/fired_timer.h"

#include <charconv>
#include <vector>

#include "mqstore/sys_flag.h"

namespace mqstore {
namespace {

// Replaces `name`'s value in place (a HashMap put keeps its entry) or
// appends it.
void SetProperty(std::vector<Property>& props, std::string_view name, std::string_view value) {
  for (Property& p : props)
    if (p.name == name) {
      p.value = value;
      return;
    }
  props.push_back(Property{name, value});
}

void AppendPair(std::string& out, std::string_view name, int64_t value) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out += name;
  out += kNameValueSeparator;
  out.append(digits, end);
  out += kPropertySeparator;
}

}  // namespace

std::optional<int64_t> ParseTimerLong(std::optional<std::string_view> s) {
  if (!s || s->empty()) return std::nullopt;
  int64_t v = 0;
  auto r = std::from_chars(s->data(), s->data() + s->size(), v);
  if (r.ec != std::errc() || r.ptr != s->data() + s->size()) return std::nullopt;
  return v;
}

FiredTimerProperties FiredTimerProperties::Of(const PropertiesView& props) {
  FiredTimerProperties f;
  props.ForEach([&](const Property& p) {
    if (p.name == property::kRealTopic) f.real_topic = p.value;
    else if (p.name == property::kUniqKey) f.uniq = p.value;
    else if (p.name == property::kRealQueueId) f.real_qid = p.value;
    else if (p.name == property::kTimerDelUniqKey) f.del_key = p.value;
    else if (p.name == property::kTimerRollTimes) f.roll_times = p.value;
    else if (p.name == property::kTimerOutMs) f.out_ms = p.value;
    else if (p.name == property::kTimerEnqueueMs || p.name == property::kTimerDequeueMs) f.stamped = true;
  });
  return f;
}

// convert + convertMessage: the record's properties with
// TIMER_ENQUEUE_MS, TIMER_DEQUEUE_MS (and for a roll TIMER_ROLL_TIMES)
// added and nothing removed, so REAL_TOPIC, REAL_QID and TIMER_OUT_MS stay
// in the bytes as RocketMQ leaves them. A first firing appends to the
// record's string as it is (into `out`, reused: this runs for every timer);
// a rolled one, or one with empty values (which the map drops), goes
// through the list.
bool FiredPropertiesAppend(const PropertiesView& props, const FiredTimerProperties& f, bool roll) {
  const std::string_view raw = props.raw();
  const bool empty_value = raw.find("\x01\x02") != std::string_view::npos ||
                           (!raw.empty() && raw.back() == kNameValueSeparator);
  return !roll && !f.stamped && !f.roll_times && !empty_value;
}

bool BuildFiredProperties(const PropertiesView& props, const FiredTimerProperties& f, int64_t enqueue_ms,
                          int64_t now_ms, bool roll, std::string& out) {
  const std::string_view raw = props.raw();
  out.clear();
  if (FiredPropertiesAppend(props, f, roll)) {
    out.assign(raw);
    if (!out.empty() && out.back() != kPropertySeparator) out += kPropertySeparator;
    AppendPair(out, property::kTimerEnqueueMs, enqueue_ms);
    AppendPair(out, property::kTimerDequeueMs, now_ms);
    return true;
  }
  std::vector<Property> list = props.ToList();
  const std::string enqueue = std::to_string(enqueue_ms);
  SetProperty(list, property::kTimerEnqueueMs, enqueue);
  std::string roll_times;
  if (roll) {
    roll_times = std::to_string(ParseTimerLong(f.roll_times).value_or(0) + 1);
    SetProperty(list, property::kTimerRollTimes, roll_times);
  }
  const std::string dequeue = std::to_string(now_ms);
  SetProperty(list, property::kTimerDequeueMs, dequeue);
  return AppendProperties(out, list, TrailingSeparator::kAppend).ok();
}

Message FiredMessage(const MessageRecordView& m, const FiredTimerProperties& f, bool roll, int32_t real_qid,
                     std::string_view properties) {
  Message out;
  out.topic = roll ? m.topic : f.real_topic;
  out.queue_id = roll ? m.queue_id : real_qid;
  out.flag = m.flag;
  out.body = m.body;
  out.properties = properties;
  out.sys_flag = m.sys_flag & ~(sysflag::kBornHostV6 | sysflag::kStoreHostV6);
  out.born_timestamp = m.born_timestamp;
  out.born_host = m.born_host;
  out.store_host = m.store_host;
  out.reconsume_times = m.reconsume_times;
  out.flush_wait = FlushWait::kNoWait;  // waitStoreMsgOK = false
  return out;
}

}  // namespace mqstore
