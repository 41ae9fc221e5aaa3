// TransactionService: RocketMQ's transactional messages on the store
// (TransactionalMessageServiceImpl, EndTransactionProcessor's store side,
// TransactionalMessageCheckService, 5.x TransactionalOpBatchService). The
// records are built by transaction_records.h; the check's progress is
// config/consumerOffset.json (consumer_offset_table.h).
//
// Check round (check(), every transactionCheckInterval on the mq-tx-check
// thread; Check() runs one now), over half queue 0 from the stored progress
// of CID_RMQ_SYS_TRANS (or the queue's minimum) and the op queue likewise:
//
//   ops are read 32 at a time; an op (tag "d") settles the halves its body
//   names at or after the half progress; other tags and unreadable bodies
//   settle nothing
//   for each half offset i:
//     settled by an op .......................... skip (the op is done)
//     TRANSACTION_CHECK_TIMES >= transactionCheckMax, or older than
//       fileReservedTime ........................ copied to
//                                                 TRANS_CHECK_MAX_TIME_TOPIC
//     stored after this round began ............. stop
//     CHECK_IMMUNITY_TIME_IN_SECONDS and younger than it: re-put with
//       TRAN_PREPARED_QUEUE_OFFSET (unless an op settles that offset)
//     no immunity property, younger than transactionTimeOut .... stop
//     no op read in the last pull and older than the immunity, or the
//       last op born after start + transactionTimeOut, or born in the
//       future ................................... re-put (TRANSACTION_CHECK_TIMES
//                                                 + 1) and ask the listener
//                                                 about the copy
//     otherwise read the next 32 ops and look again (none left: stop)
//   the half progress moves past what was handled; the op progress over the
//   run of ops all of whose halves were met. Both are persisted after the
//   log is flushed, so progress never passes a re-put copy a power loss
//   could take back.
//
// Deviations, all towards "nothing lost" (docs/engine.md, "Transactions"):
// a re-put or discard copy whose put fails ends the round (RocketMQ retries
// the same half at once, or logs and drops a failed discard); a round that
// would wait for new ops ends instead of sleeping (the next round goes on).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "mqstore/stats.h"
#include "mqstore/store_config.h"
#include "mqstore/transaction.h"
#include "storage/io/clock.h"
#include "storage/io/file_system.h"
#include "storage/log/commit_log.h"
#include "storage/queue/consume_queue_store.h"
#include "storage/transaction/consumer_offset_table.h"
#include "storage/transaction/transaction_records.h"

namespace mqstore {

struct TransactionOptions {
  int64_t check_interval_ms = 30000;      // transactionCheckInterval
  int64_t timeout_ms = 6000;              // transactionTimeOut
  int32_t check_max = 15;                 // transactionCheckMax
  bool op_batch = false;                  // transactionOpBatchEnable (mqstore): 5.x op bodies
  int64_t op_msg_max_size = 4096;         // transactionOpMsgMaxSize
  int64_t op_batch_interval_ms = 3000;    // transactionOpBatchInterval
  int64_t file_reserved_ms = 72 * 3600 * 1000LL;  // fileReservedTime
  bool reject_transaction_message = false;  // rejectTransactionMessage
  bool check_enable = true;               // transactionCheckEnable (mqstore): the check thread runs
  bool master = true;                     // brokerRole is not SLAVE
  std::string offsets_path;               // <root>/config/consumerOffset.json

  static TransactionOptions From(const StoreConfig& config, const std::string& offsets_path);
};

// How the service puts its records into the store, none of them through
// the put hooks but the commit. Duplicate suppression (storage/dedup/) sees
// only `half`: the check's copies of a half repeat its topic and UNIQ_KEY,
// and must be stored.
struct TransactionPuts {
  using Put = std::function<PutResult(const Message&)>;
  Put half;      // PutHalf's record: a producer's put (a resent half may be answered with the first)
  Put internal;  // the check's copies and discards, the op records
  Put commit;    // the real message: hooks run, as the broker's commit goes through putMessage
};

class TransactionService {
 public:
  static constexpr int32_t kOpPullBatch = 32;            // ops read per pull
  static constexpr int64_t kMaxRoundMs = 60 * 1000;      // MAX_PROCESS_TIME_LIMIT per queue

  // `make_durable`: the store's Flush.
  using Put = TransactionPuts::Put;
  using MakeDurable = std::function<Status()>;

  TransactionService(const CommitLog& log, const ConsumeQueueStore& queues, FileSystem& fs, Clock& clock,
                     TransactionOptions options, TransactionPuts puts, MakeDurable make_durable);
  ~TransactionService();
  TransactionService(const TransactionService&) = delete;
  TransactionService& operator=(const TransactionService&) = delete;

  // Reads the progress (consumerOffset.json). An error is kept: no round
  // runs and Stats().error says why; halves and decisions still work.
  Status Load();

  PutResult PutHalf(const Message& message);
  Result<EndTransactionResult> EndTransaction(int64_t half_offset, TransactionDecision decision,
                                              const EndTransactionOptions& options);
  void SetCheckListener(TransactionCheckListener listener);

  // One check round now (at the clock's time); returns the checks sent.
  // Nothing on a slave or after a failed Load.
  size_t Check();
  // Writes the batched op body (5.x form) when it is due (size or
  // interval), or whatever is buffered when `force`.
  Status FlushOps(bool force);
  // Flushes the log, then writes the progress (if it changed).
  Status Persist();

  void Start();
  // Stops the thread; writes the buffered ops and the progress.
  Status Stop();

  TransactionStats Stats() const;
  ConsumerOffsetTable& offsets() { return offsets_; }

 private:
  struct Round;
  bool active() const;
  Status WriteOp(std::string body, const SocketAddress& broker);
  bool DeletePrepared(const MessageRecordView& half);
  void FillOps(Round& round);
  void Settle(Round& round, int64_t half_queue_offset);
  bool PutBack(Round& round, const BuiltMessage& copy, PutResult& out);
  bool CheckPreparedQueueOffset(Round& round, const MessageRecordView& half, int32_t times);
  void Run();

  const CommitLog& log_;
  const ConsumeQueueStore& queues_;
  Clock& clock_;
  const TransactionOptions options_;
  const Put put_half_;
  const Put put_;  // TransactionPuts::internal
  const Put put_commit_;
  const MakeDurable make_durable_;
  ConsumerOffsetTable offsets_;

  std::mutex round_mu_;  // one check round at a time
  std::mutex listener_mu_;
  TransactionCheckListener listener_;

  std::mutex op_mu_;  // the batched op body (5.x form)
  std::string op_body_;
  SocketAddress op_broker_;
  int64_t op_last_write_ms_ = 0;

  mutable std::mutex stats_mu_;
  std::string error_;  // under stats_mu_
  std::atomic<bool> loaded_{false};
  std::atomic<int64_t> pending_{0}, half_progress_{0}, op_progress_{0};
  std::atomic<uint64_t> halves_{0}, checks_{0}, commits_{0}, rollbacks_{0}, discarded_{0}, renewed_{0}, ops_{0},
      op_failures_{0}, rounds_{0};

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool running_ = false;
  std::thread thread_;
};

}  // namespace mqstore
