// SYSFLAG bits of a commit-log record (MessageSysFlag; the same values in
// RocketMQ 4.9 and 5.x).
//
//   bit  10 9 8 | 7     6      | 5        4        | 3 2   | 1         0
//        compr. | INNER NEED   | STORE_V6 BORN_V6  | tx    | MULTI_TAG COMPRESSED
//        type   | BATCH UNWRAP |                   | type  |
#pragma once

#include <cstdint>

namespace mqstore::sysflag {

inline constexpr int32_t kCompressed = 0x001;
inline constexpr int32_t kMultiTags = 0x002;
inline constexpr int32_t kTransactionMask = 0x00C;
inline constexpr int32_t kTransactionNotType = 0x000;
inline constexpr int32_t kTransactionPreparedType = 0x004;
inline constexpr int32_t kTransactionCommitType = 0x008;
inline constexpr int32_t kTransactionRollbackType = 0x00C;
inline constexpr int32_t kBornHostV6 = 0x010;
inline constexpr int32_t kStoreHostV6 = 0x020;
inline constexpr int32_t kNeedUnwrap = 0x040;
inline constexpr int32_t kInnerBatch = 0x080;
inline constexpr int32_t kCompressionTypeMask = 0x700;
inline constexpr int32_t kCompressionLz4 = 0x100;
inline constexpr int32_t kCompressionZstd = 0x200;
inline constexpr int32_t kCompressionZlib = 0x300;

inline constexpr int32_t TransactionType(int32_t flag) { return flag & kTransactionMask; }

// Only NOT and COMMIT records take a queue offset and a consume-queue unit.
inline constexpr bool TakesQueueOffset(int32_t flag) {
  const int32_t t = TransactionType(flag);
  return t == kTransactionNotType || t == kTransactionCommitType;
}

inline constexpr uint32_t BornHostLength(int32_t flag) { return (flag & kBornHostV6) ? 20 : 8; }
inline constexpr uint32_t StoreHostLength(int32_t flag) { return (flag & kStoreHostV6) ? 20 : 8; }

}  // namespace mqstore::sysflag
