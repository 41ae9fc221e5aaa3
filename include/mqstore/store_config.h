// StoreConfig: the store's knobs under RocketMQ's own names and defaults
// (MessageStoreConfig), loadable from a broker .properties file so that an
// operator's existing broker.conf works as it is. One table in
// store_config.cc gives every knob its valid range; Set, LoadProperties and
// Validate (called by MessageStore::Open) check it, and docs/knobs.md lists it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mqstore/status.h"

namespace mqstore {

enum class FlushDiskType : uint8_t { kAsyncFlush, kSyncFlush };
// How the flush service issues its writes and syncs: io_uring when the
// kernel allows it (auto), always (io_uring: opening fails without it), or
// plain pwrite/fdatasync calls (sync).
enum class FlushIoEngine : uint8_t { kAuto, kIoUring, kSync };
enum class BrokerRole : uint8_t { kAsyncMaster, kSyncMaster, kSlave };
// What opening a store does when recovery finds damage that valid records
// follow (docs/engine.md, "Recovery"): refuse to open (the default), truncate the log
// at the damage (RocketMQ's behaviour), or skip the damaged range and keep
// the records after it.
enum class RecoveryCorruptionPolicy : uint8_t { kRefuse, kTruncate, kSkip };
// What an HA slave does when its log holds bytes past its master's end
// (docs/engine.md, "Replication"): stop replicating and say so (the
// default), or cut its log back to the master's end and follow again.
enum class HaDivergencePolicy : uint8_t { kRefuse, kTruncate };

// One entry of the knob table: what Set and Validate accept, in words, and
// sample values they refuse (the tests set each one).
struct KnobInfo {
  enum class Kind : uint8_t { kInteger, kFlag, kChoice, kText };
  std::string_view name;
  Kind kind = Kind::kInteger;
  std::string range;                 // "[1, 255]", "true|false", "refuse|truncate|skip", words for text
  std::vector<std::string> refused;  // values outside `range`
};

struct StoreConfig {
  // Paths. An empty storePathCommitLog means <storePathRootDir>/commitlog.
  std::string storePathRootDir = DefaultRootDir();
  std::string storePathCommitLog;

  // File sizes and limits.
  int64_t mappedFileSizeCommitLog = 1024LL * 1024 * 1024;
  int64_t mappedFileSizeConsumeQueue = 300000LL * 20;
  int32_t maxHashSlotNum = 5000000;
  int32_t maxIndexNum = 5000000 * 4;
  int32_t maxMessageSize = 1024 * 1024 * 4;
  std::string messageDelayLevel = "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h";

  // Commit-log flush.
  FlushDiskType flushDiskType = FlushDiskType::kAsyncFlush;
  int32_t flushIntervalCommitLog = 500;
  int32_t flushCommitLogLeastPages = 4;
  int32_t flushCommitLogThoroughInterval = 1000 * 10;
  bool flushCommitLogTimed = true;
  int64_t syncFlushTimeout = 1000 * 5;
  // Transient store pool (appends into pooled buffers, committed on an interval).
  bool transientStorePoolEnable = false;
  int32_t transientStorePoolSize = 5;
  int32_t commitIntervalCommitLog = 200;
  int32_t commitCommitLogLeastPages = 4;
  int32_t commitCommitLogThoroughInterval = 200;
  bool warmMapedFileEnable = false;
  // Write backend (RocketMQ 5.x's name): true = records are collected in a
  // user-space append buffer and written with pwrite; false = memcpy into a
  // shared mapping. Unset, it follows flushDiskType, as measured
  // (bench/RESULTS.md): the mapping for ASYNC_FLUSH (async puts 2.1x
  // faster), explicit writes for SYNC_FLUSH (group commit 2-3x faster).
  std::optional<bool> writeWithoutMmap;
  // mqstore only: bytes of the write backend's append ring, and how far the
  // mmap backend faults pages in ahead of the writer (0 = off).
  int64_t appendBufferSize = 16LL << 20;
  FlushIoEngine flushIoEngine = FlushIoEngine::kAuto;
  int64_t prefaultAheadBytes = 64LL << 20;
  // mqstore only: how many MiB of the flushed commit log keep their pages in
  // the page cache behind the flushed position. -1 (default): all of it, as
  // RocketMQ leaves it to the kernel; N >= 0: as the flush moves on, what
  // lies more than N MiB behind it drops its pages (readers of it then read
  // the disk). On a machine whose free memory is slow to hand out (a VM
  // whose host backs guest memory on first touch) a page cache that never
  // stops growing makes every new page a slow one; a bounded one reuses its
  // own.
  int32_t commitLogCacheMb = -1;
  int32_t flushLeastPagesWhenWarmMapedFile = 1024 / 4 * 16;

