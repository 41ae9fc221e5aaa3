// MessageStore: what a broker embeds (RocketMQ's DefaultMessageStore): the
// commit log with its flush service (async or group-commit sync flush), the
// dispatcher that builds consume queues and index files, the consumer read
// API, the checkpoint, the abort marker and the lock file, and recovery.
//
//   auto store = MessageStore::Open(config);      // locks, recovers, starts
//   PutResult r = (*store)->Put(message);          // any thread
//   (*store)->PutAsync(message, [](PutResult r) { ... });  // never blocks on disk
//   GetMessageResult got = (*store)->GetMessage("group", "topic", 0, offset, 32);
//   (*store)->WaitForMessages("topic", 0, offset, 5s);  // long polling
//   (*store)->Shutdown();                          // flushes, removes `abort`
//
// Open order (RocketMQ's DefaultMessageStore.load and recover): take `lock`;
// abnormal = `abort` exists; read the checkpoint; load and recover the
// consume queues and index files; recover the commit log; drop queue units
// and index entries past its end;
// re-dispatch what the queues and the index lack (after a crash: everything
// from the checkpoint's timestamps on; docs/engine.md, "Recovery");
// create `abort`; start the threads. Shutdown undoes it; `abort` is removed
// only when everything was flushed and the store is still writeable, so any
// other exit makes the next open run abnormal recovery.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "mqstore/commit_log_cursor.h"
#include "mqstore/disk_use_probe.h"
#include "mqstore/dispatch.h"
#include "mqstore/env.h"
#include "mqstore/get_message.h"
#include "mqstore/message.h"
#include "mqstore/message_filter.h"
#include "mqstore/message_view.h"
#include "mqstore/put_hook.h"
#include "mqstore/query_message.h"
#include "mqstore/recovery_report.h"
#include "mqstore/schedule_message.h"
#include "mqstore/stats.h"
#include "mqstore/status.h"
#include "mqstore/store_config.h"
#include "mqstore/transaction.h"

namespace mqstore {

// The parts a store holds, internal (storage/ in the source tree, not
// installed): the public header only names them.
class CleanupService;
class CommitLog;
class ConsumeQueueFlushService;
class ConsumeQueueStore;
class Dispatcher;
class DuplicateFilter;
class FileLock;
class FileSystem;
class FlushService;
class HaClient;
class HaService;
class IndexService;
class Prefaulter;
class ReplicaWaiter;
class ScheduleMessageService;
class StoreCheckpoint;
class TimerMessageStore;
class TransactionService;
struct Checkpoint;
struct CleanupOptions;
struct ReadLimits;
struct StorePaths;

// What an embedder adds to the dispatcher, fixed at open: its sinks (called
// after the consume-queue and index builders, in this order, for every
// record, re-dispatched ones after a crash included) and the arrival
// listener (long polling: called on the dispatcher's thread, keep it short).
// Cleanup's disk-use source can be replaced too (tests; an embedder with
// its own disk accounting); unset: statvfs through the Env's FileSystem.
// (Time is the Env's Clock.) Put hooks (put_hook.h) run before every Put
// and PutAsync, after the store's own schedule rewrite
// (scheduleRewriteInStore). `dedup_hash` replaces the XXH3-64 of topic and
// key that duplicate suppression remembers keys by (tests force collisions
// with it); unset in production.
struct StoreHooks {
  std::vector<DispatchSink*> sinks;
  std::vector<PutHook> put_hooks;
  ArrivalListener on_arrival;
  DiskUseProbe disk_used;
  uint64_t (*dedup_hash)(std::string_view topic, std::string_view key) = nullptr;
};

class MessageStore {
 public:
  // All file access goes through env.fs() and all time through
  // env.clock(); both must outlive the store (tests pass a
  // FaultInjectionFileSystem, a FakeClock).
  static Result<std::unique_ptr<MessageStore>> Open(const StoreConfig& config, Env env = Env::Default(),
                                                    const StoreHooks& hooks = {});
  // Opens a store that was shut down cleanly without changing a byte of it:
  // no lock or abort file, no recovery writes (damage is refused whatever
  // recoveryCorruptionPolicy says), no dispatch, no threads. Every read
  // works; puts get SERVICE_NOT_AVAILABLE. All file access goes through a
  // ReadOnlyFileSystem, so a step that would write fails the open instead
  // (a store whose last stop was not clean needs a read-write open first).
  // What `mqstore bench --workload read` uses on an existing store.
  static Result<std::unique_ptr<MessageStore>> OpenReadOnly(const StoreConfig& config, Env env = Env::Default());
  ~MessageStore();  // Shutdown() if not done

