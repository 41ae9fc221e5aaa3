// config/delayOffset.json: the delivery progress of the delay levels
// (RocketMQ's DelayOffsetSerializeWrapper), as fastjson writes it.
//
//   {
//   	"dataVersion":{            <- 5.x only; 4.x files lack it
//   		"counter":3,
//   		"stateVersion":0,
//   		"timestamp":1700000000000
//   	},
//   	"offsetTable":{1:0,2:17,3:5
//   	}
//   }
//
// offsetTable maps a level (1-based) to the next consume-queue offset of
// SCHEDULE_TOPIC_XXXX queue level-1 to deliver. fastjson writes integer map
// keys unquoted, which is not strict JSON; bean fields in alphabetical
// order; tabs for indentation; in a map a newline only before the closing
// brace (and before string keys, which this file has none of).
//
// The reader takes that form and plain JSON alike: quoted or unquoted
// integer keys, any whitespace, fields it does not know (skipped, nesting
// bounded by kMaxDelayOffsetJsonDepth). Anything else is refused with the
// byte offset and what was expected there. No I/O here: the file is
// storage/timer/delay_offset_table.h.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "mqstore/status.h"

namespace mqstore {

inline constexpr int kMaxDelayOffsetJsonDepth = 32;

// RocketMQ's DataVersion: bumped (counter + 1, timestamp = now) every
// delayOffsetUpdateVersionStep updates; a slave compares it to pull the table.
struct DelayOffsetDataVersion {
  int64_t counter = 0;
  int64_t state_version = 0;
  int64_t timestamp = 0;
  bool operator==(const DelayOffsetDataVersion&) const = default;
};

struct DelayOffsetFile {
  std::map<int32_t, int64_t> offset_table;  // level -> next queue offset
  std::optional<DelayOffsetDataVersion> data_version;  // absent in 4.x files
  bool operator==(const DelayOffsetFile&) const = default;
};

// Parses the file's text. The error (Corruption) reads
// "byte 17: expected ':' after an object key, found '}'".
Result<DelayOffsetFile> ParseDelayOffsetJson(std::string_view text);

// fastjson's pretty form (JSON.toJSONString(wrapper, true)), without a
// trailing newline, as RocketMQ writes the file. dataVersion is written when
// present.
std::string WriteDelayOffsetJson(const DelayOffsetFile& file);

}  // namespace mqstore
