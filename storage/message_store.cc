#include "storage/message_store.h"

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
  o.commit_interval_ms = c.commitIntervalCommitLog;
  o.blocking_put_lock = c.useReentrantLockWhenPutMessage;
  o.os_page_cache_busy_timeout_ms = c.osPageCacheBusyTimeOutMills;
  o.auto_message_version = c.autoMessageVersionOnTopicLen;
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

Status CheckConfig(const StoreConfig& c) {
  if (c.mappedFileSizeCommitLog < 4096 || c.mappedFileSizeCommitLog > (int64_t{1} << 40))
    return Status::InvalidArgument("mappedFileSizeCommitLog must be between 4096 and 2^40, not " +
                                   std::to_string(c.mappedFileSizeCommitLog));
  if (c.maxMessageSize <= 0) return Status::InvalidArgument("maxMessageSize must be positive");
  if (c.flushIntervalCommitLog <= 0) return Status::InvalidArgument("flushIntervalCommitLog must be positive");
  if (c.commitIntervalCommitLog <= 0) return Status::InvalidArgument("commitIntervalCommitLog must be positive");
  if (c.syncFlushTimeout <= 0) return Status::InvalidArgument("syncFlushTimeout must be positive");
  if (c.storePathCommitLog.find(',') != std::string::npos)
    return Status::Unsupported("several commit-log directories (storePathCommitLog with ',') are not supported");
  return Status::Ok();
}

}  // namespace

MessageStore::MessageStore(const StoreConfig& config, FileSystem& fs)
    : config_(config), fs_(fs), paths_{config.storePathRootDir} {}

Result<std::unique_ptr<MessageStore>> MessageStore::Open(const StoreConfig& config, FileSystem& fs) {
  MQ_RETURN_IF_ERROR(CheckConfig(config));
  std::unique_ptr<MessageStore> store(new MessageStore(config, fs));
  MQ_RETURN_IF_ERROR(store->OpenFiles());
  return store;
}

Status MessageStore::OpenFiles() {
  MQ_RETURN_IF_ERROR(fs_.CreateDirectories(paths_.root));
  auto lock = fs_.LockFile(paths_.LockFile());
  if (!lock.ok()) return lock.error();
  lock_ = std::move(*lock);

  const bool abnormal = fs_.Exists(paths_.AbortFile());
  auto checkpoint = StoreCheckpoint::Open(fs_, paths_.CheckpointFile());
  if (!checkpoint.ok()) return checkpoint.error();
  checkpoint_ = std::move(*checkpoint);

  log_ = std::make_unique<CommitLog>(fs_, LogOptionsFrom(config_));
  MQ_RETURN_IF_ERROR(log_->Load());
  auto report = log_->Recover(abnormal, checkpoint_->Get());
  if (!report.ok()) return report.error();
  recovery_ = *report;

  // The abort marker says "running": present from here until a clean stop.
  auto abort = fs_.OpenRandomRW(paths_.AbortFile(), OpenMode::kCreateIfMissing);
  if (!abort.ok()) return abort.error();
  MQ_RETURN_IF_ERROR((*abort)->Sync());
  MQ_RETURN_IF_ERROR(fs_.SyncDirectory(paths_.root));

  auto io = NewFlushIoQueue(config_);
  if (!io.ok()) return io.error();
  flusher_ = std::make_unique<FlushService>(*log_, *checkpoint_, std::move(*io), FlushOptionsFrom(config_));
  log_->Start();
  flusher_->Start();
  running_ = true;
  return Status::Ok();
}

MessageStore::~MessageStore() {
  if (running_) {
    Status st = Shutdown();
    if (!st.ok()) StoreLog(LogLevel::kError, "shutdown: " + st.ToString());
  }
}

PutResult MessageStore::Count(PutResult r) {
  if (r.ok()) {
    puts_ok_.fetch_add(1, std::memory_order_relaxed);
    messages_.fetch_add(static_cast<uint64_t>(r.msg_count), std::memory_order_relaxed);
    bytes_.fetch_add(static_cast<uint64_t>(r.wrote_bytes), std::memory_order_relaxed);
  } else {
    puts_failed_.fetch_add(1, std::memory_order_relaxed);
  }
  return r;
}

bool MessageStore::MustWait(const Message& first) const {
  switch (first.flush_wait) {
    case FlushWait::kWait: return true;
    case FlushWait::kNoWait: return false;
    case FlushWait::kStoreDefault: break;
  }
  return config_.flushDiskType == FlushDiskType::kSyncFlush && !PropertiesSayNoWait(first.properties);
}

PutResult MessageStore::Append(std::span<const Message> batch) {
  PutResult r;
  if (!running_.load(std::memory_order_acquire)) {
    r.status = PutStatus::kServiceNotAvailable;
    r.reason = "the store is shut down";
  } else if (config_.brokerRole == BrokerRole::kSlave) {
    r.status = PutStatus::kServiceNotAvailable;
    r.reason = "brokerRole is SLAVE";
  } else {
    r = log_->PutBatch(batch);
  }
  return r;
}

PutResult MessageStore::Put(const Message& message) { return PutBatch({&message, 1}); }

PutResult MessageStore::PutBatch(std::span<const Message> batch) {
  PutResult r = Append(batch);
  if (!r.ok()) return Count(std::move(r));
  if (MustWait(batch.front())) return Count(flusher_->WaitDurable(std::move(r)));
  flusher_->OnAppend();
  return Count(std::move(r));
}

void MessageStore::PutAsync(const Message& message, PutCallback done) {
  PutBatchAsync({&message, 1}, std::move(done));
}

void MessageStore::PutBatchAsync(std::span<const Message> batch, PutCallback done) {
  PutResult r = Append(batch);
  if (!r.ok() || batch.empty() || !MustWait(batch.front())) {
    if (r.ok()) flusher_->OnAppend();
    done(Count(std::move(r)));
    return;
  }
  flusher_->WaitDurableAsync(std::move(r), [this, done = std::move(done)](PutResult result) {
    done(Count(std::move(result)));
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

Status MessageStore::Flush() { return flusher_->FlushAll(); }

Status MessageStore::Shutdown() {
  if (!running_.exchange(false)) return Status::Ok();
  Status st = flusher_->Stop();
  log_->Stop();
  const bool clean = st.ok() && log_->writeable() && log_->FlushedOffset() >= log_->WroteOffset();
  if (clean) {
    st = fs_.Remove(paths_.AbortFile());
    if (st.ok()) st = fs_.SyncDirectory(paths_.root);
  } else {
    StoreLog(LogLevel::kWarn, "shutdown was not clean; the abort file stays and the next open runs abnormal recovery");
  }
  lock_.reset();
  return st;
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
  return s;
}

}  // namespace mqstore
