// The facade's delayed-delivery and transaction parts (storage/timer/,
// storage/transaction/): how MessageStore opens, starts and stops the timer
// store, the delay-level delivery and the transaction service, and the
// transaction API. Apart from message_store.cc so that each file reads in
// one sitting; the order they run in is in OpenFiles, StartServices and
// Shutdown there.
#include "storage/message_store.h"

#include "format/delay_levels.h"
#include "storage/io/read_only_file_system.h"
#include "storage/store_log.h"

namespace mqstore {

// --- Timer messages (storage/timer/) ---

Status MessageStore::OpenTimerStore() {
  if (!config_.timerWheelEnable) return Status::Ok();
  TimerStoreParts parts{fs_, clock_, *log_, *queues_,
                        [this](const Message& m) { return Store({&m, 1}, /*check_duplicates=*/false); }, {}, {}};
  // The bulk re-put: each record as a put of its own that waits for no
  // flush (the timer store's re-puts are FlushWait::kNoWait). Like the
  // single re-put above, past duplicate suppression: a delivery of a
  // message the filter admitted when it was put.
  parts.append_records = [this](EncodedRecords& batch, size_t from, size_t count) {
    CommitLog::AppendRecordsResult r;
    r.put = CheckWriteable();
    if (!r.put.ok()) return r;
    r = log_->AppendRecords(batch, from, count);
    if (r.appended > 0) {
      puts_ok_.fetch_add(r.appended, std::memory_order_relaxed);
      messages_.fetch_add(r.appended, std::memory_order_relaxed);
      bytes_.fetch_add(static_cast<uint64_t>(r.put.wrote_bytes), std::memory_order_relaxed);
      flusher_->OnAppend();
    }
    return r;
  };
  parts.expect_append = [this](int64_t bytes) { log_->ExpectAppend(bytes); };
  auto timer = TimerMessageStore::Open(std::move(parts), TimerStoreOptions::From(config_));
  if (!timer.ok()) return timer.error().WithContext("timer store");
  timer_ = std::move(*timer);
  return Status::Ok();
}

// A slave enqueues nothing and fires nothing (its timer files come from
// its own enqueue after a promotion).
// The schedule rewrite's flow control (timerCongestNumEachSlot) asks the
// wheel; bound after StartServices installed the rules.
void MessageStore::StartTimerStore() {
  if (!timer_) return;
  TimerMessageStore* timer = timer_.get();
  schedule_rules_.timer_slot_congested = [timer](int64_t deliver_ms) { return timer->IsSlotCongested(deliver_ms); };
  if (config_.brokerRole != BrokerRole::kSlave) timer_->Start();
}

Status MessageStore::StopTimerStore() {
  if (!timer_) return Status::Ok();
  Status st = timer_->Shutdown();
  if (!st.ok()) StoreLog(LogLevel::kError, "shutdown: timer store: " + st.ToString());
  return st;
}

// --- Delay levels (storage/timer/) ---

// Delay levels (ScheduleMessageService): made once the queues are recovered,
// so that the loaded offsets are checked against them. A damaged
// delayOffset.json does not fail the open: the store serves everything
// else, and Stats().delay.error says why no delayed message is delivered.
void MessageStore::OpenDelayDelivery() {
  ScheduleMessageService::Options o;
  o.delay_level_millis = *ParseDelayLevels(config_.messageDelayLevel);  // Validate parsed it
  o.persist_interval_ms = config_.flushDelayOffsetInterval;
  o.master = config_.brokerRole != BrokerRole::kSlave;
  o.table_path = JoinPath(JoinPath(paths_->root, "config"), "delayOffset.json");
  schedule_ = std::make_unique<ScheduleMessageService>(
      *log_, *queues_, fs_, clock_, std::move(o),
      [this](const Message& m) { return Store({&m, 1}, /*check_duplicates=*/false); },
      [this] { return flusher_->FlushAll(); });
  (void)schedule_->Load();  // logged and kept in the stats when it fails
}

void MessageStore::StartDelayDelivery() {
  if (config_.scheduleMessageServiceEnable) schedule_->Start();  // a slave's does not start
}

// Before the log stops taking puts: the last round's re-puts are flushed and
// the table persisted.
void MessageStore::StopDelayDelivery() {
  Status st = schedule_->Stop();
  if (st.ok()) st = schedule_->Persist();  // a store that delivered by DeliverDue only
  if (!st.ok()) StoreLog(LogLevel::kError, "shutdown: " + st.ToString());
}

// --- Transactions (storage/transaction/) ---

// After the queues are recovered (the check reads the half and op queues).
// A damaged consumerOffset.json does not fail the open: halves and
// decisions work, no check round runs, and Stats().transaction.error says why.
void MessageStore::OpenTransactions() {
  auto options =
      TransactionOptions::From(config_, JoinPath(JoinPath(paths_->root, "config"), "consumerOffset.json"));
  // Duplicate suppression (docs/engine.md, "Duplicate suppression and
  // transactions"): a producer's half is checked (a resent half is answered
  // with the first); the check's copies of a half (same topic, same
  // UNIQ_KEY), ops and discards are the store's own and are not; nor is a
  // commit's real message, stored once per EndTransaction as the broker does.
  TransactionPuts puts;
  puts.half = [this](const Message& m) { return Store({&m, 1}, /*check_duplicates=*/true); };
  puts.internal = [this](const Message& m) { return Store({&m, 1}, /*check_duplicates=*/false); };
  puts.commit = [this](const Message& m) { return PutOne(m, /*check_duplicates=*/false); };
  transactions_ = std::make_unique<TransactionService>(*log_, *queues_, fs_, clock_, std::move(options),
                                                       std::move(puts), [this] { return flusher_->FlushAll(); });
  (void)transactions_->Load();
}

Status MessageStore::StopTransactions() {
  if (!transactions_) return Status::Ok();
  Status st = transactions_->Stop();
  if (!st.ok()) StoreLog(LogLevel::kError, "shutdown: " + st.ToString());
  return st;
}

PutResult MessageStore::PutHalf(const Message& message) {
  if (!transactions_) {
    PutResult r;
    r.status = PutStatus::kServiceNotAvailable;
    r.reason = "the store was opened read-only";
    return r;
  }
  return transactions_->PutHalf(message);
}

Result<EndTransactionResult> MessageStore::EndTransaction(int64_t half_offset, TransactionDecision decision,
                                                          const EndTransactionOptions& options) {
  if (!transactions_) return ReadOnlyRefusal("end a transaction in", paths_->root);
  if (!running_.load(std::memory_order_acquire)) return Status::Unsupported("the store is shut down");
  return transactions_->EndTransaction(half_offset, decision, options);
}

void MessageStore::SetTransactionCheckListener(TransactionCheckListener listener) {
  if (transactions_) transactions_->SetCheckListener(std::move(listener));
}

}  // namespace mqstore