  // Consume-queue flush.
  int32_t flushIntervalConsumeQueue = 1000;
  int32_t flushConsumeQueueLeastPages = 2;
  int32_t flushConsumeQueueThoroughInterval = 1000 * 60;

  // Put path and recovery.
  bool checkCRCOnRecover = true;
  int64_t osPageCacheBusyTimeOutMills = 1000;
  bool useReentrantLockWhenPutMessage = true;
  bool duplicationEnable = false;
  bool autoMessageVersionOnTopicLen = true;
  // mqstore: the longest topic a put accepts, in bytes (RocketMQ's broker
  // allows 127 characters); at most 255, what one file name can hold.
  int32_t maxTopicLength = 127;
  RecoveryCorruptionPolicy recoveryCorruptionPolicy = RecoveryCorruptionPolicy::kRefuse;
  BrokerRole brokerRole = BrokerRole::kAsyncMaster;

  // Replication (storage/ha/; RocketMQ's classic HA protocol). A master
  // serves slaves on haListenPort when brokerRole=SYNC_MASTER or
  // haServiceEnable (mqstore: an embedded store does not open a port
  // unasked; RocketMQ's broker always does). A SLAVE with haMasterAddress
  // ("host:port") replicates from it. 0 = the OS picks a port (5.x).
  int32_t haListenPort = 10912;
  std::string haMasterAddress;
  int32_t haTransferBatchSize = 1024 * 32;
  int32_t haSendHeartbeatInterval = 1000 * 5;
  int32_t haHousekeepingInterval = 1000 * 20;
  int32_t haSlaveFallbehindMax = 1024 * 1024 * 256;
  int64_t slaveTimeout = 3000;
  bool haServiceEnable = false;
  // mqstore: a fresh slave (reporting 0) gets the master's whole log, not
  // only the file holding its end (RocketMQ's rule, apache/rocketmq #3661).
  bool haTransferWholeHistory = false;
  // mqstore: a slave whose log diverged (it holds bytes past the master's
  // end): refuse = stop replicating with an error; truncate = cut back to
  // the master's end (logged at ERROR) and follow.
  HaDivergencePolicy haDivergencePolicy = HaDivergencePolicy::kRefuse;

  // Dispatch (mqstore): false = the embedder calls MessageStore::DispatchOnce
  // from its own thread instead of the store's mq-dispatch thread.
  bool dispatchOnOwnThread = true;
  // Per-queue CRoaring bitmaps of queue offsets by tagsCode (mqstore; off =
  // filtered pulls scan units, as RocketMQ does), and how many distinct tags
  // each queue tracks.
  bool tagBitmapEnable = true;
  int32_t tagBitmapMaxTags = 64;

  // Duplicate suppression (mqstore; storage/dedup/, docs/engine.md): a put
  // whose dedupKeyProperty value (the producer's UNIQ_KEY by default) was
  // already stored in its topic within the last dedupWindowSeconds is
  // answered with the first record's offsets and not stored again. 0 = off
  // (no table). At most dedupMaxEntries keys are remembered, oldest dropped
  // first.
  int32_t dedupWindowSeconds = 0;
  int64_t dedupMaxEntries = 1000000;
  std::string dedupKeyProperty = "UNIQ_KEY";

  // Delay levels (ScheduleMessageService; storage/timer/). The store
  // rewrites a put with DELAY > 0 (and a timer message) itself, as 4.9 does,
  // unless scheduleRewriteInStore=false (mqstore): then an embedder runs
  // HandleScheduleMessage in its own put hook, as the 5.x broker does.
  // scheduleMessageServiceEnable (mqstore) runs the per-level delivery on
  // the store's thread (a master only); delivery progress is persisted
  // every flushDelayOffsetInterval.
  bool scheduleRewriteInStore = true;
  bool scheduleMessageServiceEnable = true;
  int64_t flushDelayOffsetInterval = 1000 * 10;

  // Timer messages (5.x TimerMessageStore; storage/timer/). The timer files
  // are created when the first timer message is enqueued.
  bool timerWheelEnable = true;
  int32_t timerPrecisionMs = 1000;
  int64_t mappedFileSizeTimerLog = 100LL * 1024 * 1024;
  int32_t timerRollWindowSlot = 3600 * 24 * 2;
  int32_t timerMaxDelaySec = 3600 * 24 * 3;
  int32_t timerFlushIntervalMs = 1000;
  int32_t timerCongestNumEachSlot = 2147483647;
  bool timerSkipUnknownError = false;
  bool timerStopEnqueue = false;
  bool timerStopDequeue = false;
  bool timerEnableRetryUntilSuccess = false;

