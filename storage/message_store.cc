#include "storage/message_store.h"

#include <unistd.h>

#include <algorithm>

#include "format/delay_levels.h"
#include "format/properties.h"
#include "format/topic_name.h"
#include "storage/io/read_only_file_system.h"
#include "storage/queue/queue_catch_up.h"
#include "storage/store_log.h"

namespace mqstore {
namespace {

CommitLogOptions LogOptionsFrom(const StoreConfig& c) {
  CommitLogOptions o;
  o.dir = c.CommitLogDir();
  o.segment_size = c.mappedFileSizeCommitLog;
  o.backend = c.UsesWriteBackend() ? WriteBackend::kWrite : WriteBackend::kMmap;
  o.append_buffer_bytes = static_cast<size_t>(c.appendBufferSize);
  o.warm = c.warmMapedFileEnable;
  o.prefault_ahead = c.prefaultAheadBytes;
  o.cache_behind = c.commitLogCacheMb < 0 ? -1 : int64_t{c.commitLogCacheMb} << 20;
  o.commit_interval_ms = c.commitIntervalCommitLog;
  o.blocking_put_lock = c.useReentrantLockWhenPutMessage;
  o.os_page_cache_busy_timeout_ms = c.osPageCacheBusyTimeOutMills;
  o.auto_message_version = c.autoMessageVersionOnTopicLen;
  o.max_topic_length = static_cast<size_t>(std::clamp<int32_t>(c.maxTopicLength, 1, static_cast<int32_t>(kMaxTopicFileNameBytes)));
  o.check_crc_on_recover = c.checkCRCOnRecover;
  o.limits.max_message_size = c.maxMessageSize;
  o.limits.max_record_size =
      static_cast<int32_t>(std::min<int64_t>(int64_t{c.maxMessageSize} + 64 * 1024, INT32_MAX));
  return o;
}

FlushService::Options FlushOptionsFrom(const StoreConfig& c) {
  FlushService::Options o;
  o.sync_flush = c.flushDiskType == FlushDiskType::kSyncFlush;
  o.interval_ms = c.flushIntervalCommitLog;
  o.least_pages = c.flushCommitLogLeastPages;
  o.thorough_interval_ms = c.flushCommitLogThoroughInterval;
  o.timed = c.flushCommitLogTimed;
  o.commit_interval_ms = c.commitIntervalCommitLog;
  o.sync_flush_timeout_ms = c.syncFlushTimeout;
  return o;
}

ConsumeQueueFlushService::Options QueueFlushOptionsFrom(const StoreConfig& c) {
  ConsumeQueueFlushService::Options o;
  o.interval_ms = c.flushIntervalConsumeQueue;
  o.least_pages = c.flushConsumeQueueLeastPages;
  o.thorough_interval_ms = c.flushConsumeQueueThoroughInterval;
  return o;
}

ReadLimits ReadLimitsFrom(const StoreConfig& c) {
  ReadLimits l;
  l.max_bytes_in_memory = c.maxTransferBytesOnMessageInMemory;
  l.max_count_in_memory = c.maxTransferCountOnMessageInMemory;
  l.max_bytes_on_disk = c.maxTransferBytesOnMessageInDisk;
  l.max_count_on_disk = c.maxTransferCountOnMessageInDisk;
  const int64_t ram = int64_t{sysconf(_SC_PHYS_PAGES)} * sysconf(_SC_PAGESIZE);
  l.memory_bytes = ram / 100 * c.accessMessageInMemoryMaxRatio;
  return l;
}

// io_uring unless the config says otherwise or the kernel refuses it; the
// fallback is announced once, with the kernel's reason.
Result<std::unique_ptr<IoQueue>> NewFlushIoQueue(const StoreConfig& c) {
  if (c.flushIoEngine == FlushIoEngine::kSync) return NewSyncIoQueue();
  auto ring = NewUringIoQueue();
  if (ring.ok()) return std::move(*ring);
  if (c.flushIoEngine == FlushIoEngine::kIoUring)
    return Status::Unsupported("flushIoEngine=io_uring: " + ring.error().ToString());
  StoreLog(LogLevel::kWarn, "flushing with pwrite/fdatasync instead of io_uring: " + ring.error().ToString());
  return NewSyncIoQueue();
}


}  // namespace

// WAIT=false among the properties (RocketMQ's MessageConst.PROPERTY_WAIT_STORE_MSG_OK).
bool PropertiesSayNoWait(std::string_view properties) {
  constexpr std::string_view kNoWait = "WAIT\x01" "false";
  for (size_t at = properties.find(kNoWait); at != std::string_view::npos; at = properties.find(kNoWait, at + 1)) {
    const size_t end = at + kNoWait.size();
    const bool key_starts = at == 0 || properties[at - 1] == '\x02';
    const bool value_ends = end == properties.size() || properties[end] == '\x02';
    if (key_starts && value_ends) return true;
  }
  return false;
}

// The commit log's events (CommitLogEvents) go to the services that act on
// them. The store wires this once, after both services exist: the log
// depends only on the interface it declares, and neither service reaches
// into the log to register itself.
class MessageStore::LogEvents final : public CommitLogEvents {
 public:
  LogEvents(FlushService& flusher, CleanupService& cleanup) : flusher_(flusher), cleanup_(cleanup) {}
  // The flush thread commits the write backend's ring.
  void OnCommitBacklog() override { flusher_.CommitSoon(); }
  // Retention's hard limits are kept as the log grows, not only each
  // cleanResourceInterval: the cleanup thread runs a limit round.
  void OnSegmentsGrew() override { cleanup_.WakeForLimits(); }
  // The slaves' senders send committed bytes only (SYNC_MASTER puts wait).
  void OnCommitted() override {
    if (const HaService* ha = ha_.load(std::memory_order_acquire)) ha->WakeAll();
  }
  // Set once replication started (the flusher commits already); the
  // service outlives these events.
  void ShipTo(const HaService* ha) { ha_.store(ha, std::memory_order_release); }

