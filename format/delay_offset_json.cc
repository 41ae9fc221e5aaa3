#include "format/delay_offset_json.h"

#include <cstdio>
#include <limits>

namespace mqstore {
namespace {

// A recursive-descent reader over the text: just enough JSON for the file,
// plus fastjson's unquoted integer keys. Every refusal names the byte.
class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text) {}

  Result<DelayOffsetFile> File() {
    DelayOffsetFile file;
    SkipSpace();
    MQ_RETURN_IF_ERROR(Expect('{', "'{' opening the file's object"));
    Status st = Members(1, [&](const std::string& key) -> Status {
      if (key == "offsetTable") return OffsetTable(file);
      if (key == "dataVersion") return DataVersion(file);
      return SkipValue(2);
    });
    if (!st.ok()) return st;
    SkipSpace();
    if (at_ < text_.size()) return Error("the end of the input after the file's object");
    return file;
  }

 private:
  // The members of an object whose '{' was read, up to its '}': `member`
  // reads each value (the key is in its argument).
  template <typename Member>
  Status Members(int depth, Member&& member) {
    if (depth > kMaxDelayOffsetJsonDepth)
      return Error("at most " + std::to_string(kMaxDelayOffsetJsonDepth) + " levels of nesting");
    SkipSpace();
    if (Consume('}')) return Status::Ok();
    while (true) {
      SkipSpace();
      auto key = Key();
      if (!key.ok()) return key.error();
      SkipSpace();
      MQ_RETURN_IF_ERROR(Expect(':', "':' after an object key"));
      SkipSpace();
      MQ_RETURN_IF_ERROR(member(*key));
      SkipSpace();
      if (Consume('}')) return Status::Ok();
      MQ_RETURN_IF_ERROR(Expect(',', "',' or '}' after an object member"));
    }
  }

  // A key: a string, or an integer as fastjson writes a map's integer keys.
  Result<std::string> Key() {
    if (Peek() == '"') return String();
    if (Peek() == '-' || IsDigit(Peek())) {
      const size_t start = at_;
      key_at_ = start;
      auto n = Integer("an integer key");
      if (!n.ok()) return n.error();
      return std::string(text_.substr(start, at_ - start));
    }
    return Error("an object key (a string or an integer)");
  }

  Status OffsetTable(DelayOffsetFile& file) {
    if (ConsumeWord("null")) return Status::Ok();
    MQ_RETURN_IF_ERROR(Expect('{', "'{' opening offsetTable"));
    return Members(2, [&](const std::string& key) -> Status {
      auto level = ParseKeyInt32(key);
      if (!level) return ErrorAt(key_at_, "an offsetTable key that is a 32-bit integer level");
      if (ConsumeWord("null")) {  // a null Long: no progress for the level
        file.offset_table.erase(*level);
        return Status::Ok();
      }
      auto offset = Integer("an integer offset in offsetTable");
      if (!offset.ok()) return offset.error();
      file.offset_table[*level] = *offset;  // a repeated key: the last wins, as a map put
      return Status::Ok();
    });
  }

  Status DataVersion(DelayOffsetFile& file) {
    if (ConsumeWord("null")) return Status::Ok();
    MQ_RETURN_IF_ERROR(Expect('{', "'{' opening dataVersion"));
    DelayOffsetDataVersion v;
    Status st = Members(2, [&](const std::string& key) -> Status {
      int64_t* field = key == "counter"        ? &v.counter
                       : key == "stateVersion" ? &v.state_version
                       : key == "timestamp"    ? &v.timestamp
                                               : nullptr;
      if (field == nullptr) return SkipValue(3);
      auto n = Integer(("an integer dataVersion." + key).c_str());
      if (!n.ok()) return n.error();
      *field = *n;
      return Status::Ok();
    });
    if (!st.ok()) return st;
    file.data_version = v;
    return Status::Ok();
  }

  // Any value of a field this reader does not know.
  Status SkipValue(int depth) {
    if (depth > kMaxDelayOffsetJsonDepth)
      return Error("at most " + std::to_string(kMaxDelayOffsetJsonDepth) + " levels of nesting");
    const char c = Peek();
    if (c == '{') {
      ++at_;
      return Members(depth, [&](const std::string&) { return SkipValue(depth + 1); });
    }
    if (c == '[') {
      ++at_;
      SkipSpace();
      if (Consume(']')) return Status::Ok();
      while (true) {
        SkipSpace();
        MQ_RETURN_IF_ERROR(SkipValue(depth + 1));
        SkipSpace();
        if (Consume(']')) return Status::Ok();
        MQ_RETURN_IF_ERROR(Expect(',', "',' or ']' in an array"));
      }
    }
    if (c == '"') {
      auto s = String();
      return s.ok() ? Status::Ok() : s.error();
    }
    if (c == '-' || IsDigit(c)) return SkipNumber();
    if (ConsumeWord("true") || ConsumeWord("false") || ConsumeWord("null")) return Status::Ok();
    return Error("a value");
  }