  // Stores the message and, when it must wait (SYNC_FLUSH, or
  // message.flush_wait), returns once it is durable: PUT_OK, or
  // FLUSH_DISK_TIMEOUT after syncFlushTimeout. The put hooks run first
  // (a delayed or timer message is moved to its system topic there).
  // With dedupWindowSeconds > 0 a message whose key was stored within the
  // window is answered PUT_OK with `duplicate` and the first record's
  // offsets, and not stored (after the hooks; a duplicate waits as long
  // as its original would).
  PutResult Put(const Message& message);
  // Stores the messages as they are: no hook runs (RocketMQ's batch put
  // does no schedule rewrite either). With duplicate suppression each
  // message is checked: duplicates are left out and the rest stored as one
  // batch (PutResult::duplicates counts those left out).
  PutResult PutBatch(std::span<const Message> batch);
  // The same without blocking on the disk (a broker's network threads): the
  // record is appended before this returns (the message's views may go
  // away), and `done` runs once the outcome is known: at once when no wait
  // is due or the put failed, else on the flush thread after the group
  // commit that covers it.
  void PutAsync(const Message& message, PutCallback done);
  void PutBatchAsync(std::span<const Message> batch, PutCallback done);
  std::future<PutResult> PutAsync(const Message& message);

  // The schedule rewrite as this store applies it (its delay levels, timer
  // knobs and timer-slot flow control): what an embedder's own put hook
  // calls with scheduleRewriteInStore=false, as a 5.x broker's
  // handleScheduleMessage hook does. The rules live as long as the store.
  const ScheduleRules& schedule_rules() const { return schedule_rules_; }

  // --- Transactions (RocketMQ's half and op topics; docs/engine.md, "Transactions") ---
  // Stores the message as a half message (RMQ_SYS_TRANS_HALF_TOPIC queue 0,
  // REAL_TOPIC / REAL_QID kept, sysFlag type NOT): consumers of its topic
  // do not see it. No put hook runs. wrote_offset is the halfOffset to end
  // the transaction with; queue_offset its tranStateTableOffset. With
  // dedupWindowSeconds > 0 a half resent within the window (same UNIQ_KEY)
  // is answered `duplicate` with the first half's offsets.
  PutResult PutHalf(const Message& message);
  // Commit: puts the real message rebuilt from the half (put hooks run;
  // never answered duplicate: stored once per call, as the broker does),
  // then the op record; rollback: only the op record; unknown: nothing.
  // Errors: no half at `half_offset`, a mismatch with `options`, a slave,
  // or the real message not stored (no op is written: the check asks
  // again). Any thread; an answer to a check-back sets from_check.
  Result<EndTransactionResult> EndTransaction(int64_t half_offset, TransactionDecision decision,
                                              const EndTransactionOptions& options = {});
  // Who is asked about halves left undecided (transaction.h). Unset: the
  // check still re-puts and counts them, and asks no one.
  void SetTransactionCheckListener(TransactionCheckListener listener);

  Result<MessageView> LookMessageByOffset(int64_t phy_offset) const;
  int64_t GetMinPhyOffset() const;
  int64_t GetMaxPhyOffset() const;
  // Reads the log forward from `phy_offset`, record by record, through the
  // segments' mappings.
  CommitLogCursor NewCursor(int64_t phy_offset) const;
  int64_t NextQueueOffset(std::string_view topic, int32_t queue_id) const;

