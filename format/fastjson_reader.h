// FastjsonReader: a small pull reader for the JSON that RocketMQ's
// fastjson writes into its config files (config/delayOffset.json,
// config/timermetrics, ...). Plain JSON plus what fastjson adds: integer map
// keys written without quotes. Every refusal is a Corruption naming the byte
// offset, what was expected there and what was found:
//
//   "byte 17: expected ':' after an object key, found '}'"
//
// The callers walk their file's shape with it (Members for an object's
// members, SkipValue for fields they do not know), so each file keeps its
// own rules and wording. No I/O here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "mqstore/status.h"

namespace mqstore {

class FastjsonReader {
 public:
  // `max_depth`: how deeply objects and arrays may nest (Members and
  // SkipValue refuse deeper ones), so a hostile file cannot exhaust the stack.
  FastjsonReader(std::string_view text, int max_depth) : text_(text), max_depth_(max_depth) {}

  // The members of an object whose '{' was read, up to and including its
  // '}': `member(key)` reads each value (the reader is at its first byte).
  // `depth` is the object's nesting level (the outermost is 1).
  template <typename Member>
  Status Members(int depth, Member&& member) {
    MQ_RETURN_IF_ERROR(CheckDepth(depth));
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

  // A key: a string, or an integer as fastjson writes a map's integer keys
  // (returned as its text). key_at() is where it began.
  Result<std::string> Key();
  // A string with JSON's escapes decoded (\uXXXX as UTF-8, a surrogate pair
  // as one code point).
  Result<std::string> String();
  // A decimal integer that fits 64 bits, not followed by a fraction or an
  // exponent; `what` names it in errors ("an integer offset").
  Result<int64_t> Integer(const std::string& what);
  // Any value, read and dropped; `depth` as for Members.
  Status SkipValue(int depth);

  void SkipSpace();
  char Peek() const { return at_ < text_.size() ? text_[at_] : '\0'; }
  bool Consume(char c);
  bool ConsumeWord(std::string_view word);
  Status Expect(char c, const std::string& what) { return Consume(c) ? Status::Ok() : Error(what); }
  bool AtEnd() const { return at_ >= text_.size(); }

  size_t at() const { return at_; }
  size_t key_at() const { return key_at_; }

  // "byte <at>: expected <expected>, found <what is there>".
  Status Error(const std::string& expected) const { return ErrorAt(at_, expected); }
  Status ErrorAt(size_t at, const std::string& expected) const;

 private:
  Status CheckDepth(int depth) const;
  Status SkipNumber();
  Result<uint32_t> Hex4();

  std::string_view text_;
  const int max_depth_;
  size_t at_ = 0;
  size_t key_at_ = 0;  // where the last key or string began
};

// fastjson's BrowserCompatible string: quoted, '"' and '\' escaped, control
// and non-ASCII characters as \uXXXX (UTF-8 decoded to UTF-16 units).
void AppendFastjsonString(std::string& out, std::string_view s);

// A code point (at most U+10FFFF) as its UTF-8 bytes: what a decoded
// \uXXXX escape (or surrogate pair) becomes.
void AppendUtf8(std::string& out, uint32_t code_point);

}  // namespace mqstore