  Status SkipNumber() {
    Consume('-');
    if (!IsDigit(Peek())) return Error("a digit");
    while (IsDigit(Peek())) ++at_;
    if (Consume('.')) {
      if (!IsDigit(Peek())) return Error("a digit after '.'");
      while (IsDigit(Peek())) ++at_;
    }
    if (Peek() == 'e' || Peek() == 'E') {
      ++at_;
      if (Peek() == '+' || Peek() == '-') ++at_;
      if (!IsDigit(Peek())) return Error("a digit in the exponent");
      while (IsDigit(Peek())) ++at_;
    }
    return Status::Ok();
  }

  // A decimal integer that fits 64 bits, not followed by a fraction or an
  // exponent (the file's numbers are Java ints and longs).
  Result<int64_t> Integer(const char* what) {
    const size_t start = at_;
    const bool negative = Consume('-');
    if (!IsDigit(Peek())) return Error(what);
    uint64_t magnitude = 0;
    const uint64_t limit = negative ? uint64_t{1} << 63 : uint64_t{std::numeric_limits<int64_t>::max()};
    while (IsDigit(Peek())) {
      const uint64_t digit = static_cast<uint64_t>(Peek() - '0');
      if (magnitude > (limit - digit) / 10) return ErrorAt(start, std::string(what) + " within 64 bits");
      magnitude = magnitude * 10 + digit;
      ++at_;
    }
    if (Peek() == '.' || Peek() == 'e' || Peek() == 'E') return ErrorAt(start, what);
    if (!negative) return static_cast<int64_t>(magnitude);
    return magnitude == (uint64_t{1} << 63) ? std::numeric_limits<int64_t>::min()
                                            : -static_cast<int64_t>(magnitude);
  }

  // A string with JSON's escapes decoded (\u as UTF-8); remembers where it
  // began for errors about its value.
  Result<std::string> String() {
    key_at_ = at_;
    MQ_RETURN_IF_ERROR(Expect('"', "'\"'"));
    std::string out;
    while (true) {
      if (at_ >= text_.size()) return Error("'\"' closing the string");
      const char c = text_[at_];
      if (c == '"') {
        ++at_;
        return out;
      }
      if (static_cast<unsigned char>(c) < 0x20) return Error("a string character (control characters must be escaped)");
      ++at_;
      if (c != '\\') {
        out += c;
        continue;
      }
      const char e = Peek();
      ++at_;
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          uint32_t cp = 0;
          for (int i = 0; i < 4; ++i) {
            const int h = HexValue(Peek());
            if (h < 0) return Error("four hex digits after \\u");
            cp = cp * 16 + static_cast<uint32_t>(h);
            ++at_;
          }
          AppendUtf8(out, cp);
          break;
        }
        default:
          --at_;
          return Error("an escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
      }
    }
  }

  static std::optional<int32_t> ParseKeyInt32(const std::string& key) {
    if (key.empty() || key.size() > 11) return std::nullopt;
    size_t i = key[0] == '-' ? 1 : 0;
    if (i == key.size()) return std::nullopt;
    int64_t v = 0;
    for (; i < key.size(); ++i) {
      if (!IsDigit(key[i])) return std::nullopt;
      v = v * 10 + (key[i] - '0');
    }
    if (key[0] == '-') v = -v;
    if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) return std::nullopt;
    return static_cast<int32_t>(v);
  }

  static void AppendUtf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  static bool IsDigit(char c) { return c >= '0' && c <= '9'; }
  static int HexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }
  char Peek() const { return at_ < text_.size() ? text_[at_] : '\0'; }
  bool Consume(char c) {
    if (at_ < text_.size() && text_[at_] == c) {
      ++at_;
      return true;
    }
    return false;
  }
  bool ConsumeWord(std::string_view word) {
    if (text_.substr(at_, word.size()) != word) return false;
    at_ += word.size();
    return true;
  }
  Status Expect(char c, const char* what) { return Consume(c) ? Status::Ok() : Error(what); }
  void SkipSpace() {
    while (at_ < text_.size() &&
           (text_[at_] == ' ' || text_[at_] == '\t' || text_[at_] == '\n' || text_[at_] == '\r'))
      ++at_;
  }

  Status Error(const std::string& expected) const { return ErrorAt(at_, expected); }
  Status ErrorAt(size_t at, const std::string& expected) const {
    std::string found;
    if (at >= text_.size()) {
      found = "the end of the input";
    } else {
      const auto c = static_cast<unsigned char>(text_[at]);
      char buf[16];
      if (c >= 0x20 && c < 0x7F) {
        std::snprintf(buf, sizeof buf, "'%c'", c);
      } else {
        std::snprintf(buf, sizeof buf, "byte 0x%02X", c);
      }
      found = buf;
    }
    return Status::Corruption("byte " + std::to_string(at) + ": expected " + expected + ", found " + found);
  }

  std::string_view text_;
  size_t at_ = 0;
  size_t key_at_ = 0;  // where the last string began
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