  // --- Consumers (DefaultMessageStore.getMessage and the other reads) ---
  // A pull: up to max_msg_nums records from queue offset `offset` that pass
  // `filter` (nullptr: all), as pinned views; statuses and nextBeginOffset
  // as RocketMQ's getMessage.
  GetMessageResult GetMessage(std::string_view group, std::string_view topic, int32_t queue_id, int64_t offset,
                              int32_t max_msg_nums, const MessageFilter* filter = nullptr) const;
  // The same into a result the caller reuses (no allocation once warm).
  void GetMessage(const GetMessageRequest& request, GetMessageResult& out) const;
  int64_t GetMaxOffsetInQueue(std::string_view topic, int32_t queue_id) const;  // 0: no queue
  int64_t GetMinOffsetInQueue(std::string_view topic, int32_t queue_id) const;  // -1: no queue
  // Unit n's commit-log offset; 0 when there is no such unit.
  int64_t GetCommitLogOffsetInQueue(std::string_view topic, int32_t queue_id, int64_t queue_offset) const;
  // The first queue offset whose record was stored at or after `timestamp`
  // (binary search; 5.x's LOWER boundary), clamped into [min, max].
  int64_t GetOffsetInQueueByTime(std::string_view topic, int32_t queue_id, int64_t timestamp) const;
  // Records stored in [begin, end] with topic and KEYS token or UNIQ_KEY
  // equal to `key` (hash collisions dropped), at most min(max_num,
  // maxMsgsNumBatch).
  QueryMessageResult QueryMessage(std::string_view topic, std::string_view key, int32_t max_num, int64_t begin,
                                  int64_t end) const;
  // Long polling: returns true as soon as the queue's max offset passes
  // `offset`, false at the timeout.
  bool WaitForMessages(std::string_view topic, int32_t queue_id, int64_t offset,
                       std::chrono::milliseconds timeout) const;

  // --- Dispatch ---
  // With dispatchOnOwnThread=false the embedder drives dispatch: records
  // dispatched by this call (an error names the record that stopped it).
  Result<uint64_t> DispatchOnce(int64_t max_bytes);
  // Readable after every dispatch round that added records (an eventfd).
  int DispatchEventFd() const;
  int64_t DispatchBehindBytes() const;

  // --- Cleanup (CleanCommitLogService, CleanConsumeQueueService; cleanup_service.h) ---
  // executeDeleteFilesManually: the next manualDeleteFileSeveralTimes
  // cleanup rounds delete expired segments whatever the hour and disk.
  void ExecuteDeleteFilesManually();

  // Commits and fdatasyncs everything appended so far, and the checkpoint.
  Status Flush();
  bool read_only() const { return read_only_fs_ != nullptr; }
  Status Shutdown();

  StoreStats Stats() const;
  // Replication (docs/engine.md, "Replication"): the port this master
  // serves slaves on (haListenPort, or the OS's pick for 0); 0 when it
  // serves none (a slave, or an ASYNC_MASTER without haServiceEnable).
  int ha_port() const;
  const RecoveryReport& recovery() const { return recovery_; }
  // Records dispatched at open to bring queues and index up to the log.
  uint64_t redispatched_at_open() const { return redispatched_at_open_; }
  const StoreConfig& config() const { return config_; }

  // --- For tests, the bench and the CLI (internal types) ---
  // The parts themselves; their classes are defined in the internal headers
  // (storage/message_store.h includes them), which are not installed.
  CommitLog& commit_log();
  ConsumeQueueStore& consume_queues();
  // The cleanup service (its thread runs a round every
  // cleanResourceInterval; RunOnce runs one now). Not in a read-only store.
  CleanupService& cleanup();
  // The timer store (RocketMQ 5.x timer messages, storage/timer/);
  // nullptr with timerWheelEnable=false or in a read-only store.
  TimerMessageStore* timer_store() { return timer_.get(); }
  // The delivery of delay levels (DeliverDue runs a round now; its thread
  // runs with scheduleMessageServiceEnable on a master). Not in a
  // read-only store.
  ScheduleMessageService& schedule_messages();
  // Halves, decisions and the check-back (Check runs a round now). Not in a
  // read-only store.
  TransactionService& transactions();

