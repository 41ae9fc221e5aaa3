// Topic names. A topic becomes a directory name (consumequeue/<topic>/), so
// two rules apply:
//
//   put rule        what a producer may send (RocketMQ's TopicValidator):
//                   1..max_length bytes of  % | a-z A-Z 0-9 _ -
//                   max_length: maxTopicLength, 127 by default, at most 255
//   file-name rule  what a record already in a log (another broker, an older
//                   build) may carry and still get a consume queue: one safe
//                   path component of 1..255 bytes, not "." or "..", no '/',
//                   '\', NUL or other control byte (0x00-0x1F, 0x7F)
//
// Every topic the put rule accepts passes the file-name rule.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mqstore {

// What one file name can hold (NAME_MAX), and RocketMQ's default limit.
inline constexpr size_t kMaxTopicFileNameBytes = 255;
inline constexpr size_t kDefaultMaxTopicLength = 127;

enum class TopicProblem : uint8_t {
  kNone,
  kEmpty,
  kTooLong,
  kDotName,     // "." or ".."
  kSeparator,   // '/' or '\'
  kControl,     // NUL or another control byte
  kCharacter,   // outside % | a-z A-Z 0-9 _ - (put rule only)
};

// The put rule; kNone when `topic` may be stored.
TopicProblem CheckTopicForPut(std::string_view topic, size_t max_length = kDefaultMaxTopicLength);
// The file-name rule; kNone when `topic` may name a consume-queue directory.
TopicProblem CheckTopicAsFileName(std::string_view topic);

// "topic 'a/b' holds a path separator at byte 1" and the like: the problem,
// where, and the rule (control bytes are shown escaped).
std::string DescribeTopicProblem(TopicProblem problem, std::string_view topic,
                                 size_t max_length = kDefaultMaxTopicLength);

// `text` with control bytes, '\', '"' and bytes >= 0x7F escaped as \xNN, for
// log lines and tables.
std::string EscapeForDisplay(std::string_view text);

}  // namespace mqstore
