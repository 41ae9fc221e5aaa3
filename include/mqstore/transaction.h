// Transactional messages as RocketMQ 4.9 / 5.x brokers keep them in the
// store: all ordinary records of system topics, so a RocketMQ broker and
// mqstore can take over each other's store (docs/engine.md, "Transactions").
//
//   PutHalf(m) ........... m goes to RMQ_SYS_TRANS_HALF_TOPIC queue 0 with
//                          REAL_TOPIC / REAL_QID; consumers of its topic do
//                          not see it
//   EndTransaction(half, kCommit) ... the real message is put to its topic
//                          (COMMIT type, preparedTransactionOffset = half),
//                          then an op record (tag "d") names the half
//   EndTransaction(half, kRollback) . only the op record
//   check-back ........... halves left undecided past transactionTimeOut are
//                          put again at the half queue's tail and the
//                          embedder's TransactionCheckListener is asked;
//                          its answer comes later, from any thread, as an
//                          EndTransaction naming the check's half_offset
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "mqstore/message.h"

namespace mqstore {

inline constexpr std::string_view kTransHalfTopic = "RMQ_SYS_TRANS_HALF_TOPIC";
inline constexpr std::string_view kTransOpHalfTopic = "RMQ_SYS_TRANS_OP_HALF_TOPIC";
inline constexpr std::string_view kTransCheckMaxTimeTopic = "TRANS_CHECK_MAX_TIME_TOPIC";
// The consumer group whose offsets (config/consumerOffset.json) are the
// check's progress over the half and op queues.
inline constexpr std::string_view kTransSysGroup = "CID_RMQ_SYS_TRANS";
inline constexpr std::string_view kTransOpRemoveTag = "d";

namespace property {
inline constexpr std::string_view kTransactionCheckTimes = "TRANSACTION_CHECK_TIMES";
inline constexpr std::string_view kCheckImmunityTimeInSeconds = "CHECK_IMMUNITY_TIME_IN_SECONDS";
inline constexpr std::string_view kTransactionPreparedQueueOffset = "TRAN_PREPARED_QUEUE_OFFSET";
inline constexpr std::string_view kTransactionId = "__transactionId__";
}  // namespace property

enum class TransactionDecision : uint8_t { kUnknown, kCommit, kRollback };

// What END_TRANSACTION carries besides the half's commit-log offset. The
// checks RocketMQ makes are made when the field is given.
struct EndTransactionOptions {
  std::string_view producer_group;  // must equal the half's PGROUP when not empty
  int64_t half_queue_offset = -1;   // tranStateTableOffset: must equal the half's queue offset when >= 0
  // The answer to a check-back (fromTransactionCheck). Without it a late
  // decision on a half that carries CHECK_IMMUNITY_TIME_IN_SECONDS is
  // refused once the check owns it (RocketMQ 5.x's rejectCommitOrRollback).
  bool from_check = false;
};

struct EndTransactionResult {
  TransactionDecision decision = TransactionDecision::kUnknown;
  PutResult committed;       // kCommit: the real message's put
  bool op_written = false;   // the op record was put (false while batched, or when it failed: the check retries)
};

// One check-back: the producer group's transaction that the half at
// `half_offset` (the copy the check just put) belongs to.
struct TransactionCheck {
  int64_t half_offset = 0;        // commit-log offset to answer with (EndTransaction)
  int64_t half_queue_offset = 0;  // its queue offset (tranStateTableOffset)
  std::string producer_group;     // PGROUP
  std::string uniq_key;           // UNIQ_KEY (the producer's message id)
  std::string transaction_id;     // __transactionId__, else UNIQ_KEY
  std::string real_topic;
  int32_t real_queue_id = 0;
  int32_t check_times = 0;        // TRANSACTION_CHECK_TIMES of the copy
};

// Called on the check thread for each check-back; keep it short (queue the
// question, answer later from any thread with EndTransaction; or never:
// the half is checked again next round, at most transactionCheckMax times).
using TransactionCheckListener = std::function<void(const TransactionCheck&)>;

}  // namespace mqstore
