// What a store's transactions stand at, read from its commit log alone
// (`mqstore dump transactions`): every half record of
// RMQ_SYS_TRANS_HALF_TOPIC, and the state of its transaction derived from
// the records that settle it:
//
//   committed ... a COMMIT-typed record carrying TRAN_MSG (a broker's commit
//                 keeps it) names one of the transaction's half records as
//                 its preparedTransactionOffset
//   rolled_back . an op record (tag "d", either body form) names one of its
//                 half queue offsets (or a TRAN_PREPARED_QUEUE_OFFSET), and
//                 no commit does
//   discarded ... neither, and a copy with its UNIQ_KEY is in
//                 TRANS_CHECK_MAX_TIME_TOPIC (checked transactionCheckMax
//                 times, or older than fileReservedTime)
//   pending ..... none of these
//
// A transaction is the original half and the copies the check put back
// (same UNIQ_KEY; without one, the record alone). Read-only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "storage/io/file_system.h"
#include "storage/offline/store_options.h"
#include "storage/store_layout.h"

namespace mqstore {

enum class TransactionState : uint8_t { kPending, kCommitted, kRolledBack, kDiscarded };
const char* TransactionStateName(TransactionState s);  // "pending", "committed", "rolled_back", "discarded"

struct HalfRecordInfo {
  int64_t half_offset = 0;     // its commit-log offset (what END_TRANSACTION names)
  int64_t queue_offset = 0;    // in RMQ_SYS_TRANS_HALF_TOPIC/0
  int64_t store_timestamp = 0;
  std::string real_topic;
  int32_t real_queue_id = -1;
  std::string uniq_key;
  int32_t checks = 0;          // TRANSACTION_CHECK_TIMES (0: never checked)
  TransactionState state = TransactionState::kPending;  // of its transaction
  bool latest = true;          // the transaction's newest half record
  int64_t committed_offset = -1;  // the real message, when committed
};

struct TransactionSummary {
  std::vector<HalfRecordInfo> halves;  // in commit-log order
  uint64_t op_records = 0;
  uint64_t commit_records = 0;         // COMMIT-typed records naming a half
  uint64_t discarded_records = 0;      // in TRANS_CHECK_MAX_TIME_TOPIC
  std::optional<int64_t> half_progress, op_progress;  // CID_RMQ_SYS_TRANS in config/consumerOffset.json
  std::vector<std::string> problems;   // unreadable records, op bodies, a damaged consumerOffset.json
};

Result<TransactionSummary> ReadTransactions(FileSystem& fs, const StorePaths& paths, const StoreReadOptions& options);

}  // namespace mqstore