 private:
  FlushService& flusher_;
  CleanupService& cleanup_;
  std::atomic<const HaService*> ha_{nullptr};
};

MessageStore::MessageStore(const StoreConfig& config, Env env, bool read_only)
    : config_(config),
      read_only_fs_(read_only ? std::make_unique<ReadOnlyFileSystem>(env.fs()) : nullptr),
      fs_(read_only ? *read_only_fs_ : env.fs()),
      clock_(env.clock()),
      paths_(std::make_unique<StorePaths>(StorePaths{config.storePathRootDir})),
      prefaulter_(std::make_unique<Prefaulter>()),
      read_limits_(std::make_unique<ReadLimits>()) {
  if (read_only) config_.recoveryCorruptionPolicy = RecoveryCorruptionPolicy::kRefuse;  // nothing may be written
}

Result<std::unique_ptr<MessageStore>> MessageStore::Open(const StoreConfig& config, Env env,
                                                         const StoreHooks& hooks) {
  MQ_RETURN_IF_ERROR(config.Validate());  // before anything is created or written
  std::unique_ptr<MessageStore> store(new MessageStore(config, env, /*read_only=*/false));
  MQ_RETURN_IF_ERROR(store->OpenFiles(hooks));
  return store;
}

Result<std::unique_ptr<MessageStore>> MessageStore::OpenReadOnly(const StoreConfig& config, Env env) {
  MQ_RETURN_IF_ERROR(config.Validate());
  std::unique_ptr<MessageStore> store(new MessageStore(config, env, /*read_only=*/true));
  Status st = store->OpenFiles(StoreHooks{});
  if (!st.ok()) return st.WithContext("opening " + config.storePathRootDir + " read-only");
  return store;
}

Status MessageStore::OpenFiles(const StoreHooks& hooks) {
  auto cleanup_options = CleanupOptions::From(config_, config_.CommitLogDir(), paths_->ConsumeQueueDir());
  if (!cleanup_options.ok()) return cleanup_options.error();
  MQ_RETURN_IF_ERROR(CreateDirectoriesDurably(fs_, paths_->root));
  const bool abnormal = fs_.Exists(paths_->AbortFile());
  if (read_only() && abnormal)
    return Status::Unsupported("the store was not shut down cleanly (" + paths_->AbortFile() +
                               " exists): its recovery must write; open it read-write first");
  auto at_open = read_only() ? ReadCheckpointFile(fs_, *paths_) : TakeLockAndCheckpoint();
  if (!at_open.ok()) return at_open.error();

  if (!read_only()) prefaulter_->Start();  // recovery's catch-up dispatch uses it too
  queues_ = std::make_unique<ConsumeQueueStore>(
      fs_, ConsumeQueueStoreOptions{*paths_, config_.ConsumeQueueFileSize(),
                                    config_.tagBitmapEnable ? static_cast<size_t>(config_.tagBitmapMaxTags) : 0,
                                    prefaulter_.get()});
  MQ_RETURN_IF_ERROR(queues_->LoadAndRecover());
  if (config_.messageIndexEnable) {
    IndexServiceOptions io;
    io.dir = paths_->IndexDir();
    io.geometry = IndexGeometry{config_.maxHashSlotNum, config_.maxIndexNum};
    io.max_msgs_num_batch = config_.maxMsgsNumBatch;
    io.prefaulter = prefaulter_.get();
    index_ = std::make_unique<IndexService>(env(), io);
    MQ_RETURN_IF_ERROR(index_->Load(!abnormal, at_open->index_msg_timestamp));
  }

  log_ = std::make_unique<CommitLog>(env(), LogOptionsFrom(config_));
  queues_->AttachLog(*log_);  // before any dispatch (ConsumeQueueStore::AttachLog)
  MQ_RETURN_IF_ERROR(log_->Load());
  const bool index_safe = config_.messageIndexEnable && config_.messageIndexSafe;
  RecoveryOptions recovery;
  recovery.abnormal = abnormal;
  recovery.floor_timestamp = index_safe ? at_open->MinTimestampIndex() : at_open->MinTimestamp();
  recovery.flushed_timestamp = at_open->physic_msg_timestamp;
  recovery.policy = config_.recoveryCorruptionPolicy;
  recovery.read_only = read_only();
  auto report = log_->Recover(recovery);
  if (!report.ok()) return report.error();
  recovery_ = *report;

  DispatcherOptions d;
  d.only_flushed = config_.flushDiskType == FlushDiskType::kSyncFlush;
  d.delay_level_millis = *ParseDelayLevels(config_.messageDelayLevel);
  dispatcher_ = std::make_unique<Dispatcher>(*log_, clock_, std::move(d));
  dispatcher_->AddSink(*queues_);
  if (index_) dispatcher_->AddSink(*index_);
  for (DispatchSink* sink : hooks.sinks) dispatcher_->AddSink(*sink);
  if (hooks.on_arrival) dispatcher_->SetArrivalListener(hooks.on_arrival);
  *read_limits_ = ReadLimitsFrom(config_);
  if (read_only()) {
    // After a clean stop queues and index are complete: nothing to dispatch.
    queues_->CorrectMinOffset(log_->MinOffset());
    running_ = true;
    return Status::Ok();
  }
  MQ_RETURN_IF_ERROR(RecoverQueues(abnormal));
  MQ_RETURN_IF_ERROR(OpenDuplicateFilter(hooks));
  MQ_RETURN_IF_ERROR(OpenTimerStore());
  OpenDelayDelivery();
  OpenTransactions();
  MQ_RETURN_IF_ERROR(StartServices(hooks, std::move(*cleanup_options)));
  StartTimerStore();
  transactions_->Start();
  return Status::Ok();
}

// --- Duplicate suppression (storage/dedup/) ---

// Its table is read back from the log's tail: after the log's recovery,
// before the first put (the timer store's re-puts included).
Status MessageStore::OpenDuplicateFilter(const StoreHooks& hooks) {
  if (config_.dedupWindowSeconds <= 0) return Status::Ok();
  DedupOptions o;
  o.window_ms = int64_t{config_.dedupWindowSeconds} * 1000;
  o.max_entries = static_cast<size_t>(config_.dedupMaxEntries);
  o.key_property = config_.dedupKeyProperty;
  o.hash = hooks.dedup_hash;
  auto filter = DuplicateFilter::Open(*log_, clock_, std::move(o));
  if (!filter.ok())
    return filter.error().WithContext("duplicate suppression: dedupMaxEntries=" +
                                      std::to_string(config_.dedupMaxEntries));
  dedup_ = std::move(*filter);
  dedup_->Rebuild();
  const DedupStats s = dedup_->Stats();
  StoreLog(LogLevel::kInfo, "duplicate suppression: " + std::to_string(s.rebuilt) + " keys of the last " +
                                std::to_string(config_.dedupWindowSeconds) + " s read back from the log");
  return Status::Ok();
}

Result<Checkpoint> MessageStore::TakeLockAndCheckpoint() {
  auto lock = fs_.LockFile(paths_->LockFile());
  if (!lock.ok()) return lock.error();
  lock_ = std::move(*lock);
  auto checkpoint = StoreCheckpoint::Open(fs_, paths_->CheckpointFile());
  if (!checkpoint.ok()) return checkpoint.error();
  checkpoint_ = std::move(*checkpoint);
  return checkpoint_->Get();
}

// The abort marker, then the threads: the store runs.
Status MessageStore::StartServices(const StoreHooks& hooks, CleanupOptions cleanup_options) {
  InstallPutHooks(hooks);
  // The abort marker says "running": present from here until a clean stop.
  auto abort = fs_.OpenRandomRW(paths_->AbortFile(), OpenMode::kCreateIfMissing);
  if (!abort.ok()) return abort.error();
  MQ_RETURN_IF_ERROR((*abort)->Sync());
  MQ_RETURN_IF_ERROR(fs_.SyncDirectory(paths_->root));

  auto io = NewFlushIoQueue(config_);
  if (!io.ok()) return io.error();
  flusher_ = std::make_unique<FlushService>(*log_, *checkpoint_, std::move(*io), clock_, FlushOptionsFrom(config_));
  queue_flusher_ = std::make_unique<ConsumeQueueFlushService>(*queues_, index_.get(), *checkpoint_, clock_,
                                                              QueueFlushOptionsFrom(config_));
  cleanup_ = std::make_unique<CleanupService>(env(), *log_, *queues_, index_.get(), std::move(cleanup_options),
                                              hooks.disk_used ? hooks.disk_used : SystemDiskUse(fs_));
  log_events_ = std::make_unique<LogEvents>(*flusher_, *cleanup_);
  log_->SetEvents(log_events_.get());
  log_->Start();
  flusher_->Start();
  if (config_.dispatchOnOwnThread) dispatcher_->Start();
  queue_flusher_->Start();
  cleanup_->Start();
  MQ_RETURN_IF_ERROR(StartReplication());
  if (ha_master_) log_events_->ShipTo(ha_master_.get());
  running_ = true;
  StartDelayDelivery();
  return Status::Ok();
}

// Consume queues and index after the commit log's recovery (DefaultMessageStore.recover):
// nothing may point past the log's end, and every record they lack is
// dispatched again before the store opens, so a consumer never sees a gap.
Status MessageStore::RecoverQueues(bool abnormal) {
  // Units and entries of records in a range recovery skipped point at
  // fillers now: they go, and dispatch builds again from there.
  const int64_t end = recovery_.FirstSkipped().value_or(log_->MaxOffset());
  if (log_->Segments().empty()) MQ_RETURN_IF_ERROR(queues_->DestroyAll());
  MQ_RETURN_IF_ERROR(queues_->TruncateDirty(end));
  if (index_) MQ_RETURN_IF_ERROR(index_->TruncateDirty(end));
  auto caught_up = CatchUpQueuesWithLog(*log_, *queues_);
  if (!caught_up.ok()) return caught_up.error();

  const int64_t from = ReputStart(abnormal, caught_up->from);
  dispatcher_->SetReputOffset(from);
  MQ_RETURN_IF_ERROR(dispatcher_->CatchUp());
  redispatched_at_open_ = dispatcher_->Stats().records;
  queues_->CorrectMinOffset(log_->MinOffset());
  auto synced = queues_->Flush(0);
  if (!synced.ok()) return synced.error();
  if (redispatched_at_open_ > 0 || from < end)
    StoreLog(LogLevel::kInfo, "dispatched " + std::to_string(redispatched_at_open_) + " records from offset " +
                                  std::to_string(from) + " to bring consume queues and index up to the log");
  return Status::Ok();
}

// Where dispatch resumes: where the shortest consume queue needs it
// (`short_queues_from`, queue_catch_up.h: each queue against the log's
// topic-queue table, not 4.9's end of the furthest queue, which left a
// short queue short), no later than what the index lacks, and after a
// crash no later than the file recovery started checking from, because
// units and entries written after the checkpoint's timestamps may be torn.
// With nothing lacking it is the log's end: records after the last unit
// that take no queue offset are not dispatched again.
int64_t MessageStore::ReputStart(bool abnormal, int64_t short_queues_from) const {
  const int64_t min = log_->MinOffset();
  int64_t from = std::min(short_queues_from, log_->MaxOffset());
  if (index_) {
    // IndexedUpTo is the start of the last indexed record. Resume at it
    // (the index completes it, see index_service.h) unless it surely got
    // all its keys: a clean stop with room left in the newest file. A full
    // newest file may have had a successor, lost now, holding some of them.
    const int64_t indexed = index_->IndexedUpTo();
    int64_t resume = min;
    if (indexed >= 0) {
      resume = indexed;
      if (!abnormal && index_->LastRecordComplete()) {
        auto last = log_->LookMessage(indexed);
        if (last.ok()) resume = indexed + last->message.total_size;
      }
    }
    from = std::min(from, resume);
  }
  if (abnormal) from = std::min(from, recovery_.start_offset);
  if (const auto skipped = recovery_.FirstSkipped()) from = std::min(from, *skipped);
  return std::clamp(from, min, log_->MaxOffset());
}

MessageStore::~MessageStore() {
  if (running_) {
    Status st = Shutdown();
    if (!st.ok()) StoreLog(LogLevel::kError, "shutdown: " + st.ToString());
  }
  if (log_) log_->SetEvents(nullptr);  // log_events_ goes first; nothing puts or syncs by now
}

PutResult MessageStore::Count(PutResult r) {
  if (r.ok()) {
    puts_ok_.fetch_add(1, std::memory_order_relaxed);
    messages_.fetch_add(static_cast<uint64_t>(r.msg_count), std::memory_order_relaxed);
    if (!r.duplicate) bytes_.fetch_add(static_cast<uint64_t>(r.wrote_bytes), std::memory_order_relaxed);
  } else {
    puts_failed_.fetch_add(1, std::memory_order_relaxed);
  }
  return r;
}

void MessageStore::InstallPutHooks(const StoreHooks& hooks) {
  auto rules = ScheduleRules::FromConfig(config_);  // Validate parsed the levels already
  if (rules.ok()) schedule_rules_ = std::move(*rules);
  if (config_.scheduleRewriteInStore) {
    put_hooks_.push_back([this](Message& m, MessageRewrite& rewrite) -> std::optional<PutResult> {
      if (!MayNeedScheduleRewrite(m)) return std::nullopt;  // most puts: no clock read
      return HandleScheduleMessage(schedule_rules_, clock_.WallMillis(), m, rewrite);
    });
  }
  put_hooks_.insert(put_hooks_.end(), hooks.put_hooks.begin(), hooks.put_hooks.end());
}

std::optional<PutResult> MessageStore::RunPutHooks(Message& message, MessageRewrite& rewrite) {
  for (const PutHook& hook : put_hooks_)
    if (auto answer = hook(message, rewrite)) return answer;
  return std::nullopt;
}

bool MessageStore::MustWait(const Message& first) const {
  switch (first.flush_wait) {
    case FlushWait::kWait: return true;
    case FlushWait::kNoWait: return false;
    case FlushWait::kStoreDefault: break;
  }
  return config_.flushDiskType == FlushDiskType::kSyncFlush && !PropertiesSayNoWait(first.properties);
}

PutResult MessageStore::Append(std::span<const Message> batch, bool check_duplicates) {
  PutResult r = CheckWriteable();
  if (!r.ok()) return r;
  if (check_duplicates && dedup_)
    return dedup_->Put(batch, [this](std::span<const Message> b, CommitLog::PutGate* gate) {
      return log_->PutBatch(b, gate);
    });
  return log_->PutBatch(batch);
}

PutResult MessageStore::CheckWriteable() const {
  PutResult r;
  if (!running_.load(std::memory_order_acquire)) {
    r.status = PutStatus::kServiceNotAvailable;
    r.reason = "the store is shut down";
  } else if (read_only()) {
    r.status = PutStatus::kServiceNotAvailable;
    r.reason = "the store was opened read-only";
  } else if (config_.brokerRole == BrokerRole::kSlave) {
    r.status = PutStatus::kServiceNotAvailable;
    r.reason = "brokerRole is SLAVE";
  } else if (cleanup_->disk_full()) {
    r.status = PutStatus::kServiceNotAvailable;
    r.reason = cleanup_->disk_full_reason();
  } else {
    r.status = PutStatus::kPutOk;
  }
  return r;
}

PutResult MessageStore::Put(const Message& message) { return PutOne(message, /*check_duplicates=*/true); }

PutResult MessageStore::PutOne(const Message& message, bool check_duplicates) {
  if (put_hooks_.empty()) return Store({&message, 1}, check_duplicates);
  Message m = message;
  MessageRewrite rewrite;
  if (auto answer = RunPutHooks(m, rewrite)) return Count(std::move(*answer));
  return Store({&m, 1}, check_duplicates);
}

PutResult MessageStore::PutBatch(std::span<const Message> batch) { return Store(batch, /*check_duplicates=*/true); }

PutResult MessageStore::Store(std::span<const Message> batch, bool check_duplicates) {
  PutResult r = Append(batch, check_duplicates);
  if (!r.ok()) return Count(std::move(r));
  const bool replica = MustWaitReplica(batch.front());
  if (replica) ShipToSlaves();
  if (MustWait(batch.front())) r = flusher_->WaitDurable(std::move(r));
  else flusher_->OnAppend();
  if (replica) r = WaitReplica(std::move(r));
  return Count(std::move(r));
}

void MessageStore::PutAsync(const Message& message, PutCallback done) {
  if (put_hooks_.empty()) return PutBatchAsync({&message, 1}, std::move(done));
  Message m = message;
  MessageRewrite rewrite;  // the record is copied before PutBatchAsync returns
  if (auto answer = RunPutHooks(m, rewrite)) return done(Count(std::move(*answer)));
  PutBatchAsync({&m, 1}, std::move(done));
}

void MessageStore::PutBatchAsync(std::span<const Message> batch, PutCallback done) {
  PutResult r = Append(batch, /*check_duplicates=*/true);
  const bool replica = r.ok() && !batch.empty() && MustWaitReplica(batch.front());
  if (replica) ShipToSlaves();
  if (!r.ok() || batch.empty() || !MustWait(batch.front())) {
    if (r.ok()) flusher_->OnAppend();
    if (replica) return WaitReplicaAsync(std::move(r), [this, done = std::move(done)](PutResult result) {
      done(Count(std::move(result)));
    });
    done(Count(std::move(r)));
    return;
  }
  // The slaves have the bytes already (ShipToSlaves): the replica wait
  // after the flush is usually answered at once.
  flusher_->WaitDurableAsync(std::move(r), [this, replica, done = std::move(done)](PutResult result) {
    if (!replica) return done(Count(std::move(result)));
    WaitReplicaAsync(std::move(result), [this, done](PutResult both) { done(Count(std::move(both))); });
  });
}

std::future<PutResult> MessageStore::PutAsync(const Message& message) {
  auto promise = std::make_shared<std::promise<PutResult>>();
  std::future<PutResult> future = promise->get_future();
  PutAsync(message, [promise](PutResult r) { promise->set_value(std::move(r)); });
  return future;
}

CommitLogCursor MessageStore::NewCursor(int64_t phy_offset) const {
  RecordDecodeOptions options;
  options.max_record_size = log_->options().limits.max_record_size;
  return CommitLogCursor(*log_, phy_offset, options);
}

Status MessageStore::Flush() {
  if (read_only()) return Status::Ok();  // nothing was written
  return flusher_->FlushAll();
}

Status MessageStore::Shutdown() {
  if (!running_.load(std::memory_order_acquire)) return Status::Ok();
  // The timer store and the transaction check re-put: stopped while puts
  // are still taken.
  const Status tx = read_only() ? Status::Ok() : StopTransactions();
  const Status timer = read_only() ? Status::Ok() : StopTimerStore();
  if (!running_.exchange(false)) return Status::Ok();
  if (read_only()) return Status::Ok();  // no thread ran, no marker was made
  Status st = StopServices();
  if (st.ok()) st = timer;
  if (st.ok()) st = tx;
  const bool clean = st.ok() && log_->writeable() && log_->FlushedOffset() >= log_->WroteOffset() &&
                     dispatcher_->Lag() == 0;
  if (clean) {
    st = fs_.Remove(paths_->AbortFile());
    if (st.ok()) st = fs_.SyncDirectory(paths_->root);
  } else {
    StoreLog(LogLevel::kWarn, "shutdown was not clean; the abort file stays and the next open runs abnormal recovery");
  }
  lock_.reset();
  return st;
}

// Puts are refused by now. The log is flushed first, so that with
// SYNC_FLUSH the dispatcher may take everything; then queues and index catch
// up and are synced.
Status MessageStore::StopServices() {
  StopDelayDelivery();
  StopReplication();  // the slave's appends end before the last flush
  cleanup_->Stop();
  Status st = flusher_->Stop();
  log_->Stop();
  dispatcher_->Stop();
  Status dispatched = dispatcher_->CatchUp();
  if (!dispatched.ok()) StoreLog(LogLevel::kError, "shutdown: dispatch did not catch up: " + dispatched.ToString());
  Status queues = queue_flusher_->Stop();
  prefaulter_->Stop();
  if (index_ && queues.ok()) queues = index_->RemoveSpare();
  if (st.ok()) st = dispatched;
  if (st.ok()) st = queues;
  return st;
}

GetMessageResult MessageStore::GetMessage(std::string_view group, std::string_view topic, int32_t queue_id,
                                          int64_t offset, int32_t max_msg_nums, const MessageFilter* filter) const {
  GetMessageRequest request{group, topic, queue_id, offset, max_msg_nums, filter, config_.tagBitmapEnable};
  GetMessageResult out;
  GetMessage(request, out);
  return out;
}

void MessageStore::GetMessage(const GetMessageRequest& request, GetMessageResult& out) const {
  if (!running_.load(std::memory_order_acquire)) {
    out.Clear();
    out.status = GetMessageStatus::kServiceNotAvailable;
    out.next_begin_offset = request.offset;
    return;
  }
  GetMessageRequest r = request;
  r.use_tag_bitmap = r.use_tag_bitmap && config_.tagBitmapEnable;
  mqstore::GetMessage(*log_, queues_->Find(request.topic, request.queue_id), r, *read_limits_, out);
}

int64_t MessageStore::GetMaxOffsetInQueue(std::string_view topic, int32_t queue_id) const {
  const ConsumeQueue* q = queues_->Find(topic, queue_id);
  return q ? q->MaxOffset() : 0;
}

int64_t MessageStore::GetMinOffsetInQueue(std::string_view topic, int32_t queue_id) const {
  const ConsumeQueue* q = queues_->Find(topic, queue_id);
  return q ? q->MinOffset() : -1;
}

int64_t MessageStore::GetCommitLogOffsetInQueue(std::string_view topic, int32_t queue_id,
                                                int64_t queue_offset) const {
  const ConsumeQueue* q = queues_->Find(topic, queue_id);
  if (!q) return 0;
  const std::optional<ConsumeQueueUnit> unit = q->GetUnit(queue_offset);
  return unit ? unit->commit_log_offset : 0;
}

int64_t MessageStore::GetOffsetInQueueByTime(std::string_view topic, int32_t queue_id, int64_t timestamp) const {
  return queues_->OffsetInQueueByTime(topic, queue_id, timestamp, *log_);
}

QueryMessageResult MessageStore::QueryMessage(std::string_view topic, std::string_view key, int32_t max_num,
                                              int64_t begin, int64_t end) const {
  return index_ ? mqstore::QueryMessage(*index_, *log_, topic, key, max_num, begin, end) : QueryMessageResult{};
}

bool MessageStore::WaitForMessages(std::string_view topic, int32_t queue_id, int64_t offset,
                                   std::chrono::milliseconds timeout) const {
  return dispatcher_->WaitFor([&] { return GetMaxOffsetInQueue(topic, queue_id) > offset; }, timeout);
}

Result<uint64_t> MessageStore::DispatchOnce(int64_t max_bytes) {
  if (read_only()) return ReadOnlyRefusal("dispatch into", paths_->ConsumeQueueDir());
  auto p = dispatcher_->DispatchOnce(max_bytes);
  if (!p.ok()) return p.error();
  return p->records;
}

StoreStats MessageStore::Stats() const {
  StoreStats s;
  s.min_offset = log_->MinOffset();
  s.max_offset = log_->MaxOffset();
  s.wrote_offset = log_->WroteOffset();
  s.flushed_offset = log_->FlushedOffset();
  s.bytes_behind = s.wrote_offset - s.flushed_offset;
  s.puts_ok = puts_ok_.load(std::memory_order_relaxed);
  s.puts_failed = puts_failed_.load(std::memory_order_relaxed);
  s.messages_stored = messages_.load(std::memory_order_relaxed);
  s.bytes_stored = bytes_.load(std::memory_order_relaxed);
  if (flusher_) s.flush = flusher_->Stats();
  s.backend = log_->has_append_ring() ? "write" : "mmap";
  s.segments = log_->Segments().size();
  s.segments_created = log_->segments_created();
  s.writeable = log_->writeable();
  s.dispatch = dispatcher_->Stats();
  s.consume_queues = queues_->size();
  s.bad_topic_records = queues_->bad_topic_records();
  s.tag_bitmap_bytes = queues_->TagIndexMemoryBytes();
  if (index_) s.index = index_->Stats();
  if (cleanup_) s.cleanup = cleanup_->Stats();
  if (timer_) s.timer = timer_->Stats();
  if (schedule_) s.delay = schedule_->Stats();
  if (dedup_) s.dedup = dedup_->Stats();
  if (transactions_) s.transaction = transactions_->Stats();
  if (ha_master_) s.replication = ha_master_->Stats();
  if (ha_client_) s.replication = ha_client_->Stats();
  return s;
}

// What the public header declares only: these reach into the parts, whose
// classes it does not see.
Result<MessageView> MessageStore::LookMessageByOffset(int64_t phy_offset) const { return log_->LookMessage(phy_offset); }
int64_t MessageStore::GetMinPhyOffset() const { return log_->MinOffset(); }
int64_t MessageStore::GetMaxPhyOffset() const { return log_->MaxOffset(); }
int64_t MessageStore::NextQueueOffset(std::string_view topic, int32_t queue_id) const {
  return log_->NextQueueOffset(topic, queue_id);
}
int MessageStore::DispatchEventFd() const { return dispatcher_->event_fd(); }
int64_t MessageStore::DispatchBehindBytes() const { return dispatcher_->Lag(); }
void MessageStore::ExecuteDeleteFilesManually() {
  if (cleanup_) cleanup_->RequestManualDelete();
}
CommitLog& MessageStore::commit_log() { return *log_; }
ConsumeQueueStore& MessageStore::consume_queues() { return *queues_; }
CleanupService& MessageStore::cleanup() { return *cleanup_; }
ScheduleMessageService& MessageStore::schedule_messages() { return *schedule_; }
TransactionService& MessageStore::transactions() { return *transactions_; }

}  // namespace mqstore
