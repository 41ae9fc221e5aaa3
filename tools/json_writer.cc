#include "tools/json_writer.h"

#include <cstdio>

#include "tools/display_text.h"

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
      if (n == 2 && c == 0xC2 && static_cast<unsigned char>(s[i + 1]) < 0xA0) {
        // A C1 control (U+0080-U+009F): valid JSON raw, but a terminal
        // showing the line would obey it.
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned char>(s[i + 1]));
        out += buf;
      } else {
        out.append(s.substr(i, n));
      }
      i += n;
    } else {
      out += "\\ufffd";  // a byte that is not UTF-8: shown as U+FFFD, as Java decodes it
      ++i;
    }
  }
  out += '"';
}

}  // namespace mqstore::cli
