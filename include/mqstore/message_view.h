// A stored message as a reader sees it: the decoded commit-log record
// (MessageRecordView, every field of the record format, format/message_record.h
// in the source tree) and the view that keeps its bytes mapped (MessageView).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "mqstore/properties.h"
#include "mqstore/socket_address.h"

namespace mqstore {

class Segment;  // a commit-log file (internal)

// RocketMQ's default maxMessageSize (4 MiB) and the encoder's TOTALSIZE cap
// (maxMessageSize + 64 KiB).
inline constexpr int32_t kDefaultMaxMessageSize = 4 * 1024 * 1024;
inline constexpr int32_t kDefaultMaxRecordSize = kDefaultMaxMessageSize + 64 * 1024;

enum class MessageVersion : uint8_t { kV1 = 1, kV2 = 2 };

// A decoded message record. Every string and byte view points into the
// buffer that was decoded; the caller keeps that buffer alive.
struct MessageRecordView {
  int32_t total_size = 0;
  MessageVersion version = MessageVersion::kV1;
  int32_t body_crc = 0;
  int32_t queue_id = 0;
  int32_t flag = 0;
  int64_t queue_offset = 0;
  int64_t physical_offset = 0;
  int32_t sys_flag = 0;
  int64_t born_timestamp = 0;
  SocketAddress born_host;
  int64_t store_timestamp = 0;
  SocketAddress store_host;
  int32_t reconsume_times = 0;
  int64_t prepared_transaction_offset = 0;
  std::span<const uint8_t> body;
  std::string_view topic;
  std::string_view properties_raw;

  PropertiesView properties() const { return PropertiesView(properties_raw); }
  bool BodyCrcMatches() const;  // stored BODYCRC == BodyCrc(body)
};

struct RecordDecodeOptions {
  // Largest TOTALSIZE accepted; larger is kSizeOutOfRange.
  int32_t max_record_size = kDefaultMaxRecordSize;
  // Compare BODYCRC with the body (checkCRCOnRecover).
  bool check_crc = false;
};

// Bytes of a segment a reader holds; the segment stays mapped while it lives.
struct SegmentView {
  std::shared_ptr<Segment> segment;
  std::span<const uint8_t> bytes;
  int64_t offset = 0;  // global offset of bytes[0]
};

// A record read from the log, pinned in memory while the view lives.
struct MessageView {
  SegmentView pin;
  MessageRecordView message;
};

}  // namespace mqstore
