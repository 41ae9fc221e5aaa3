// A CommitLog message record (RocketMQ CommitLog / MessageExtEncoder).
// All integers big-endian. Offsets shown for IPv4 born and store hosts; an
// IPv6 born host (SYSFLAG 0x10) adds 12 to everything after BORNHOST, an IPv6
// store host (0x20) 12 more after STOREHOSTADDRESS.
//
//   0  TOTALSIZE        i32   whole record, this field included
//   4  MAGICCODE        i32   v1 0xDAA320A7 | v2 0xDAA320AB
//   8  BODYCRC          i32   CRC-32(body) & 0x7FFFFFFF
//  12  QUEUEID          i32
//  16  FLAG             i32
//  20  QUEUEOFFSET      i64   patched under the put lock
//  28  PHYSICALOFFSET   i64   patched under the put lock
//  36  SYSFLAG          i32
//  40  BORNTIMESTAMP    i64
//  48  BORNHOST         8|20  address + i32 port
//  56  STORETIMESTAMP   i64   patched under the put lock
//  64  STOREHOSTADDRESS 8|20
//  72  RECONSUMETIMES   i32
//  76  PREPARED TX OFF  i64
//  84  BODY             i32 length + bytes
//   .  TOPIC            v1: i8 length | v2: i16 length, + UTF-8 bytes
//   .  PROPERTIES       i16 length + bytes (see properties.h)
//
// End-of-file blank record (the rest of a segment file that a record did not
// fit into; always at least 8 bytes):
//
//   0  TOTALSIZE  i32  = bytes left in the file
//   4  MAGICCODE  i32  = 0xCBD43194
//   8  ...             whatever the file held (ignored)
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "format/decode_error.h"
#include "format/properties.h"
#include "format/socket_address.h"
#include "mqstore/message_view.h"  // MessageVersion, MessageRecordView, RecordDecodeOptions
#include "mqstore/status.h"

