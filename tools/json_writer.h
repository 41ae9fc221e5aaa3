// One JSON object per line, in the style of the golden expected files:
// {"a": 1, "b": "x", "c": {"k": "v"}}
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mqstore::cli {

class JsonLine {
 public:
  JsonLine& Int(std::string_view key, int64_t v);
  JsonLine& UInt(std::string_view key, uint64_t v);
  JsonLine& Bool(std::string_view key, bool v);
  JsonLine& Str(std::string_view key, std::string_view v);
  // A nested object already rendered by another JsonLine.
  JsonLine& Raw(std::string_view key, std::string_view json);
  std::string Done() const { return out_ + "}"; }

 private:
  void Key(std::string_view key);
  std::string out_ = "{";
  bool first_ = true;
};

// Appends `s` as a JSON string literal (quotes included). Control
// characters (C0, DEL, C1) are written as \u escapes and each byte that is
// not well-formed UTF-8 as \ufffd, so the output is always valid JSON in
// valid UTF-8.
void AppendJsonString(std::string& out, std::string_view s);

}  // namespace mqstore::cli
