#include "format/damage_filler.h"

#include <algorithm>
#include <string>

#include "format/sys_flag.h"

namespace mqstore {
namespace {

// Fixed part of a v1 record with IPv4 hosts up to the body's bytes.
constexpr int64_t kBodyAt = 88;

// A filler of exactly `size` bytes at `offset`, its body taken from `here`
// (the bytes it replaces). Topic and properties are dropped, in that order
// of need, when `size` is too small for them.
Result<int32_t, EncodeError> EncodeOne(std::span<const uint8_t> here, int64_t offset, int64_t store_timestamp,
                                       std::string_view properties, std::vector<uint8_t>& out) {
  const auto size = static_cast<int64_t>(here.size());
  MessageRecordFields f;
  f.topic = kDamageFillerTopic;
  f.properties = properties;
  if (size < kMinRecordSize + static_cast<int64_t>(f.topic.size() + f.properties.size())) f.properties = {};
  if (size < kMinRecordSize + static_cast<int64_t>(f.topic.size())) f.topic = {};
  f.sys_flag = sysflag::kTransactionRollbackType;
  f.physical_offset = offset;
  f.store_timestamp = store_timestamp;
  f.born_timestamp = store_timestamp;
  const int64_t body = size - kMinRecordSize - static_cast<int64_t>(f.topic.size() + f.properties.size());
  f.body = here.subspan(static_cast<size_t>(kBodyAt), static_cast<size_t>(body));
  EncodeLimits limits;
  limits.max_message_size = static_cast<int32_t>(size);
  limits.max_record_size = static_cast<int32_t>(size);
  return EncodeRecordTo(f, out, limits);
}

}  // namespace

Result<std::vector<uint8_t>> EncodeDamageFillers(std::span<const uint8_t> damaged, int64_t offset,
                                                 int64_t store_timestamp, std::string_view why,
                                                 int32_t max_record_size) {
  const auto total = static_cast<int64_t>(damaged.size());
  if (total < kMinRecordSize)
    return Status::InvalidArgument("a damaged range of " + std::to_string(total) +
                                   " bytes is shorter than the smallest record (" + std::to_string(kMinRecordSize) +
                                   ") and cannot be skipped");
  const int64_t max_piece = std::max<int64_t>(max_record_size, 2 * kMinRecordSize);
  std::string properties = std::string(kDamageProperty) + kNameValueSeparator + std::string(why.substr(0, 512));
  std::vector<uint8_t> out;
  out.reserve(damaged.size());
  for (int64_t at = 0; at < total;) {
    const int64_t left = total - at;
    // A piece never leaves a remainder too short to be a filler itself.
    int64_t piece = std::min(left, max_piece);
    if (left - piece > 0 && left - piece < kMinRecordSize) piece = left - kMinRecordSize;
    auto wrote = EncodeOne(damaged.subspan(static_cast<size_t>(at), static_cast<size_t>(piece)), offset + at,
                           store_timestamp, properties, out);
    if (!wrote.ok()) return Status::InvalidArgument("filler at " + std::to_string(offset + at) + ": " +
                                                    wrote.error().ToString());
    at += piece;
  }
  return out;
}

bool IsDamageFiller(const MessageRecordView& m) {
  return sysflag::TransactionType(m.sys_flag) == sysflag::kTransactionRollbackType &&
         (m.topic == kDamageFillerTopic || m.topic.empty());
}

}  // namespace mqstore