  // Transactions (BrokerConfig's; storage/transaction/). The check thread
  // runs on a master with transactionCheckEnable (mqstore). Op bodies in
  // the 5.x batched form ("12,13,") with transactionOpBatchEnable (mqstore;
  // off: one op per decision, 4.x's form, written with the decision).
  int64_t transactionTimeOut = 6000;
  int32_t transactionCheckMax = 15;
  int64_t transactionCheckInterval = 30 * 1000;
  bool transactionCheckEnable = true;
  bool transactionOpBatchEnable = false;
  int32_t transactionOpMsgMaxSize = 4096;
  int64_t transactionOpBatchInterval = 3000;
  bool rejectTransactionMessage = false;

  // Index.
  bool messageIndexEnable = true;
  bool messageIndexSafe = false;
  int32_t maxMsgsNumBatch = 64;
  int32_t defaultQueryMaxNum = 32;

  // Reads.
  int32_t maxTransferBytesOnMessageInMemory = 1024 * 256;
  int32_t maxTransferCountOnMessageInMemory = 32;
  int32_t maxTransferBytesOnMessageInDisk = 1024 * 64;
  int32_t maxTransferCountOnMessageInDisk = 8;
  int32_t accessMessageInMemoryMaxRatio = 40;

  // Cleanup.
  int32_t fileReservedTime = 72;
  std::string deleteWhen = "04";
  int32_t diskMaxUsedSpaceRatio = 75;
  int32_t cleanResourceInterval = 10000;
  int32_t deleteCommitLogFilesInterval = 100;
  int32_t deleteConsumeQueueFilesInterval = 100;
  int32_t destroyMapedFileIntervalForcibly = 1000 * 120;
  int32_t redeleteHangedFileInterval = 1000 * 120;
  bool cleanFileForciblyEnable = true;
  int32_t diskSpaceWarningLevelRatio = 90;
  int32_t diskSpaceCleanForciblyRatio = 85;
  // Segments deleted per cleanup round at most (5.x; a constant 10 in 4.9),
  // and the rounds a manual delete request lasts (4.9's
  // MANUAL_DELETE_FILE_SEVERAL_TIMES).
  int32_t deleteFileBatchMax = 10;
  int32_t manualDeleteFileSeveralTimes = 20;
  // mqstore: size-based retention (Kafka's retention.bytes): once the
  // commit-log segments take more than this many bytes the oldest are
  // deleted, expired or not (never the newest). 0 = off.
  int64_t maxStoreSizeBytes = 0;

  // The write backend is used: writeWithoutMmap if set, else SYNC_FLUSH;
  // always with transientStorePoolEnable (which is what that backend does).
  bool UsesWriteBackend() const;

  // What the getters of MessageStoreConfig return.
  std::string CommitLogDir() const;
  // mappedFileSizeConsumeQueue rounded up to a multiple of 20.
  int64_t ConsumeQueueFileSize() const;

  // Applies `key=value` lines of a Java .properties file (comments, `=`/`:`
  // or blank separators, backslash continuations). Keys that are not store
  // knobs (a broker.conf also holds brokerName, namesrvAddr, ...) are listed
  // in `*ignored_keys`; a value that does not parse or is out of range is an
  // InvalidArgument naming `source`, the line, the key and the value, and
  // leaves the config unchanged.
  Status LoadProperties(std::string_view text, const std::string& source = "properties",
                        std::vector<std::string>* ignored_keys = nullptr);
  // Reads and applies a file.
  Status LoadPropertiesFile(const std::string& path, std::vector<std::string>* ignored_keys = nullptr);
  // One knob by name, as a broker's `--set key=value` would. A value out of
  // the knob's range is an InvalidArgument such as "appendBufferSize=-1 is
  // out of range [65536, 1073741824]", and changes nothing.
  Status Set(std::string_view key, std::string_view value);
  // What an assignment to the field in code does: parses `value` into the
  // knob without the range check (Validate makes it). Fails only for text
  // the field cannot hold at all.
  Status Assign(std::string_view key, std::string_view value);
  // A knob's value as Set takes it ("" for writeWithoutMmap unset).
  Result<std::string> Get(std::string_view key) const;

  // Every knob in range: an InvalidArgument naming each knob that is not,
  // with its value and range. MessageStore::Open calls it before it creates
  // anything, for a config whose fields were assigned in code.
  Status Validate() const;

  // The knob table, in the order of the fields above.
  static const std::vector<KnobInfo>& Knobs();

  static std::string DefaultRootDir();  // ${HOME}/store, as RocketMQ's ${user.home}/store
};

}  // namespace mqstore
