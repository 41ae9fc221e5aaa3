#include "storage/timer/timer_metrics.h"

#include <charconv>
#include <cstdio>
#include <span>

#include "storage/store_log.h"

namespace mqstore {
namespace {

// fastjson's BrowserCompatible escaping: quotes, backslashes, control and
// non-ASCII bytes as \uXXXX (UTF-8 decoded to UTF-16 units).
void AppendJsonString(std::string& out, std::string_view s) {
  out += '"';
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x80) {
      out += static_cast<char>(c);
    } else {
      uint32_t cp = c;
      int more = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
      if (more > 0) cp = c & (0x3F >> more);
      for (; more > 0 && i + 1 < s.size(); --more) cp = (cp << 6) | (static_cast<unsigned char>(s[++i]) & 0x3F);
      auto unit = [&](uint32_t u) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04X", u & 0xFFFF);
        out += buf;
      };
      if (cp >= 0x10000) {
        cp -= 0x10000;
        unit(0xD800 + (cp >> 10));
        unit(0xDC00 + (cp & 0x3FF));
      } else {
        unit(cp);
      }
    }
  }
  out += '"';
}

// A minimal reader for the one shape this file has.
class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}
  void Skip() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\r' || s_[i_] == '\t')) ++i_;
  }
  bool Eat(char c) {
    Skip();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  bool String(std::string& out) {
    out.clear();
    if (!Eat('"')) return false;
    while (i_ < s_.size() && s_[i_] != '"') {
      char c = s_[i_++];
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i_ >= s_.size()) return false;
      c = s_[i_++];
      if (c == 'u') {
        if (i_ + 4 > s_.size()) return false;
        uint32_t u = 0;
        if (!Hex4(i_, u)) return false;
        i_ += 4;
        uint32_t lo = 0;
        if (u >= 0xD800 && u < 0xDC00 && i_ + 6 <= s_.size() && s_[i_] == '\\' && s_[i_ + 1] == 'u' &&
            Hex4(i_ + 2, lo) && lo >= 0xDC00 && lo < 0xE000) {
          i_ += 6;
          u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
        }
        AppendUtf8(out, u);
      } else {
        out += c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c == 'b' ? '\b' : c == 'f' ? '\f' : c;
      }
    }
    return Eat('"');
  }
  bool Int(int64_t& out) {
    Skip();
    const size_t start = i_;
    if (i_ < s_.size() && s_[i_] == '-') ++i_;
    while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
    if (i_ == start) return false;
    const char* b = s_.data() + start;
    return std::from_chars(b, s_.data() + i_, out).ec == std::errc();
  }
  // Calls member(name) for each member of an object.
  template <typename Fn>
  bool Object(Fn&& member) {
    if (!Eat('{')) return false;
    if (Eat('}')) return true;
    do {
      std::string name;
      if (!String(name) || !Eat(':') || !member(name)) return false;
    } while (Eat(','));
    return Eat('}');
  }
  bool AtEnd() {
    Skip();
    return i_ == s_.size();
  }

 private:
  bool Hex4(size_t at, uint32_t& out) const {
    if (at + 4 > s_.size()) return false;
    const char* b = s_.data() + at;
    auto r = std::from_chars(b, b + 4, out, 16);
    return r.ec == std::errc() && r.ptr == b + 4;
  }
  static void AppendUtf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }
  std::string_view s_;
  size_t i_ = 0;
};

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
  Reader r(text);
  std::map<std::string, Entry, std::less<>> counts;
  int64_t counter = 0, state = 0, ts = 0;
  const bool ok = r.Object([&](const std::string& name) {
    if (name == "dataVersion") {
      return r.Object([&](const std::string& field) {
        int64_t v = 0;
        if (!r.Int(v)) return false;
        if (field == "counter") counter = v;
        if (field == "stateVersion") state = v;
        if (field == "timestamp") ts = v;
        return true;
      });
    }
    if (name == "timingCount") {
      return r.Object([&](const std::string& topic) {
        Entry e;
        const bool parsed = r.Object([&](const std::string& field) {
          int64_t v = 0;
          if (!r.Int(v)) return false;
          if (field == "count") e.count = v;
          if (field == "timeStamp") e.time_stamp = v;
          return true;
        });
        counts[topic] = e;
        return parsed;
      });
    }
    return false;
  });
  if (!ok || !r.AtEnd()) return false;
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
    AppendJsonString(out, topic);
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
