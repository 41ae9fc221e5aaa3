#include "storage/timer/timer_metrics.h"

#include <initializer_list>
#include <span>
#include <utility>

#include "format/fastjson_reader.h"
#include "storage/store_log.h"

namespace mqstore {
namespace {

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

Result<std::string> ReadWhole(FileSystem& fs, const std::string& path) {
  auto mapping = fs.MapReadOnly(path);
  if (!mapping.ok()) return mapping.error();
  auto bytes = (*mapping)->data();
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

Status WriteWhole(FileSystem& fs, const std::string& path, std::string_view text) {
  auto file = fs.NewSequentialFile(path);
  if (!file.ok()) return file.error();
  MQ_RETURN_IF_ERROR((*file)->Append(std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size())));
  MQ_RETURN_IF_ERROR((*file)->Sync());
  return (*file)->Close();
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
  for (const std::string& path : {path_, path_ + ".bak"}) {
    if (!fs_.Exists(path)) continue;
    auto text = ReadWhole(fs_, path);
    if (text.ok() && FromJson(*text)) return Status::Ok();
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
  if (!dirty_) return Status::Ok();
  ++counter_;
  timestamp_ = now_ms;
  MQ_RETURN_IF_ERROR(CreateDirectoriesDurably(fs_, ParentPath(path_)));
  const std::string tmp = path_ + ".tmp", bak = path_ + ".bak";
  MQ_RETURN_IF_ERROR(WriteWhole(fs_, tmp, ToJson()));
  if (fs_.Exists(path_)) {
    auto old = ReadWhole(fs_, path_);
    if (old.ok()) MQ_RETURN_IF_ERROR(WriteWhole(fs_, bak, *old));
  }
  MQ_RETURN_IF_ERROR(fs_.Rename(tmp, path_));
  MQ_RETURN_IF_ERROR(fs_.SyncDirectory(ParentPath(path_)));
  dirty_ = false;
  return Status::Ok();
}

}  // namespace mqstore
