#include "storage/timer/timer_metrics.h"

#include <initializer_list>
#include <limits>
#include <utility>

#include "format/fastjson_reader.h"
#include "storage/io/config_file.h"
#include "storage/store_log.h"

namespace mqstore {
namespace {

// One entry per topic, so the file grows with the store: no bound on its size.
constexpr uint64_t kNoSizeBound = std::numeric_limits<uint64_t>::max();

// The file nests three objects deep (the file, timingCount, a topic's entry).
constexpr int kMaxDepth = 3;

// A member whose value must be an integer; `field` gets it when the key is
// one this file knows (others are read and dropped).
Status IntegerMember(FastjsonReader& in, const std::string& key,
                     std::initializer_list<std::pair<std::string_view, int64_t*>> fields) {
  auto v = in.Integer("an integer " + key);
  if (!v.ok()) return v.error();
  for (const auto& [name, field] : fields)
    if (key == name) *field = *v;
  return Status::Ok();
}

}  // namespace

bool TimerMetrics::FromJson(std::string_view text) {
  FastjsonReader in(text, kMaxDepth);
  std::map<std::string, Entry, std::less<>> counts;
  int64_t counter = 0, state = 0, ts = 0;
  auto object = [&](int depth, auto&& member) -> Status {
    in.SkipSpace();
    MQ_RETURN_IF_ERROR(in.Expect('{', "'{'"));
    return in.Members(depth, member);
  };
  Status st = object(1, [&](const std::string& name) -> Status {
    if (name == "dataVersion") {
      return object(2, [&](const std::string& field) {
        return IntegerMember(in, field, {{"counter", &counter}, {"stateVersion", &state}, {"timestamp", &ts}});
      });
    }
    if (name == "timingCount") {
      return object(2, [&](const std::string& topic) {
        Entry e;  // a repeated topic: the last entry wins whole
        Status parsed = object(3, [&](const std::string& field) {
          return IntegerMember(in, field, {{"count", &e.count}, {"timeStamp", &e.time_stamp}});
        });
        counts[topic] = e;
        return parsed;
      });
    }
    return in.ErrorAt(in.key_at(), "dataVersion or timingCount");
  });
  in.SkipSpace();
  if (!st.ok() || !in.AtEnd()) return false;
  counts_ = std::move(counts);
  counter_ = counter;
  state_version_ = state;
  timestamp_ = ts;
  return true;
}

Status TimerMetrics::Load() {
  for (const std::string& path : {path_, ConfigBackupPath(path_)}) {
    auto text = ReadConfigFile(fs_, path, kNoSizeBound);
    if (text.ok() && !text->has_value()) continue;
    if (text.ok() && FromJson(**text)) return Status::Ok();
    StoreLog(LogLevel::kWarn, "timer metrics: " + path + " does not parse; " +
                                  (path == path_ ? "trying the .bak copy" : "starting from empty counts"));
  }
  counts_.clear();
  return Status::Ok();
}

void TimerMetrics::Add(std::string_view topic, int64_t delta, int64_t now_ms) {
  auto it = counts_.find(topic);
  if (it == counts_.end()) it = counts_.emplace(std::string(topic), Entry{}).first;
  it->second.count += delta;
  it->second.time_stamp = now_ms;
  dirty_ = true;
}

int64_t TimerMetrics::Count(std::string_view topic) const {
  auto it = counts_.find(topic);
  return it == counts_.end() ? 0 : it->second.count;
}

std::string TimerMetrics::ToJson() const {
  std::string out = "{\"dataVersion\":{\"counter\":" + std::to_string(counter_) +
                    ",\"stateVersion\":" + std::to_string(state_version_) +
                    ",\"timestamp\":" + std::to_string(timestamp_) + "},\"timingCount\":{";
  bool first = true;
  for (const auto& [topic, e] : counts_) {
    if (!first) out += ',';
    first = false;
    AppendFastjsonString(out, topic);
    out += ":{\"count\":" + std::to_string(e.count) + ",\"timeStamp\":" + std::to_string(e.time_stamp) + "}";
  }
  out += "}}";
  return out;
}

Status TimerMetrics::Persist(int64_t now_ms) {
  std::optional<std::string> json = TakeChange(now_ms);
  if (!json) return Status::Ok();
  Status st = Write(*json);
  if (!st.ok()) MarkDirty();
  return st;
}

std::optional<std::string> TimerMetrics::TakeChange(int64_t now_ms) {
  if (!dirty_) return std::nullopt;
  ++counter_;
  timestamp_ = now_ms;
  dirty_ = false;
  return ToJson();
}

Status TimerMetrics::Write(const std::string& json) const {
  return PersistConfigFile(fs_, path_, json, {}, kNoSizeBound);
}

}  // namespace mqstore
