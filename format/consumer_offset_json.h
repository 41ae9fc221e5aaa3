// config/consumerOffset.json: RocketMQ's consumer offsets
// (ConsumerOffsetManager), as fastjson writes them. mqstore reads and writes
// the file for the transaction check's progress (group CID_RMQ_SYS_TRANS);
// every other entry belongs to the broker and is kept as it is.
//
//   {
//   	"offsetTable":{
//   		"RMQ_SYS_TRANS_HALF_TOPIC@CID_RMQ_SYS_TRANS":{0:12
//   		},
//   		"TopicA@group1":{0:100,1:98,2:97,3:101
//   		}
//   	}
//   }
//
// offsetTable maps "<topic>@<group>" to a map of queue id (an unquoted
// integer key, fastjson's form for Integer keys) to the next offset to
// consume. A 5.x broker adds "dataVersion" (and may add other fields): fields
// other than offsetTable are kept verbatim (their JSON text) and written back
// unchanged, so a file passes through mqstore without losing anything. Bean
// fields are written in name order, as fastjson sorts them.
//
// The reader takes fastjson's form and plain JSON alike (quoted or unquoted
// queue ids, any whitespace, a null map or offset). No I/O here: the file is
// storage/transaction/consumer_offset_table.h.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "mqstore/status.h"

namespace mqstore {

inline constexpr int kMaxConsumerOffsetJsonDepth = 32;

struct ConsumerOffsetFile {
  // "<topic>@<group>" -> queue id -> offset.
  std::map<std::string, std::map<int32_t, int64_t>> offset_table;
  // Top-level fields other than offsetTable: name -> the value's JSON text.
  std::map<std::string, std::string> other_fields;
  bool operator==(const ConsumerOffsetFile&) const = default;
};

// "<topic>@<group>", RocketMQ's key (TOPIC_GROUP_SEPARATOR).
inline std::string ConsumerOffsetKey(std::string_view topic, std::string_view group) {
  return std::string(topic) + "@" + std::string(group);
}

// Parses the file's text; an error (Corruption) names the byte:
// "byte 17: expected ':' after an object key, found '}'".
Result<ConsumerOffsetFile> ParseConsumerOffsetJson(std::string_view text);

// fastjson's pretty form (ConsumerOffsetManager.encode(true)), no trailing
// newline.
std::string WriteConsumerOffsetJson(const ConsumerOffsetFile& file);

}  // namespace mqstore
