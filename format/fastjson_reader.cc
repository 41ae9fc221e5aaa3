#include "format/fastjson_reader.h"

#include <cstdio>
#include <limits>

namespace mqstore {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Four hex digits at text[at..at+4); false when they are not.
bool HexAt(std::string_view text, size_t at, uint32_t& out) {
  if (at + 4 > text.size()) return false;
  out = 0;
  for (size_t i = at; i < at + 4; ++i) {
    const int h = HexValue(text[i]);
    if (h < 0) return false;
    out = out * 16 + static_cast<uint32_t>(h);
  }
  return true;
}


}  // namespace

Result<std::string> FastjsonReader::Key() {
  if (Peek() == '"') return String();
  if (Peek() == '-' || IsDigit(Peek())) {
    const size_t start = at_;
    auto n = Integer("an integer key");
    if (!n.ok()) return n.error();
    key_at_ = start;
    return std::string(text_.substr(start, at_ - start));
  }
  return Error("an object key (a string or an integer)");
}

Result<std::string> FastjsonReader::String() {
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
    switch (Peek()) {
      case '"': out += '"'; break;
      case '\\': out += '\\'; break;
      case '/': out += '/'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'u': {
        ++at_;
        auto cp = Hex4();
        if (!cp.ok()) return cp.error();
        // fastjson writes a character past U+FFFF as two UTF-16 units.
        uint32_t low = 0;
        if (*cp >= 0xD800 && *cp < 0xDC00 && text_.substr(at_, 2) == "\\u" && HexAt(text_, at_ + 2, low) &&
            low >= 0xDC00 && low < 0xE000) {
          at_ += 6;
          *cp = 0x10000 + ((*cp - 0xD800) << 10) + (low - 0xDC00);
        }
        AppendUtf8(out, *cp);
        continue;
      }
      default:
        return Error("an escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
    }
    ++at_;
  }
}

// Four hex digits; an error names the first that is not one.
Result<uint32_t> FastjsonReader::Hex4() {
  uint32_t cp = 0;
  for (int i = 0; i < 4; ++i) {
    const int h = HexValue(Peek());
    if (h < 0) return Error("four hex digits after \\u");
    cp = cp * 16 + static_cast<uint32_t>(h);
    ++at_;
  }
  return cp;
}

Result<int64_t> FastjsonReader::Integer(const std::string& what) {
  const size_t start = at_;
  const bool negative = Consume('-');
  if (!IsDigit(Peek())) return Error(what);
  uint64_t magnitude = 0;
  const uint64_t limit = negative ? uint64_t{1} << 63 : uint64_t{std::numeric_limits<int64_t>::max()};
  while (IsDigit(Peek())) {
    const uint64_t digit = static_cast<uint64_t>(Peek() - '0');
    if (magnitude > (limit - digit) / 10) return ErrorAt(start, what + " within 64 bits");
    magnitude = magnitude * 10 + digit;
    ++at_;
  }
  if (Peek() == '.' || Peek() == 'e' || Peek() == 'E') return ErrorAt(start, what);
  if (!negative) return static_cast<int64_t>(magnitude);
  return magnitude == (uint64_t{1} << 63) ? std::numeric_limits<int64_t>::min() : -static_cast<int64_t>(magnitude);
}

Status FastjsonReader::SkipValue(int depth) {
  MQ_RETURN_IF_ERROR(CheckDepth(depth));
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

Status FastjsonReader::SkipNumber() {
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

Status FastjsonReader::CheckDepth(int depth) const {
  if (depth <= max_depth_) return Status::Ok();
  return Error("at most " + std::to_string(max_depth_) + " levels of nesting");
}

void FastjsonReader::SkipSpace() {
  while (at_ < text_.size() && (text_[at_] == ' ' || text_[at_] == '\t' || text_[at_] == '\n' || text_[at_] == '\r'))
    ++at_;
}

bool FastjsonReader::Consume(char c) {
  if (at_ < text_.size() && text_[at_] == c) {
    ++at_;
    return true;
  }
  return false;
}

bool FastjsonReader::ConsumeWord(std::string_view word) {
  if (text_.substr(at_, word.size()) != word) return false;
  at_ += word.size();
  return true;
}

Status FastjsonReader::ErrorAt(size_t at, const std::string& expected) const {
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

void AppendFastjsonString(std::string& out, std::string_view s) {
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

void AppendUtf8(std::string& out, uint32_t cp) {
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

}  // namespace mqstore
