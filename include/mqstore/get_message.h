// GetMessage: a consumer's pull from one queue (RocketMQ's
// DefaultMessageStore.getMessage), zero-copy.
//
//   consume queue  ... | unit offset | unit offset+1 | ...   (20 bytes each)
//                          |                 |
//   commit log     ... [record]  ...  [record] ...           pinned, not copied
//
// Statuses and nextBeginOffset follow DefaultMessageStore.getMessage (4.9 rules). The found
// records are views into the commit-log segments; GetMessageResult holds
// those segments pinned (mapped, even if cleanup drops them) until it is
// cleared or destroyed.
//
// Tag filters: the scan compares each unit's tagsCode, as RocketMQ does. When
// the filter is a set of tagsCodes the queue's tag bitmaps track, the pull
// instead jumps from match to match, so a rare tag costs one lookup per
// message found rather than a read of every unit in between.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "mqstore/message_filter.h"

namespace mqstore {

class Segment;  // a commit-log file (internal), pinned by GetMessageResult

enum class GetMessageStatus : uint8_t {
  kFound,
  kNoMatchedMessage,
  kMessageWasRemoving,
  kOffsetFoundNull,
  kOffsetOverflowBadly,
  kOffsetOverflowOne,
  kOffsetTooSmall,
  kNoMatchedLogicQueue,
  kNoMessageInQueue,
  kServiceNotAvailable,  // the store is shut down (RocketMQ returns null)
};
std::string_view ToString(GetMessageStatus s);  // RocketMQ's names: "FOUND", ...

struct GetMessageRequest {
  std::string_view group;  // kept for the embedder's logs; the store does not use it
  std::string_view topic;
  int32_t queue_id = 0;
  int64_t offset = 0;
  int32_t max_msg_nums = 32;
  const MessageFilter* filter = nullptr;  // nullptr: everything
  bool use_tag_bitmap = true;             // false: always scan units (RocketMQ's way)
};

struct FoundMessage {
  int64_t queue_offset = 0;
  int64_t phy_offset = 0;
  int64_t tags_code = 0;
  std::span<const uint8_t> bytes;  // the whole record
};

struct GetMessageResult {
  GetMessageStatus status = GetMessageStatus::kNoMessageInQueue;
  int64_t next_begin_offset = 0;
  int64_t min_offset = 0;
  int64_t max_offset = 0;
  int64_t buffer_total_size = 0;
  bool suggest_pulling_from_slave = false;
  std::vector<FoundMessage> messages;
  std::vector<std::shared_ptr<Segment>> pins;  // keep `messages` mapped

  // Releases the pins and empties the result; its vectors keep their
  // capacity, so a reused result allocates nothing.
  void Clear();
};

}  // namespace mqstore
