// Damage fillers: what recoveryCorruptionPolicy=skip writes over a damaged
// range of the commit log so that every reader (mqstore's, RocketMQ's)
// steps over it and reaches the records after it.
//
//   damaged range [P, Q), Q = the next valid record in the same file:
//     one or more filler records covering it exactly, each an ordinary
//     message record (v1, IPv4 hosts) with
//       TOPIC            MQSTORE_DAMAGED (dropped when the range is short)
//       SYSFLAG          TRANSACTION_ROLLBACK: no consume-queue unit, no
//                        index entry, no queue offset (as RocketMQ treats one)
//       PHYSICALOFFSET   its own position; QUEUEOFFSET 0
//       STORETIMESTAMP   the last valid record's before the range (store
//                        times never go down along the log)
//       BODY             the damaged bytes that were there, kept for
//                        forensics (BODYCRC computed over them)
//       PROPERTIES       MQSTORE_DAMAGE = why (dropped when short)
//   no valid record after P in its file: an end-of-file blank record at P.
//
// The smallest filler is kMinRecordSize (91) bytes; every real record is
// longer, so any range that held records can be filled.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "format/message_record.h"

namespace mqstore {

inline constexpr std::string_view kDamageFillerTopic = "MQSTORE_DAMAGED";
inline constexpr std::string_view kDamageProperty = "MQSTORE_DAMAGE";

// The bytes that replace `damaged` (the range's current content, at global
// offset `offset`): fillers of at most `max_record_size` bytes each. An
// error when the range is shorter than the smallest record.
Result<std::vector<uint8_t>> EncodeDamageFillers(std::span<const uint8_t> damaged, int64_t offset,
                                                 int64_t store_timestamp, std::string_view why,
                                                 int32_t max_record_size);

// A record EncodeDamageFillers wrote.
bool IsDamageFiller(const MessageRecordView& m);

}  // namespace mqstore
