#include "format/delay_offset_json.h"

#include "format/fastjson_reader.h"
#include "format/java_number.h"

namespace mqstore {
namespace {

// The file's shape over FastjsonReader (quoted or unquoted keys, fields it
// does not know skipped). Every refusal names the byte.
class Reader {
 public:
  explicit Reader(std::string_view text) : in_(text, kMaxDelayOffsetJsonDepth) {}

  Result<DelayOffsetFile> File() {
    DelayOffsetFile file;
    in_.SkipSpace();
    MQ_RETURN_IF_ERROR(in_.Expect('{', "'{' opening the file's object"));
    Status st = in_.Members(1, [&](const std::string& key) -> Status {
      if (key == "offsetTable") return OffsetTable(file);
      if (key == "dataVersion") return DataVersion(file);
      return in_.SkipValue(2);
    });
    if (!st.ok()) return st;
    in_.SkipSpace();
    if (!in_.AtEnd()) return in_.Error("the end of the input after the file's object");
    return file;
  }

 private:
  Status OffsetTable(DelayOffsetFile& file) {
    if (in_.ConsumeWord("null")) return Status::Ok();
    MQ_RETURN_IF_ERROR(in_.Expect('{', "'{' opening offsetTable"));
    return in_.Members(2, [&](const std::string& key) -> Status {
      auto level = ParseJavaInteger<int32_t>(key);  // the key as Integer.parseInt reads it
      if (!level) return in_.ErrorAt(in_.key_at(), "an offsetTable key that is a 32-bit integer level");
      if (in_.ConsumeWord("null")) {  // a null Long: no progress for the level
        file.offset_table.erase(*level);
        return Status::Ok();
      }
      auto offset = in_.Integer("an integer offset in offsetTable");
      if (!offset.ok()) return offset.error();
      file.offset_table[*level] = *offset;  // a repeated key: the last wins, as a map put
      return Status::Ok();
    });
  }

  Status DataVersion(DelayOffsetFile& file) {
    if (in_.ConsumeWord("null")) return Status::Ok();
    MQ_RETURN_IF_ERROR(in_.Expect('{', "'{' opening dataVersion"));
    DelayOffsetDataVersion v;
    Status st = in_.Members(2, [&](const std::string& key) -> Status {
      int64_t* field = key == "counter"        ? &v.counter
                       : key == "stateVersion" ? &v.state_version
                       : key == "timestamp"    ? &v.timestamp
                                               : nullptr;
      if (field == nullptr) return in_.SkipValue(3);
      auto n = in_.Integer("an integer dataVersion." + key);
      if (!n.ok()) return n.error();
      *field = *n;
      return Status::Ok();
    });
    if (!st.ok()) return st;
    file.data_version = v;
    return Status::Ok();
  }

  FastjsonReader in_;
};

}  // namespace

Result<DelayOffsetFile> ParseDelayOffsetJson(std::string_view text) { return Reader(text).File(); }

std::string WriteDelayOffsetJson(const DelayOffsetFile& file) {
  // JavaBeanSerializer (PrettyFormat): '{', indent, a newline before each
  // field; MapSerializer: integer keys bare, no newline between entries, a
  // newline before '}' when the map is not empty.
  std::string out = "{";
  if (file.data_version) {
    const DelayOffsetDataVersion& v = *file.data_version;
    out += "\n\t\"dataVersion\":{\n\t\t\"counter\":" + std::to_string(v.counter) +
           ",\n\t\t\"stateVersion\":" + std::to_string(v.state_version) +
           ",\n\t\t\"timestamp\":" + std::to_string(v.timestamp) + "\n\t},";
  }
  out += "\n\t\"offsetTable\":{";
  bool first = true;
  for (const auto& [level, offset] : file.offset_table) {
    if (!first) out += ',';
    first = false;
    out += std::to_string(level) + ":" + std::to_string(offset);
  }
  if (!file.offset_table.empty()) out += "\n\t";
  out += "}\n}";
  return out;
}

}  // namespace mqstore
