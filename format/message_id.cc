#include "format/message_id.h"

#include "format/big_endian.h"

namespace mqstore {

std::string OffsetMsgId(const SocketAddress& store_host, int64_t physical_offset) {
  uint8_t bytes[28];
  const uint32_t n = store_host.EncodedSize();
  store_host.Store(bytes);
  StoreI64(bytes + n, physical_offset);
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out(2 * (n + 8), '0');
  for (uint32_t i = 0; i < n + 8; ++i) {
    out[2 * i] = kHex[bytes[i] >> 4];
    out[2 * i + 1] = kHex[bytes[i] & 0xF];
  }
  return out;
}

static int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

Result<MessageIdParts> DecodeOffsetMsgId(std::string_view id) {
  if (id.size() != 32 && id.size() != 56)
    return Status::InvalidArgument("message id must be 32 (IPv4) or 56 (IPv6) hex chars, got " +
                                   std::to_string(id.size()));
  uint8_t bytes[28];
  for (size_t i = 0; i < id.size() / 2; ++i) {
    const int hi = HexValue(id[2 * i]), lo = HexValue(id[2 * i + 1]);
    if (hi < 0 || lo < 0) return Status::InvalidArgument("message id: bad hex digit at " + std::to_string(2 * i));
    bytes[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  MessageIdParts parts;
  const bool v6 = id.size() == 56;
  parts.store_host = SocketAddress::Load(bytes, v6);
  parts.physical_offset = LoadI64(bytes + parts.store_host.EncodedSize());
  return parts;
}

}  // namespace mqstore