 private:
  class LogEvents;
  MessageStore(const StoreConfig& config, Env env, bool read_only);
  Env env() const { return Env(fs_, clock_); }  // what the parts get: fs_ may be the read-only wrapper
  Status OpenFiles(const StoreHooks& hooks);
  Result<Checkpoint> TakeLockAndCheckpoint();
  Status StartServices(const StoreHooks& hooks, CleanupOptions cleanup_options);
  Status RecoverQueues(bool abnormal);
  int64_t ReputStart(bool abnormal, int64_t short_queues_from) const;
  Status StopServices();
  // The timer store, after the queues are recovered and dispatched; its
  // thread runs on a master only. Stopped before puts are refused: it puts.
  Status OpenTimerStore();
  void StartTimerStore();
  Status StopTimerStore();
  PutResult Count(PutResult r);
  // Producers' puts are checked for duplicates (dedupWindowSeconds); the
  // store's own puts are not: the delay-level and timer deliveries, the
  // transaction check's half copies, its op and discard records, and a
  // commit's real message (stored once per EndTransaction, as the broker
  // does). Unchecked puts are not remembered either.
  PutResult Append(std::span<const Message> batch, bool check_duplicates);
  PutResult Store(std::span<const Message> batch, bool check_duplicates);
  // Put: the hooks, then Store.
  PutResult PutOne(const Message& message, bool check_duplicates);
  // Why a put is refused before the log is asked (stopped, read-only,
  // slave, disk full); kPutOk when it is not.
  PutResult CheckWriteable() const;
  Status OpenDuplicateFilter(const StoreHooks& hooks);
  void InstallPutHooks(const StoreHooks& hooks);
  std::optional<PutResult> RunPutHooks(Message& message, MessageRewrite& rewrite);
  bool MustWait(const Message& first) const;
  void OpenDelayDelivery();
  void StartDelayDelivery();
  void StopDelayDelivery();
  void OpenTransactions();
  Status StopTransactions();
  // Replication (message_store_ha.cc): the master's HA service and the
  // SYNC_MASTER waiter, or the slave's client.
  Status StartReplication();
  // haDivergencePolicy=truncate, on the HA client's thread: the log cut
  // back to a diverged master's end, queues and index trimmed to match.
  Status CutDivergedLog(int64_t master_end);
  void StopReplication();
  bool MustWaitReplica(const Message& first) const;
  // Wakes the slaves' senders that sleep (a put that will wait for them).
  void ShipToSlaves() const;
  // SYNC_MASTER: `r` (stored, flushed as asked) with the replica outcome.
  PutResult WaitReplica(PutResult r);
  void WaitReplicaAsync(PutResult r, PutCallback done);

  StoreConfig config_;
  std::unique_ptr<FileSystem> read_only_fs_;  // OpenReadOnly: wraps the caller's
  FileSystem& fs_;
  Clock& clock_;
  std::unique_ptr<const StorePaths> paths_;
  std::unique_ptr<FileLock> lock_;
  std::unique_ptr<StoreCheckpoint> checkpoint_;
  std::unique_ptr<CommitLog> log_;
  std::unique_ptr<FlushService> flusher_;
  std::unique_ptr<Prefaulter> prefaulter_;  // before the queues and index: they use it until they are gone
  std::unique_ptr<ConsumeQueueStore> queues_;
  std::unique_ptr<IndexService> index_;  // nullptr with messageIndexEnable=false
  std::unique_ptr<Dispatcher> dispatcher_;
  std::unique_ptr<ConsumeQueueFlushService> queue_flusher_;
  std::unique_ptr<CleanupService> cleanup_;  // after what it deletes from: stopped and destroyed first
  std::unique_ptr<LogEvents> log_events_;    // the log's events to flusher_ and cleanup_; gone before both
  std::unique_ptr<TimerMessageStore> timer_;  // after the parts it reads: destroyed (thread joined) before them
  std::unique_ptr<ScheduleMessageService> schedule_;  // re-puts into the log: stopped first, gone before it
  std::unique_ptr<TransactionService> transactions_;  // puts into the log: stopped first, gone before it
  std::unique_ptr<ReplicaWaiter> replica_waiter_;  // SYNC_MASTER
  std::unique_ptr<HaService> ha_master_;           // reads the log: stopped before it
  std::unique_ptr<HaClient> ha_client_;            // appends to the log: stopped before the flush
  std::unique_ptr<DuplicateFilter> dedup_;  // dedupWindowSeconds > 0 only; reads the log: gone before it
  std::unique_ptr<ReadLimits> read_limits_;
  ScheduleRules schedule_rules_;
  std::vector<PutHook> put_hooks_;  // the store's schedule rewrite (if on), then the embedder's
  RecoveryReport recovery_;
  uint64_t redispatched_at_open_ = 0;
  std::atomic<bool> running_{false};
  std::atomic<uint64_t> puts_ok_{0}, puts_failed_{0}, messages_{0}, bytes_{0};
};

}  // namespace mqstore
