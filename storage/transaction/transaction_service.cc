#include "storage/transaction/transaction_service.h"

#include <algorithm>

#include "format/java_number.h"
#include "format/transaction_op_body.h"
#include "storage/store_log.h"

namespace mqstore {
namespace {

const std::string& HalfKey() {
  static const std::string key = ConsumerOffsetKey(kTransHalfTopic, kTransSysGroup);
  return key;
}
const std::string& OpKey() {
  static const std::string key = ConsumerOffsetKey(kTransOpHalfTopic, kTransSysGroup);
  return key;
}

// The first ten of a kind, then each power of two.
bool WorthLogging(uint64_t n) { return n <= 10 || (n & (n - 1)) == 0; }

// A put the broker counts as stored (EndTransactionProcessor.sendFinalMessage).
bool Stored(const PutResult& r) {
  return r.status == PutStatus::kPutOk || r.status == PutStatus::kFlushDiskTimeout ||
         r.status == PutStatus::kFlushSlaveTimeout || r.status == PutStatus::kSlaveNotAvailable;
}

// The check's immunity: CHECK_IMMUNITY_TIME_IN_SECONDS x 1000, or
// transactionTimeOut when it is -1 or not a number (getImmunityTime).
int64_t CheckImmunityMs(std::string_view seconds, int64_t timeout_ms) {
  const std::optional<int64_t> s = ParseJavaInteger<int64_t>(seconds);
  if (!s || *s == -1) return timeout_ms;
  int64_t ms = 0;
  if (__builtin_mul_overflow(*s, int64_t{1000}, &ms)) return timeout_ms;
  return ms;
}

std::string DecisionName(TransactionDecision d) {
  return d == TransactionDecision::kCommit ? "commit" : d == TransactionDecision::kRollback ? "rollback" : "unknown";
}

}  // namespace

TransactionOptions TransactionOptions::From(const StoreConfig& c, const std::string& offsets_path) {
  TransactionOptions o;
  o.check_interval_ms = c.transactionCheckInterval;
  o.timeout_ms = c.transactionTimeOut;
  o.check_max = c.transactionCheckMax;
  o.op_batch = c.transactionOpBatchEnable;
  o.op_msg_max_size = c.transactionOpMsgMaxSize;
  o.op_batch_interval_ms = c.transactionOpBatchInterval;
  o.file_reserved_ms = int64_t{c.fileReservedTime} * 3600 * 1000;
  o.reject_transaction_message = c.rejectTransactionMessage;
  o.check_enable = c.transactionCheckEnable;
  o.master = c.brokerRole != BrokerRole::kSlave;
  o.offsets_path = offsets_path;
  return o;
}

// What one check round knows about the op queue (fillOpRemoveMap's maps).
struct TransactionService::Round {
  int64_t start_ms = 0;
  int64_t min_half = 0;                           // the half progress at the start
  std::map<int64_t, int64_t> settled;             // half queue offset -> op queue offset (removeMap)
  std::map<int64_t, std::set<int64_t>> op_halves;  // op -> halves it settles not met yet (5.x opMsgMap)
  std::set<int64_t> done_ops;                     // doneOpOffset
  int64_t op_next = 0;                            // next op queue offset to read
  bool last_pull_found = false;                   // the last pull read an op
  int64_t last_op_born = 0;
  int64_t half_end = 0;  // past the last copy put: the half queue's end before the copies are dispatched
};

TransactionService::TransactionService(const CommitLog& log, const ConsumeQueueStore& queues, FileSystem& fs,
                                       Clock& clock, TransactionOptions options, TransactionPuts puts,
                                       MakeDurable make_durable)
    : log_(log),
      queues_(queues),
      clock_(clock),
      options_(std::move(options)),
      put_half_(std::move(puts.half)),
      put_(std::move(puts.internal)),
      put_commit_(std::move(puts.commit)),
      make_durable_(std::move(make_durable)),
      offsets_(fs, options_.offsets_path) {}

TransactionService::~TransactionService() { (void)Stop(); }

Status TransactionService::Load() {
  Status st = offsets_.Load();
  if (!st.ok()) {
    StoreLog(LogLevel::kError, "transactions: " + st.ToString());
    std::lock_guard lock(stats_mu_);
    error_ = st.ToString();
    return st;
  }
  half_progress_ = offsets_.Get(HalfKey(), 0).value_or(0);
  op_progress_ = offsets_.Get(OpKey(), 0).value_or(0);
  loaded_ = true;
  return Status::Ok();
}

bool TransactionService::active() const { return options_.master && loaded_.load(std::memory_order_acquire); }

void TransactionService::SetCheckListener(TransactionCheckListener listener) {
  std::lock_guard lock(listener_mu_);
  listener_ = std::move(listener);
}

// --- Half and decision (SendMessageProcessor.prepareMessage, EndTransactionProcessor) ---

PutResult TransactionService::PutHalf(const Message& message) {
  if (options_.reject_transaction_message) {
    PutResult r;
    r.status = PutStatus::kMessageIllegal;
    r.reason = "rejectTransactionMessage=true: the store takes no half message";
    return r;
  }
  auto half = BuildHalf(message);
  if (!half.ok()) {
    PutResult r;
    r.status = PutStatus::kMessageIllegal;
    r.reason = half.error().ToString();
    return r;
  }
  PutResult r = put_half_(half->view());
  if (r.ok() && !r.duplicate) halves_.fetch_add(1, std::memory_order_relaxed);
  return r;
}

Result<EndTransactionResult> TransactionService::EndTransaction(int64_t half_offset, TransactionDecision decision,
                                                                const EndTransactionOptions& options) {
  EndTransactionResult result;
  result.decision = decision;
  if (decision == TransactionDecision::kUnknown) return result;  // TRANSACTION_NOT_TYPE: nothing to do
  if (!options_.master) return Status::Unsupported("end transaction: brokerRole is SLAVE");
  const std::string what = DecisionName(decision) + " of the half message at " + std::to_string(half_offset);
  auto view = log_.LookMessage(half_offset);
  if (!view.ok()) return Status::NotFound(what + ": find prepared transaction message failed: " + view.error().ToString());
  const MessageRecordView& half = view->message;
  if (half.topic != kTransHalfTopic)
    return Status::InvalidArgument(what + ": the record is on topic " + std::string(half.topic) + ", not " +
                                   std::string(kTransHalfTopic));
  const PropertiesView props = half.properties();
  if (!options.from_check) {
    if (auto immunity = props.Get(property::kCheckImmunityTimeInSeconds); immunity && !immunity->empty()) {
      const int64_t limit = std::max(CheckImmunityMs(*immunity, options_.timeout_ms), options_.timeout_ms);
      if (clock_.WallMillis() - half.born_timestamp > limit)
        return Status::InvalidArgument(what + ": past its check immunity time, the check decides it now");
    }
  }
  if (!options.producer_group.empty() && props.Get(property::kProducerGroup) != options.producer_group)
    return Status::InvalidArgument(what + ": the producer group does not match PGROUP");
  if (options.half_queue_offset >= 0 && options.half_queue_offset != half.queue_offset)
    return Status::InvalidArgument(what + ": the queue offset " + std::to_string(options.half_queue_offset) +
                                   " does not match the half's " + std::to_string(half.queue_offset));

  if (decision == TransactionDecision::kCommit) {
    auto commit = BuildCommit(half);
    if (!commit.ok()) return commit.error().WithContext(what);
    result.committed = put_commit_(commit->view());
    if (!Stored(result.committed))
      return Status::IOError(what + ": the real message was not stored: " +
                             std::string(PutStatusName(result.committed.status)) +
                             (result.committed.reason.empty() ? "" : " (" + result.committed.reason + ")"));
    commits_.fetch_add(1, std::memory_order_relaxed);
  } else {
    rollbacks_.fetch_add(1, std::memory_order_relaxed);
  }
  result.op_written = DeletePrepared(half);
  return result;
}

// deletePrepareMessage: one op now (4.x), or the offset added to the batch.
bool TransactionService::DeletePrepared(const MessageRecordView& half) {
  if (!options_.op_batch) return WriteOp(OpBodySingle(half.queue_offset), half.store_host).ok();
  std::lock_guard lock(op_mu_);
  if (op_body_.empty() && op_last_write_ms_ == 0) op_last_write_ms_ = clock_.WallMillis();
  AppendOpBodyOffset(op_body_, half.queue_offset);
  op_broker_ = half.store_host;
  if (static_cast<int64_t>(op_body_.size()) < options_.op_msg_max_size) return false;
  std::string body = std::move(op_body_);
  op_body_.clear();
  op_last_write_ms_ = clock_.WallMillis();
  return WriteOp(std::move(body), op_broker_).ok();
}

Status TransactionService::WriteOp(std::string body, const SocketAddress& broker) {
  const TrailingSeparator trailing = options_.op_batch ? TrailingSeparator::kAppend : TrailingSeparator::kOmit;
  const BuiltMessage op = BuildOp(std::move(body), broker, clock_.WallMillis(), trailing);
  const PutResult r = put_(op.view());
  if (r.ok()) {
    ops_.fetch_add(1, std::memory_order_relaxed);
    return Status::Ok();
  }
  const uint64_t n = op_failures_.fetch_add(1) + 1;
  const std::string why = "transactions: op record (body '" + op.owned_body + "') not stored: " +
                          std::string(PutStatusName(r.status)) + (r.reason.empty() ? "" : " (" + r.reason + ")") +
                          "; those halves will be checked again";
  if (WorthLogging(n)) StoreLog(LogLevel::kWarn, why);
  return Status::IOError(why);
}

Status TransactionService::FlushOps(bool force) {
  std::lock_guard lock(op_mu_);
  if (op_body_.empty()) return Status::Ok();
  const int64_t now = clock_.WallMillis();
  const bool due = static_cast<int64_t>(op_body_.size()) >= options_.op_msg_max_size ||
                   now - op_last_write_ms_ >= options_.op_batch_interval_ms;
  if (!force && !due) return Status::Ok();
  std::string body = std::move(op_body_);
  op_body_.clear();
  op_last_write_ms_ = now;
  return WriteOp(std::move(body), op_broker_);
}

// --- The check round (TransactionalMessageServiceImpl.check) ---

void TransactionService::FillOps(Round& round) {
  round.last_pull_found = false;
  const ConsumeQueue* q = queues_.Find(kTransOpHalfTopic, 0);
  if (q == nullptr) return;
  if (round.op_next < q->MinOffset()) round.op_next = q->MinOffset();
  for (int32_t n = 0; n < kOpPullBatch && round.op_next < q->MaxOffset(); ++n) {
    const int64_t op_offset = round.op_next++;
    round.last_pull_found = true;
    const std::optional<ConsumeQueueUnit> unit = q->GetUnit(op_offset);
    auto view = unit ? log_.LookMessage(unit->commit_log_offset) : Result<MessageView>(Status::NotFound("no unit"));
    if (!view.ok()) {
      round.done_ops.insert(op_offset);  // gone with cleanup: nothing to settle
      continue;
    }
    const MessageRecordView& op = view->message;
    round.last_op_born = op.born_timestamp;
    std::set<int64_t> halves;
    if (op.properties().Get(property::kTags) == kTransOpRemoveTag) {
      const std::string_view body(reinterpret_cast<const char*>(op.body.data()), op.body.size());
      auto offsets = ParseOpBody(body);
      if (!offsets.ok()) {
        StoreLog(LogLevel::kWarn, "transactions: op at queue offset " + std::to_string(op_offset) + ": " +
                                      offsets.error().ToString() + "; it settles nothing");
      } else {
        for (int64_t h : *offsets) {
          if (h < round.min_half) continue;  // behind the progress already
          round.settled[h] = op_offset;
          halves.insert(h);
        }
      }
    } else {
      StoreLog(LogLevel::kWarn, "transactions: op at queue offset " + std::to_string(op_offset) + " has tag '" +
                                    std::string(op.properties().Get(property::kTags).value_or("")) + "', not 'd'");
    }
    if (halves.empty()) round.done_ops.insert(op_offset);
    else round.op_halves[op_offset] = std::move(halves);
  }
}

void TransactionService::Settle(Round& round, int64_t half_queue_offset) {
  auto it = round.settled.find(half_queue_offset);
  if (it == round.settled.end()) return;
  const int64_t op = it->second;
  round.settled.erase(it);
  auto halves = round.op_halves.find(op);
  if (halves == round.op_halves.end()) return;
  halves->second.erase(half_queue_offset);
  if (halves->second.empty()) {
    round.op_halves.erase(halves);
    round.done_ops.insert(op);
  }
}

bool TransactionService::PutBack(Round& round, const BuiltMessage& copy, PutResult& out) {
  out = put_(copy.view());
  if (out.ok()) {
    round.half_end = std::max(round.half_end, out.queue_offset + 1);
    renewed_.fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  StoreLog(LogLevel::kWarn, "transactions: putting a half back failed: " + std::string(PutStatusName(out.status)) +
                                (out.reason.empty() ? "" : " (" + out.reason + ")") + "; the round ends here");
  return false;
}

// checkPrepareQueueOffset: a half inside its immunity is put back with
// TRAN_PREPARED_QUEUE_OFFSET (its first queue offset), unless an op read
// already settles that offset. False: go on to the ordinary check.
bool TransactionService::CheckPreparedQueueOffset(Round& round, const MessageRecordView& half, int32_t times) {
  int64_t prepared = half.queue_offset;
  if (auto p = half.properties().Get(property::kTransactionPreparedQueueOffset)) {
    const std::optional<int64_t> v = ParseJavaInteger<int64_t>(*p);
    if (!v) return false;
    if (round.settled.count(*v)) {
      Settle(round, *v);
      return true;
    }
    prepared = *v;
  }
  auto copy = BuildRenewedHalf(half, times, prepared);
  PutResult put;
  return copy.ok() && PutBack(round, *copy, put);
}

size_t TransactionService::Check() {
  if (!active()) return 0;
  std::lock_guard guard(round_mu_);
  const ConsumeQueue* half_q = queues_.Find(kTransHalfTopic, 0);
  if (half_q == nullptr) return 0;
  const ConsumeQueue* op_q = queues_.Find(kTransOpHalfTopic, 0);
  rounds_.fetch_add(1, std::memory_order_relaxed);
  const int64_t half_offset = offsets_.Get(HalfKey(), 0).value_or(half_q->MinOffset());
  const int64_t op_offset = offsets_.Get(OpKey(), 0).value_or(op_q ? op_q->MinOffset() : 0);
  if (half_offset < 0 || op_offset < 0) return 0;

  Round round;
  round.start_ms = clock_.WallMillis();
  round.min_half = half_offset;
  round.op_next = op_offset;
  FillOps(round);
  const int64_t op_base = op_q ? std::max(op_offset, op_q->MinOffset()) : op_offset;
  const int64_t started = clock_.MonotonicMillis();
  TransactionCheckListener listener;
  {
    std::lock_guard lock(listener_mu_);
    listener = listener_;
  }

  size_t checks = 0;
  int64_t i = std::max(half_offset, half_q->MinOffset());
  int64_t next_half = i;
  while (clock_.MonotonicMillis() - started <= kMaxRoundMs) {
    if (round.settled.count(i)) {
      Settle(round, i);
      next_half = ++i;
      continue;
    }
    if (i >= half_q->MaxOffset()) break;  // NO_NEW_MSG
    const std::optional<ConsumeQueueUnit> unit = half_q->GetUnit(i);
    auto view = unit ? log_.LookMessage(unit->commit_log_offset) : Result<MessageView>(Status::NotFound("no unit"));
    if (!view.ok()) {  // its record went with cleanup
      next_half = ++i;
      continue;
    }
    const MessageRecordView& half = view->message;
    const PropertiesView props = half.properties();
    const int64_t now = clock_.WallMillis();

    // needDiscard: TRANSACTION_CHECK_TIMES absent counts as the first check.
    int32_t times = 1;
    bool discard = false;
    if (auto t = props.Get(property::kTransactionCheckTimes)) {
      const int32_t v = ParseJavaInteger<int32_t>(*t).value_or(-1);
      if (v >= options_.check_max) discard = true;
      else times = v + 1;
    }
    if (discard || now - half.born_timestamp > options_.file_reserved_ms) {
      const BuiltMessage copy = BuildDiscarded(half);
      const PutResult r = put_(copy.view());
      if (!r.ok()) {
        StoreLog(LogLevel::kWarn, "transactions: discarding the half at " + std::to_string(half.physical_offset) +
                                      " to TRANS_CHECK_MAX_TIME_TOPIC failed: " + std::string(PutStatusName(r.status)) +
                                      "; the round ends here");
        break;
      }
      discarded_.fetch_add(1, std::memory_order_relaxed);
      next_half = ++i;
      continue;
    }
    if (half.store_timestamp >= round.start_ms) break;  // new since the round began

    const int64_t age = now - half.born_timestamp;
    int64_t immunity = options_.timeout_ms;
    if (auto s = props.Get(property::kCheckImmunityTimeInSeconds)) {
      immunity = CheckImmunityMs(*s, options_.timeout_ms);
      if (age < immunity && CheckPreparedQueueOffset(round, half, times)) {
        next_half = ++i;
        continue;
      }
    } else if (age >= 0 && age < immunity) {
      break;  // every later half is younger still
    }
    const bool need_check = (!round.last_pull_found && age > immunity) ||
                            (round.last_pull_found && round.last_op_born - round.start_ms > options_.timeout_ms) ||
                            age <= -1;
    if (!need_check) {
      if (!round.last_pull_found) break;  // RocketMQ waits for new ops here; the next round does
      FillOps(round);
      continue;
    }
    auto copy = BuildRenewedHalf(half, times, std::nullopt);
    PutResult put;
    if (!copy.ok() || !PutBack(round, *copy, put)) break;
    ++checks;
    checks_.fetch_add(1, std::memory_order_relaxed);
    if (listener) {
      TransactionCheck c;
      c.half_offset = put.wrote_offset;
      c.half_queue_offset = put.queue_offset;
      c.producer_group = props.Get(property::kProducerGroup).value_or("");
      c.uniq_key = props.Get(property::kUniqKey).value_or("");
      c.transaction_id = props.Get(property::kTransactionId).value_or(c.uniq_key);
      c.real_topic = props.Get(property::kRealTopic).value_or("");
      c.real_queue_id = ParseJavaInteger<int32_t>(props.Get(property::kRealQueueId).value_or("")).value_or(0);
      c.check_times = times;
      listener(c);
    }
    next_half = ++i;
  }

  if (next_half != half_offset) offsets_.Set(HalfKey(), 0, next_half);
  int64_t next_op = op_base;
  for (int64_t o : round.done_ops) {
    if (o < next_op) continue;
    if (o != next_op) break;
    ++next_op;
  }
  if (next_op != op_offset) offsets_.Set(OpKey(), 0, next_op);
  half_progress_ = next_half;
  op_progress_ = next_op;
  const int64_t half_end = std::max(half_q->MaxOffset(), round.half_end);
  pending_ = std::max<int64_t>(0, half_end - next_half - static_cast<int64_t>(round.settled.size()));
  Status st = Persist();
  if (!st.ok()) StoreLog(LogLevel::kError, "transactions: " + st.ToString());
  return checks;
}

Status TransactionService::Persist() {
  if (!active() || !offsets_.dirty()) return Status::Ok();
  if (make_durable_) {
    Status st = make_durable_();
    if (!st.ok()) return st.WithContext("transactions: flushing the commit log before persisting " + offsets_.path());
  }
  return offsets_.Persist();
}

// --- The thread (TransactionalMessageCheckService, TransactionalOpBatchService) ---

void TransactionService::Start() {
  if (!active() || !options_.check_enable) return;
  std::lock_guard lock(mu_);
  if (running_) return;
  running_ = true;
  thread_ = std::thread([this] { Run(); });
}

Status TransactionService::Stop() {
  bool was_running = false;
  {
    std::lock_guard lock(mu_);
    was_running = running_;
    running_ = false;
  }
  if (was_running) {
    cv_.notify_all();
    thread_.join();
  }
  Status st = FlushOps(/*force=*/true);
  Status persisted = Persist();
  return st.ok() ? persisted : st;
}

void TransactionService::Run() {
  NameThisThread("mq-tx-check");
  const int64_t tick_ms = options_.op_batch ? std::min(options_.check_interval_ms, options_.op_batch_interval_ms)
                                            : options_.check_interval_ms;
  int64_t next_check_ms = clock_.MonotonicMillis() + options_.check_interval_ms;
  std::unique_lock lock(mu_);
  while (running_) {
    const int64_t deadline_ns = clock_.MonotonicNanos() + tick_ms * 1000000;
    clock_.WaitUntil(cv_, lock, deadline_ns, [this] { return !running_; });
    if (!running_) break;
    lock.unlock();
    if (options_.op_batch) (void)FlushOps(/*force=*/false);
    if (clock_.MonotonicMillis() >= next_check_ms) {
      next_check_ms = clock_.MonotonicMillis() + options_.check_interval_ms;
      Check();
    }
    lock.lock();
  }
}

TransactionStats TransactionService::Stats() const {
  TransactionStats s;
  {
    std::lock_guard lock(stats_mu_);
    s.error = error_;
  }
  {
    std::lock_guard lock(mu_);
    s.checking = running_;
  }
  s.pending_halves = pending_.load(std::memory_order_relaxed);
  s.half_check_offset = half_progress_.load(std::memory_order_relaxed);
  s.op_check_offset = op_progress_.load(std::memory_order_relaxed);
  s.halves_put = halves_.load(std::memory_order_relaxed);
  s.checks_sent = checks_.load(std::memory_order_relaxed);
  s.commits = commits_.load(std::memory_order_relaxed);
  s.rollbacks = rollbacks_.load(std::memory_order_relaxed);
  s.discarded = discarded_.load(std::memory_order_relaxed);
  s.renewed = renewed_.load(std::memory_order_relaxed);
  s.ops_written = ops_.load(std::memory_order_relaxed);
  s.op_failures = op_failures_.load(std::memory_order_relaxed);
  s.check_rounds = rounds_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace mqstore
