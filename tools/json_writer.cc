#include "tools/json_writer.h"

#include <cstdio>

namespace mqstore::cli {

void JsonLine::Key(std::string_view key) {
  if (!first_) out_ += ", ";
  first_ = false;
  AppendJsonString(out_, key);
  out_ += ": ";
}

JsonLine& JsonLine::Int(std::string_view key, int64_t v) {
  Key(key);
  out_ += std::to_string(v);
  return *this;
}
JsonLine& JsonLine::UInt(std::string_view key, uint64_t v) {
  Key(key);
  out_ += std::to_string(v);
  return *this;
}
JsonLine& JsonLine::Bool(std::string_view key, bool v) {
  Key(key);
  out_ += v ? "true" : "false";
  return *this;
}
JsonLine& JsonLine::Str(std::string_view key, std::string_view v) {
  Key(key);
  AppendJsonString(out_, v);
  return *this;
}
JsonLine& JsonLine::Raw(std::string_view key, std::string_view json) {
  Key(key);
  out_ += json;
  return *this;
}

// Length of the valid UTF-8 sequence at s[i], or 0 if it is not valid.
static size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto b = static_cast<unsigned char>(s[i]);
  size_t n;
  if (b >= 0xC2 && b <= 0xDF) n = 2;
  else if (b >= 0xE0 && b <= 0xEF) n = 3;
  else if (b >= 0xF0 && b <= 0xF4) n = 4;
  else return 0;
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  return n;
}

void AppendJsonString(std::string& out, std::string_view s) {
  out += '"';
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
      ++i;
    } else if (c < 0x20 || c == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
      ++i;
    } else if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
    } else if (const size_t n = Utf8SequenceLength(s, i)) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      out += "\\ufffd";  // a byte that is not UTF-8: shown as U+FFFD, as Java decodes it
      ++i;
    }
  }
  out += '"';
}

}  // namespace mqstore::cli
