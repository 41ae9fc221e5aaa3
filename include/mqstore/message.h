// What a producer hands the store and what the store answers
// (RocketMQ's MessageExtBrokerInner, PutMessageStatus, PutMessageResult).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "mqstore/message_id.h"
#include "mqstore/socket_address.h"

namespace mqstore {

// Whether a put waits until its record is durable (RocketMQ's WAIT property,
// isWaitStoreMsgOK). kStoreDefault: wait in SYNC_FLUSH, unless the
// properties say WAIT=false; kWait: wait even in ASYNC_FLUSH; kNoWait: do
// not wait even in SYNC_FLUSH.
enum class FlushWait : uint8_t { kStoreDefault, kWait, kNoWait };

// One message to store. Views are not owned and need to live only for the
// call. `properties` is already serialised (SerializeProperties).
struct Message {
  std::string_view topic;
  int32_t queue_id = 0;
  int32_t flag = 0;
  std::span<const uint8_t> body;
  std::string_view properties;
  int32_t sys_flag = 0;  // transaction type bits; host v6 bits are set from the hosts
  int64_t born_timestamp = 0;
  SocketAddress born_host;
  SocketAddress store_host;
  int32_t reconsume_times = 0;
  int64_t prepared_transaction_offset = 0;
  FlushWait flush_wait = FlushWait::kStoreDefault;
};

enum class PutStatus : uint8_t {
  kPutOk,
  kFlushDiskTimeout,
  kFlushSlaveTimeout,
  kSlaveNotAvailable,
  kServiceNotAvailable,
  kCreateMappedFileFailed,
  kMessageIllegal,
  kPropertiesSizeExceeded,
  kOsPageCacheBusy,
  // Timer messages (5.x): the wheel is off, the timer properties are not
  // valid (unparsable, beyond timerMaxDelaySec, a cancel of a past time), or
  // the slot is full (timerCongestNumEachSlot).
  kWheelTimerNotEnable,
  kWheelTimerMsgIllegal,
  kWheelTimerFlowControl,
  kUnknownError,  // last: counts of statuses use it as the size
};

// RocketMQ's enum name, e.g. "PUT_OK".
std::string_view PutStatusName(PutStatus s);

struct PutResult {
  PutStatus status = PutStatus::kUnknownError;
  int64_t wrote_offset = 0;   // physical offset of the (first) record
  int32_t wrote_bytes = 0;    // bytes of all records of the put
  int64_t queue_offset = 0;   // queue offset of the (first) record
  int32_t msg_count = 0;      // records stored
  int64_t store_timestamp = 0;
  SocketAddress store_host;
  std::string reason;  // why, when not PUT_OK (empty on the hot path)
  // Duplicate suppression (dedupWindowSeconds > 0; docs/engine.md,
  // "Duplicate suppression"). `duplicate`: every message of the put was
  // already stored within the window, nothing was written, and the offsets,
  // wrote_bytes and store time above are the first message's original
  // record (msg_count 0). `duplicates`: messages of the put not stored
  // because they were duplicates (a batch may store the rest).
  bool duplicate = false;
  int32_t duplicates = 0;

  bool ok() const { return status == PutStatus::kPutOk; }
  // offsetMsgId of the first record (store host + physical offset).
  std::string msg_id() const { return OffsetMsgId(store_host, wrote_offset); }
};

// Called exactly once with the outcome of an asynchronous put; on the flush
// thread when the put waited for a sync, so it must be short and must not
// block on the store.
using PutCallback = std::function<void(PutResult)>;

}  // namespace mqstore
