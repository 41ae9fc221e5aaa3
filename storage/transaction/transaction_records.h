// The records of RocketMQ's transactions, built as its broker builds them
// (TransactionalMessageBridge, EndTransactionProcessor,
// AbstractTransactionalMessageCheckListener). Pure: each takes the message
// or the stored half record and returns what to put; the service
// (transaction_service.h) puts it.
//
//   half ......... topic RMQ_SYS_TRANS_HALF_TOPIC, queue 0; sysFlag with the
//                  transaction type reset to NOT (so it gets an ordinary
//                  queue unit and index entries); REAL_TOPIC, REAL_QID,
//                  TRAN_MSG=true and (5.x) __transactionId__ = UNIQ_KEY
//                  added; DELAY dropped (the client drops it, and a delayed
//                  half would be parked in SCHEDULE_TOPIC_XXXX)
//   commit ....... topic REAL_TOPIC, queue REAL_QID; body, flag, born time
//                  and host, store host, reconsumeTimes of the half; sysFlag
//                  = the half's with type COMMIT; preparedTransactionOffset
//                  = the half's commit-log offset; the half's properties
//                  bytes as stored (Java builds the string before removing
//                  REAL_TOPIC, REAL_QID and TRAN_MSG from its map, so they
//                  stay in the record)
//   op ........... topic RMQ_SYS_TRANS_OP_HALF_TOPIC, queue of the half (0);
//                  sysFlag 0; flag 0; body the half queue offset(s)
//                  (format/transaction_op_body.h); properties WAIT=true and
//                  TAGS=d in Java HashMap order (the Message constructor's
//                  map; UNIQ_KEY is set after the string is built); born and
//                  store host the broker's (the half's store host); no
//                  flush wait (waitStoreMsgOK=false)
//   renewed half . the check's copy at the half queue's tail: topic, queue,
//                  body, sysFlag, born time and host, store host of the half;
//                  flag and reconsumeTimes 0 (not copied); properties with
//                  TRANSACTION_CHECK_TIMES set (and, for an immunity copy,
//                  TRAN_PREPARED_QUEUE_OFFSET); no flush wait
//   discarded .... TRANS_CHECK_MAX_TIME_TOPIC queue 0: body, flag, sysFlag,
//                  born time and host, store host, reconsumeTimes and the
//                  properties of the half as stored; no flush wait
//
// Properties that the broker rewrites keep the order they had; new pairs go
// at the end (Java writes its HashMap's order: readers never depend on it).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "mqstore/message.h"
#include "mqstore/message_view.h"
#include "mqstore/properties.h"
#include "mqstore/status.h"

namespace mqstore {

// A message to put that owns its topic and properties; the body is a view
// (of the caller's message or of the pinned half record).
struct BuiltMessage {
  std::string topic;
  std::string properties;
  std::string owned_body;  // the op record's body; others view the source's
  Message message;  // topic, properties (and an owned body) are pointed at the strings above by view()

  Message view() const {
    Message m = message;
    m.topic = topic;
    m.properties = properties;
    if (!owned_body.empty())
      m.body = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(owned_body.data()), owned_body.size());
    return m;
  }
};

// The op record's properties string: WAIT=true, TAGS=d (HashMap order),
// with 0x02 at the end when `trailing` (5.2.0+ writers).
std::string OpRecordProperties(TrailingSeparator trailing);

// Errors: a message whose properties do not serialise again (InvalidArgument).
Result<BuiltMessage> BuildHalf(const Message& m);
// Errors: a record that is not a half (topic) or lacks REAL_TOPIC / a
// REAL_QID that is a queue id (InvalidArgument, naming the offset).
Result<BuiltMessage> BuildCommit(const MessageRecordView& half);
BuiltMessage BuildOp(std::string body, const SocketAddress& broker, int64_t now_ms, TrailingSeparator trailing);
// `check_times`: the new TRANSACTION_CHECK_TIMES (nullopt: left as stored);
// `prepared_queue_offset`: TRAN_PREPARED_QUEUE_OFFSET to set (immunity copies).
Result<BuiltMessage> BuildRenewedHalf(const MessageRecordView& half, std::optional<int32_t> check_times,
                                      std::optional<int64_t> prepared_queue_offset);
BuiltMessage BuildDiscarded(const MessageRecordView& half);

}  // namespace mqstore
