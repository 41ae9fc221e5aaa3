#include "format/consumer_offset_json.h"

#include <limits>
#include <optional>

#include "format/fastjson_reader.h"

namespace mqstore {
namespace {

std::optional<int32_t> ParseQueueId(const std::string& key) {
  if (key.empty() || key.size() > 11) return std::nullopt;
  size_t i = key[0] == '-' ? 1 : 0;
  if (i == key.size()) return std::nullopt;
  int64_t v = 0;
  for (; i < key.size(); ++i) {
    if (key[i] < '0' || key[i] > '9') return std::nullopt;
    v = v * 10 + (key[i] - '0');
  }
  if (key[0] == '-') v = -v;
  if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) return std::nullopt;
  return static_cast<int32_t>(v);
}

// A JSON string as fastjson writes it without BrowserCompatible (RocketMQ's
// ConsumerOffsetManager): '"', '\\' and control characters escaped, every
// other byte as it is, so any key read comes back byte for byte.
void AppendJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      out += "\\u00";
      out += kHex[u >> 4];
      out += kHex[u & 0xF];
    } else {
      out += c;
    }
  }
  out += '"';
}

class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text), in_(text, kMaxConsumerOffsetJsonDepth) {}

  Result<ConsumerOffsetFile> File() {
    ConsumerOffsetFile file;
    in_.SkipSpace();
    MQ_RETURN_IF_ERROR(in_.Expect('{', "'{' opening the file's object"));
    Status st = in_.Members(1, [&](const std::string& key) -> Status {
      if (key == "offsetTable") return OffsetTable(file);
      const size_t start = in_.at();
      MQ_RETURN_IF_ERROR(in_.SkipValue(2));
      file.other_fields[key] = std::string(text_.substr(start, in_.at() - start));
      return Status::Ok();
    });
    if (!st.ok()) return st;
    in_.SkipSpace();
    if (!in_.AtEnd()) return in_.Error("the end of the input after the file's object");
    return file;
  }

 private:
  Status OffsetTable(ConsumerOffsetFile& file) {
    if (in_.ConsumeWord("null")) return Status::Ok();
    MQ_RETURN_IF_ERROR(in_.Expect('{', "'{' opening offsetTable"));
    return in_.Members(2, [&](const std::string& key) -> Status {
      if (in_.ConsumeWord("null")) {
        file.offset_table.erase(key);
        return Status::Ok();
      }
      MQ_RETURN_IF_ERROR(in_.Expect('{', "'{' opening the queue offsets of \"" + key + "\""));
      std::map<int32_t, int64_t>& queues = file.offset_table[key];
      queues.clear();  // a repeated key: the last wins, as a map put
      return in_.Members(3, [&](const std::string& qid) -> Status {
        auto queue_id = ParseQueueId(qid);
        if (!queue_id) return in_.ErrorAt(in_.key_at(), "a queue id that is a 32-bit integer");
        if (in_.ConsumeWord("null")) {
          queues.erase(*queue_id);
          return Status::Ok();
        }
        auto offset = in_.Integer("an integer offset");
        if (!offset.ok()) return offset.error();
        queues[*queue_id] = *offset;
        return Status::Ok();
      });
    });
  }

  std::string_view text_;
  FastjsonReader in_;
};

}  // namespace

Result<ConsumerOffsetFile> ParseConsumerOffsetJson(std::string_view text) { return Reader(text).File(); }

std::string WriteConsumerOffsetJson(const ConsumerOffsetFile& file) {
  // Bean fields by name, each after a newline and a tab; a map's string keys
  // each after a newline and its indent; integer keys bare; a newline and
  // the outer indent before a non-empty map's '}'.
  std::map<std::string, std::string> fields = file.other_fields;
  std::string table = "{";
  for (const auto& [key, queues] : file.offset_table) {
    if (table.size() > 1) table += ',';
    table += "\n\t\t";
    AppendJsonString(table, key);
    table += ":{";
    bool first = true;
    for (const auto& [qid, offset] : queues) {
      if (!first) table += ',';
      first = false;
      table += std::to_string(qid) + ":" + std::to_string(offset);
    }
    if (!queues.empty()) table += "\n\t\t";
    table += '}';
  }
  if (!file.offset_table.empty()) table += "\n\t";
  table += '}';
  fields["offsetTable"] = std::move(table);
  std::string out = "{";
  bool first = true;
  for (const auto& [name, value] : fields) {
    if (!first) out += ',';
    first = false;
    out += "\n\t";
    AppendJsonString(out, name);
    out += ':';
    out += value;
  }
  out += "\n}";
  return out;
}

}  // namespace mqstore
