#include "format/topic_name.h"

#include <algorithm>
#include <array>

namespace mqstore {
namespace {

constexpr std::array<bool, 256> PutCharacters() {
  std::array<bool, 256> ok{};
  for (int c = '0'; c <= '9'; ++c) ok[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) ok[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) ok[c] = true;
  ok['%'] = ok['|'] = ok['_'] = ok['-'] = true;
  return ok;
}
constexpr std::array<bool, 256> kPutCharacters = PutCharacters();

bool IsControl(unsigned char c) { return c < 0x20 || c == 0x7F; }
bool IsSeparator(unsigned char c) { return c == '/' || c == '\\'; }

// The first byte of `topic` that breaks the file-name rule, or npos.
size_t FirstUnsafeByte(std::string_view topic) {
  for (size_t i = 0; i < topic.size(); ++i) {
    const auto c = static_cast<unsigned char>(topic[i]);
    if (IsControl(c) || IsSeparator(c)) return i;
  }
  return std::string_view::npos;
}

size_t FirstNonPutByte(std::string_view topic) {
  for (size_t i = 0; i < topic.size(); ++i)
    if (!kPutCharacters[static_cast<unsigned char>(topic[i])]) return i;
  return std::string_view::npos;
}

}  // namespace

TopicProblem CheckTopicAsFileName(std::string_view topic) {
  if (topic.empty()) return TopicProblem::kEmpty;
  if (topic.size() > kMaxTopicFileNameBytes) return TopicProblem::kTooLong;
  if (topic == "." || topic == "..") return TopicProblem::kDotName;
  const size_t bad = FirstUnsafeByte(topic);
  if (bad == std::string_view::npos) return TopicProblem::kNone;
  return IsSeparator(static_cast<unsigned char>(topic[bad])) ? TopicProblem::kSeparator : TopicProblem::kControl;
}

TopicProblem CheckTopicForPut(std::string_view topic, size_t max_length) {
  if (topic.empty()) return TopicProblem::kEmpty;
  if (topic.size() > max_length || topic.size() > kMaxTopicFileNameBytes) return TopicProblem::kTooLong;
  if (FirstNonPutByte(topic) == std::string_view::npos) return TopicProblem::kNone;
  // Name the worst problem: what would also break a file name first.
  const TopicProblem as_file = CheckTopicAsFileName(topic);
  return as_file == TopicProblem::kNone ? TopicProblem::kCharacter : as_file;
}

std::string EscapeForDisplay(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (IsControl(c) || c >= 0x7F || c == '\\' || c == '"') {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += ch;
    }
  }
  return out;
}

std::string DescribeTopicProblem(TopicProblem problem, std::string_view topic, size_t max_length) {
  const std::string shown = "topic '" + EscapeForDisplay(topic.substr(0, 64)) + (topic.size() > 64 ? "...'" : "'");
  switch (problem) {
    case TopicProblem::kNone: return shown + " is valid";
    case TopicProblem::kEmpty: return "empty topic";
    case TopicProblem::kTooLong:
      return shown + " is " + std::to_string(topic.size()) + " bytes, longer than " +
             std::to_string(std::min(max_length, kMaxTopicFileNameBytes)) + " (maxTopicLength)";
    case TopicProblem::kDotName: return shown + " is a directory name reserved by the file system";
    case TopicProblem::kSeparator:
      return shown + " holds a path separator at byte " + std::to_string(FirstUnsafeByte(topic));
    case TopicProblem::kControl:
      return shown + " holds a control byte at byte " + std::to_string(FirstUnsafeByte(topic));
    case TopicProblem::kCharacter:
      return shown + " holds a character outside [%|a-zA-Z0-9_-] at byte " + std::to_string(FirstNonPutByte(topic));
  }
  return shown;
}

}  // namespace mqstore