namespace mqstore {

inline constexpr uint32_t kMagicV1 = 0xDAA320A7u;
inline constexpr uint32_t kMagicV2 = 0xDAA320ABu;
inline constexpr uint32_t kBlankMagic = 0xCBD43194u;
inline constexpr int32_t kEndFileMinBlankLength = 8;

// Smallest possible record: v1, IPv4 hosts, empty body, topic and properties.
inline constexpr int32_t kMinRecordSize = 91;
inline constexpr int32_t kMaxPropertiesLength = 32767;

inline constexpr uint32_t MagicOf(MessageVersion v) { return v == MessageVersion::kV2 ? kMagicV2 : kMagicV1; }

// The version RocketMQ 5.x picks: v2 once the topic does not fit a signed
// byte. (Upstream tests the Java character count; the byte count is what
// actually overflows, so that is what we test.)
inline MessageVersion VersionForTopic(std::string_view topic) {
  return topic.size() > 127 ? MessageVersion::kV2 : MessageVersion::kV1;
}

// Field positions that do not depend on the hosts.
namespace record_pos {
inline constexpr uint32_t kTotalSize = 0;
inline constexpr uint32_t kMagic = 4;
inline constexpr uint32_t kBodyCrc = 8;
inline constexpr uint32_t kQueueId = 12;
inline constexpr uint32_t kFlag = 16;
inline constexpr uint32_t kQueueOffset = 20;
inline constexpr uint32_t kPhysicalOffset = 28;
inline constexpr uint32_t kSysFlag = 36;
inline constexpr uint32_t kBornTimestamp = 40;
inline constexpr uint32_t kBornHost = 48;
// STORETIMESTAMP follows the born host, whose size SYSFLAG gives.
inline constexpr uint32_t StoreTimestamp(int32_t sys_flag) { return kBornHost + ((sys_flag & 0x10) ? 20 : 8); }
}  // namespace record_pos

enum class RecordKind : uint8_t { kMessage, kBlank };

struct DecodedRecord {
  RecordKind kind = RecordKind::kMessage;
  int32_t total_size = 0;     // bytes the record occupies (blank: bytes left)
  MessageRecordView message;  // valid when kind == kMessage
};

// Decodes the record at the start of `in`. Never reads outside `in`; any
// inconsistency (unknown magic, TOTALSIZE out of range or past the input, a
// length running past TOTALSIZE, fields not adding up to TOTALSIZE, CRC
// mismatch when asked) is a DecodeError naming the field and its offset.
DecodeResult<DecodedRecord> DecodeRecord(std::span<const uint8_t> in,
                                         const RecordDecodeOptions& options = {});
// The same, into `out` (what a hot loop calls: the view is not copied on its
// way out). Returns the error, if any; `out` is unspecified then.
std::optional<DecodeError> DecodeRecordInto(std::span<const uint8_t> in, const RecordDecodeOptions& options,
                                            DecodedRecord& out);

// Everything a producer and the store decide about a record. Views are not
// owned. QUEUEOFFSET, PHYSICALOFFSET and STORETIMESTAMP may be left 0 and
// patched after encoding (PatchAppendFields).
struct MessageRecordFields {
  std::string_view topic;
  int32_t queue_id = 0;
  int32_t flag = 0;
  int64_t queue_offset = 0;
  int64_t physical_offset = 0;
  int32_t sys_flag = 0;  // host v6 bits are set from the hosts by the encoder
  int64_t born_timestamp = 0;
  SocketAddress born_host;
  int64_t store_timestamp = 0;
  SocketAddress store_host;
  int32_t reconsume_times = 0;
  int64_t prepared_transaction_offset = 0;
  std::span<const uint8_t> body;
  std::string_view properties;  // already serialised (properties.h)
  MessageVersion version = MessageVersion::kV1;
  // BODYCRC is computed from the body unless a value is given here (used to
  // reproduce stored bytes exactly, e.g. a record whose CRC was wrong).
  bool use_given_body_crc = false;
  int32_t given_body_crc = 0;
};

// Why a record cannot be encoded; mirrors the put statuses it maps to.
enum class EncodeErrc : uint8_t {
  kTopicTooLong,       // topic does not fit the version's length field
  kPropertiesTooLong,  // > 32767 bytes (PROPERTIES_SIZE_EXCEEDED)
  kBodyTooLong,        // body > max message size (MESSAGE_ILLEGAL)
  kRecordTooLong,      // TOTALSIZE > max record size (MESSAGE_ILLEGAL)
  kBufferSize,         // output span is not exactly the record size
};

struct EncodeError {
  EncodeErrc code;
  int64_t value;  // the offending length
  std::string ToString() const;
};

struct EncodeLimits {
  int32_t max_message_size = kDefaultMaxMessageSize;  // body length limit
  int32_t max_record_size = kDefaultMaxRecordSize;    // TOTALSIZE limit
};

// TOTALSIZE for `f`, or why it cannot be encoded.
Result<int32_t, EncodeError> EncodedRecordSize(const MessageRecordFields& f,
                                               const EncodeLimits& limits = {});

// Writes the record into `out`, which must be exactly EncodedRecordSize bytes.
Result<int32_t, EncodeError> EncodeRecord(const MessageRecordFields& f, std::span<uint8_t> out,
                                          const EncodeLimits& limits = {});

// Appends the record to `out` (resized as needed).
Result<int32_t, EncodeError> EncodeRecordTo(const MessageRecordFields& f, std::vector<uint8_t>& out,
                                            const EncodeLimits& limits = {});

// Fields of an encoded record for re-encoding: every value, view and the
// stored BODYCRC, so that EncodeRecord(FieldsOf(view)) reproduces the bytes.
MessageRecordFields FieldsOf(const MessageRecordView& view);

// The three values the put path fills in under its lock, written in place
// into an already encoded record (`record` points at its TOTALSIZE).
void PatchAppendFields(uint8_t* record, int64_t queue_offset, int64_t physical_offset,
                       int64_t store_timestamp);

// Writes the 8-byte end-of-file blank record: TOTALSIZE = bytes_left.
void EncodeBlankRecord(uint8_t* out8, int32_t bytes_left);

// tagsCode of a record for its consume-queue unit: hashCode of TAGS, or, for
// a SCHEDULE_TOPIC_XXXX record with DELAY > 0, its delivery time
// (delay_level_millis: millis of levels 1..N, see delay_levels.h).
int64_t RecordTagsCode(const MessageRecordView& m, std::span<const int64_t> delay_level_millis);

inline constexpr std::string_view kScheduleTopic = "SCHEDULE_TOPIC_XXXX";

}  // namespace mqstore
