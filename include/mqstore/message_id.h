// offsetMsgId: the id the store hands back for a put (MessageDecoder.createMessageId):
//
//   IPv4: [ store ip 4 ][ port i32 ][ PHYSICALOFFSET i64 ]  -> 32 hex chars
//   IPv6: [ store ip 16 ][ port i32 ][ PHYSICALOFFSET i64 ] -> 56 hex chars
//
// printed as upper-case hex (UtilAll.bytes2string).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "mqstore/socket_address.h"
#include "mqstore/status.h"

namespace mqstore {

std::string OffsetMsgId(const SocketAddress& store_host, int64_t physical_offset);

struct MessageIdParts {
  SocketAddress store_host;
  int64_t physical_offset = 0;
};

// Parses either form (hex digits of either case).
Result<MessageIdParts> DecodeOffsetMsgId(std::string_view id);

}  // namespace mqstore
