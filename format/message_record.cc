#include "format/message_record.h"

#include <cstring>

#include "format/big_endian.h"
#include "format/crc32.h"
#include "format/java_number.h"
#include "format/java_string_hash.h"
#include "format/sys_flag.h"

namespace mqstore {
namespace {

DecodeError Err(DecodeErrc code, const char* field, uint64_t offset, int64_t value = 0) {
  return DecodeError{code, field, offset, value};
}

// Reads a signed length field of `width` bytes at `pos` and checks that the
// bytes it announces fit before `end`. On success advances pos past the
// field and returns the length; on failure fills `error`.
bool ReadLength(const uint8_t* p, uint64_t& pos, uint64_t end, int width, const char* field,
                int64_t& length, DecodeError& error) {
  if (pos + width > end) {
    error = Err(DecodeErrc::kLengthPastEnd, field, pos, static_cast<int64_t>(end));
    return false;
  }
  length = width == 1 ? static_cast<int8_t>(p[pos]) : width == 2 ? LoadI16(p + pos) : LoadI32(p + pos);
  if (length < 0) {
    error = Err(DecodeErrc::kNegativeLength, field, pos, length);
    return false;
  }
  if (pos + width + static_cast<uint64_t>(length) > end) {
    error = Err(DecodeErrc::kLengthPastEnd, field, pos, length);
    return false;
  }
  pos += width;
  return true;
}

}  // namespace

bool MessageRecordView::BodyCrcMatches() const { return BodyCrc(body) == body_crc; }

std::optional<DecodeError> DecodeRecordInto(std::span<const uint8_t> in, const RecordDecodeOptions& options,
                                            DecodedRecord& out) {
  const uint8_t* p = in.data();
  const uint64_t avail = in.size();
  if (avail < 4) return Err(DecodeErrc::kTruncated, "TOTALSIZE", 0, static_cast<int64_t>(avail));
  const int32_t total = LoadI32(p);
  if (avail < 8) return Err(DecodeErrc::kTruncated, "MAGICCODE", 4, static_cast<int64_t>(avail));
  const uint32_t magic = LoadU32(p + record_pos::kMagic);

  out = DecodedRecord{};
  out.total_size = total;
  if (magic == kBlankMagic) {
    if (total < kEndFileMinBlankLength) return Err(DecodeErrc::kSizeOutOfRange, "TOTALSIZE", 0, total);
    out.kind = RecordKind::kBlank;
    return std::nullopt;
  }
  if (magic != kMagicV1 && magic != kMagicV2)
    return Err(DecodeErrc::kBadMagic, "MAGICCODE", record_pos::kMagic, static_cast<int32_t>(magic));
  if (total < kMinRecordSize || total > options.max_record_size)
    return Err(DecodeErrc::kSizeOutOfRange, "TOTALSIZE", 0, total);
  if (static_cast<uint64_t>(total) > avail) return Err(DecodeErrc::kTruncated, "TOTALSIZE", 0, total);

  // From here every read stays below `end` <= avail.
  const uint64_t end = static_cast<uint64_t>(total);
  MessageRecordView& m = out.message;
  m.total_size = total;
  m.version = magic == kMagicV2 ? MessageVersion::kV2 : MessageVersion::kV1;
  m.body_crc = LoadI32(p + record_pos::kBodyCrc);
  m.queue_id = LoadI32(p + record_pos::kQueueId);
  m.flag = LoadI32(p + record_pos::kFlag);
  m.queue_offset = LoadI64(p + record_pos::kQueueOffset);
  m.physical_offset = LoadI64(p + record_pos::kPhysicalOffset);
  m.sys_flag = LoadI32(p + record_pos::kSysFlag);
  m.born_timestamp = LoadI64(p + record_pos::kBornTimestamp);

  const bool born_v6 = (m.sys_flag & sysflag::kBornHostV6) != 0;
  const bool store_v6 = (m.sys_flag & sysflag::kStoreHostV6) != 0;
  uint64_t pos = record_pos::kBornHost;
  // Hosts, STORETIMESTAMP, RECONSUMETIMES and PREPARED TX OFFSET: 28..52 bytes.
  const uint64_t fixed = sysflag::BornHostLength(m.sys_flag) + 8 + sysflag::StoreHostLength(m.sys_flag) + 12;
  if (pos + fixed > end) return Err(DecodeErrc::kLengthPastEnd, "SYSFLAG", record_pos::kSysFlag, m.sys_flag);
  m.born_host = SocketAddress::Load(p + pos, born_v6);
  pos += m.born_host.EncodedSize();
  m.store_timestamp = LoadI64(p + pos);
  pos += 8;
  m.store_host = SocketAddress::Load(p + pos, store_v6);
  pos += m.store_host.EncodedSize();
  m.reconsume_times = LoadI32(p + pos);
  pos += 4;
  m.prepared_transaction_offset = LoadI64(p + pos);
  pos += 8;

  DecodeError error{};
  int64_t len = 0;
  if (!ReadLength(p, pos, end, 4, "BODY length", len, error)) return error;
  m.body = in.subspan(pos, static_cast<size_t>(len));
  pos += len;

  const int topic_width = m.version == MessageVersion::kV2 ? 2 : 1;
  if (!ReadLength(p, pos, end, topic_width, "TOPIC length", len, error)) return error;
  m.topic = std::string_view(reinterpret_cast<const char*>(p + pos), static_cast<size_t>(len));
  pos += len;

  if (!ReadLength(p, pos, end, 2, "PROPERTIES length", len, error)) return error;
  m.properties_raw = std::string_view(reinterpret_cast<const char*>(p + pos), static_cast<size_t>(len));
  pos += len;

  if (pos != end) return Err(DecodeErrc::kLengthMismatch, "TOTALSIZE", 0, static_cast<int64_t>(pos));
  if (options.check_crc && !m.BodyCrcMatches())
    return Err(DecodeErrc::kBadValue, "BODYCRC", record_pos::kBodyCrc, m.body_crc);
  return std::nullopt;
}

DecodeResult<DecodedRecord> DecodeRecord(std::span<const uint8_t> in, const RecordDecodeOptions& options) {
  DecodedRecord out;
  if (auto error = DecodeRecordInto(in, options, out)) return *error;
  return out;
}

std::string EncodeError::ToString() const {
  const char* what = "";
  switch (code) {
    case EncodeErrc::kTopicTooLong: what = "topic too long for the record version"; break;
    case EncodeErrc::kPropertiesTooLong: what = "properties longer than 32767 bytes"; break;
    case EncodeErrc::kBodyTooLong: what = "body longer than maxMessageSize"; break;
    case EncodeErrc::kRecordTooLong: what = "record longer than the TOTALSIZE limit"; break;
    case EncodeErrc::kBufferSize: what = "output buffer size differs from the record size"; break;
  }
  return std::string(what) + " (" + std::to_string(value) + ")";
}

Result<int32_t, EncodeError> EncodedRecordSize(const MessageRecordFields& f, const EncodeLimits& limits) {
  const bool v2 = f.version == MessageVersion::kV2;
  if (f.topic.size() > (v2 ? 32767u : 127u))
    return EncodeError{EncodeErrc::kTopicTooLong, static_cast<int64_t>(f.topic.size())};
  if (f.properties.size() > static_cast<size_t>(kMaxPropertiesLength))
    return EncodeError{EncodeErrc::kPropertiesTooLong, static_cast<int64_t>(f.properties.size())};
  if (f.body.size() > static_cast<size_t>(limits.max_message_size))
    return EncodeError{EncodeErrc::kBodyTooLong, static_cast<int64_t>(f.body.size())};
  const uint64_t size = 48 + f.born_host.EncodedSize() + 8 + f.store_host.EncodedSize() + 12 + 4 +
                        f.body.size() + (v2 ? 2 : 1) + f.topic.size() + 2 + f.properties.size();
  if (size > static_cast<uint64_t>(limits.max_record_size))
    return EncodeError{EncodeErrc::kRecordTooLong, static_cast<int64_t>(size)};
  return static_cast<int32_t>(size);
}

Result<int32_t, EncodeError> EncodeRecord(const MessageRecordFields& f, std::span<uint8_t> out,
                                          const EncodeLimits& limits) {
  auto size = EncodedRecordSize(f, limits);
  if (!size.ok()) return size;
  const int32_t total = *size;
  if (out.size() != static_cast<size_t>(total))
    return EncodeError{EncodeErrc::kBufferSize, static_cast<int64_t>(out.size())};

  const int32_t sys_flag = (f.sys_flag & ~(sysflag::kBornHostV6 | sysflag::kStoreHostV6)) |
                           (f.born_host.ipv6 ? sysflag::kBornHostV6 : 0) |
                           (f.store_host.ipv6 ? sysflag::kStoreHostV6 : 0);
  uint8_t* p = out.data();
  StoreI32(p + record_pos::kTotalSize, total);
  StoreU32(p + record_pos::kMagic, MagicOf(f.version));
  StoreI32(p + record_pos::kBodyCrc, f.use_given_body_crc ? f.given_body_crc : BodyCrc(f.body));
  StoreI32(p + record_pos::kQueueId, f.queue_id);
  StoreI32(p + record_pos::kFlag, f.flag);
  StoreI64(p + record_pos::kQueueOffset, f.queue_offset);
  StoreI64(p + record_pos::kPhysicalOffset, f.physical_offset);
  StoreI32(p + record_pos::kSysFlag, sys_flag);
  StoreI64(p + record_pos::kBornTimestamp, f.born_timestamp);
  size_t pos = record_pos::kBornHost;
  f.born_host.Store(p + pos);
  pos += f.born_host.EncodedSize();
  StoreI64(p + pos, f.store_timestamp);
  pos += 8;
  f.store_host.Store(p + pos);
  pos += f.store_host.EncodedSize();
  StoreI32(p + pos, f.reconsume_times);
  pos += 4;
  StoreI64(p + pos, f.prepared_transaction_offset);
  pos += 8;
  StoreI32(p + pos, static_cast<int32_t>(f.body.size()));
  pos += 4;
  if (!f.body.empty()) std::memcpy(p + pos, f.body.data(), f.body.size());
  pos += f.body.size();
  if (f.version == MessageVersion::kV2) {
    StoreI16(p + pos, static_cast<int16_t>(f.topic.size()));
    pos += 2;
  } else {
    p[pos++] = static_cast<uint8_t>(f.topic.size());
  }
  if (!f.topic.empty()) std::memcpy(p + pos, f.topic.data(), f.topic.size());
  pos += f.topic.size();
  StoreI16(p + pos, static_cast<int16_t>(f.properties.size()));
  pos += 2;
  if (!f.properties.empty()) std::memcpy(p + pos, f.properties.data(), f.properties.size());
  return total;
}

Result<int32_t, EncodeError> EncodeRecordTo(const MessageRecordFields& f, std::vector<uint8_t>& out,
                                            const EncodeLimits& limits) {
  auto size = EncodedRecordSize(f, limits);
  if (!size.ok()) return size;
  const size_t start = out.size();
  out.resize(start + static_cast<size_t>(*size));
  return EncodeRecord(f, std::span<uint8_t>(out.data() + start, static_cast<size_t>(*size)), limits);
}

MessageRecordFields FieldsOf(const MessageRecordView& v) {
  MessageRecordFields f;
  f.topic = v.topic;
  f.queue_id = v.queue_id;
  f.flag = v.flag;
  f.queue_offset = v.queue_offset;
  f.physical_offset = v.physical_offset;
  f.sys_flag = v.sys_flag;
  f.born_timestamp = v.born_timestamp;
  f.born_host = v.born_host;
  f.store_timestamp = v.store_timestamp;
  f.store_host = v.store_host;
  f.reconsume_times = v.reconsume_times;
  f.prepared_transaction_offset = v.prepared_transaction_offset;
  f.body = v.body;
  f.properties = v.properties_raw;
  f.version = v.version;
  f.use_given_body_crc = true;
  f.given_body_crc = v.body_crc;
  return f;
}

void PatchAppendFields(uint8_t* record, int64_t queue_offset, int64_t physical_offset,
                       int64_t store_timestamp) {
  const int32_t sys_flag = LoadI32(record + record_pos::kSysFlag);
  StoreI64(record + record_pos::kQueueOffset, queue_offset);
  StoreI64(record + record_pos::kPhysicalOffset, physical_offset);
  StoreI64(record + record_pos::StoreTimestamp(sys_flag), store_timestamp);
}

void EncodeBlankRecord(uint8_t* out8, int32_t bytes_left) {
  StoreI32(out8, bytes_left);
  StoreU32(out8 + 4, kBlankMagic);
}

// Java Integer.parseInt for the DELAY value; nullopt where Java would throw.
int64_t RecordTagsCode(const MessageRecordView& m, std::span<const int64_t> delay_level_millis) {
  const PropertiesView props = m.properties();
  std::optional<std::string_view> tags, delay;
  props.ForEach([&](const Property& p) {
    if (p.name == property::kTags) tags = p.value;
    else if (p.name == property::kDelay) delay = p.value;
  });
  int64_t code = tags ? TagsCode(*tags) : 0;
  if (delay && m.topic == kScheduleTopic) {
    std::optional<int32_t> level = ParseJavaInteger<int32_t>(*delay);
    if (level) {
      const int32_t max_level = static_cast<int32_t>(delay_level_millis.size());
      if (*level > max_level) level = max_level;
      // Java long arithmetic wraps; so does this (a garbage time must not be UB).
      if (*level > 0)
        code = static_cast<int64_t>(static_cast<uint64_t>(m.store_timestamp) +
                                    static_cast<uint64_t>(delay_level_millis[static_cast<size_t>(*level - 1)]));
    }
  }
  return code;
}

}  // namespace mqstore
