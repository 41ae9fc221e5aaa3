// RocketMQ's classic HA wire format (HAService / HAConnection / HAClient,
// identical in 4.9.8 and 5.x DefaultHA): plain TCP, no magic, no checksum,
// no version.
//
//   slave -> master, repeated:  [0,8) the slave's max commit-log offset (BE)
//   master -> slave, repeated:  [0,8) physical offset the body starts at (BE)
//                               [8,12) body size N (BE int; 0 = heartbeat)
//                               [12,12+N) raw commit-log bytes
//
// Pure codecs: no I/O, they never read past the span they are given.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "format/decode_error.h"

namespace mqstore {

constexpr size_t kHaHeaderSize = 12;
constexpr size_t kHaReportSize = 8;

struct HaFrameHeader {
  int64_t offset = 0;  // where the body starts in the commit log
  int32_t size = 0;    // body bytes; 0 for a heartbeat
};

void EncodeHaHeader(const HaFrameHeader& header, uint8_t out[kHaHeaderSize]);
// The header at the front of `in`. kTruncated while fewer than 12 bytes are
// there; kNegativeLength for a negative offset or size; kSizeOutOfRange for
// a body larger than `max_body` (a receiver's buffer bound).
DecodeResult<HaFrameHeader> DecodeHaHeader(std::span<const uint8_t> in, int32_t max_body);

void EncodeHaReport(int64_t offset, uint8_t out[kHaReportSize]);

// What a master takes from the bytes a slave sent so far: the last complete
// 8-byte value (HAConnection's read thread rounds the position down to a
// multiple of 8), and how many bytes that consumed (the rest, < 8, waits for
// more). No value when fewer than 8 bytes are there.
struct HaReports {
  std::optional<int64_t> last;
  size_t consumed = 0;
};
HaReports DecodeHaReports(std::span<const uint8_t> in);

}  // namespace mqstore
