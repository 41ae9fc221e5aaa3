#include "storage/store_config.h"

#include <charconv>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>

#include "format/delay_levels.h"
#include "storage/cleanup/cleanup_policy.h"
#include "storage/io/file_system.h"

namespace mqstore {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\f')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\f' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// A value as an error shows it: control bytes escaped, long text cut.
std::string Printable(std::string_view v) {
  constexpr size_t kMax = 120;
  std::string out;
  for (size_t i = 0; i < v.size() && i < kMax; ++i) {
    const auto c = static_cast<unsigned char>(v[i]);
    if (c >= 0x20 && c != 0x7f) {
      out += static_cast<char>(c);
      continue;
    }
    constexpr char kHex[] = "0123456789abcdef";
    out += "\\x";
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  if (v.size() > kMax) out += "...";
  return out;
}

// One row of the table. `assign` is what a field assignment can do (text the
// field cannot hold at all is its only error); `problem` says why the
// field's value is out of range ("out of range [1, 255]"), "" when it is not.
struct Knob {
  KnobInfo info;
  std::function<Status(StoreConfig&, std::string_view)> assign;
  std::function<std::string(const StoreConfig&)> show;
  std::function<std::string(const StoreConfig&)> problem;
};

Status Refused(const KnobInfo& k, std::string_view value, const std::string& problem) {
  return Status::InvalidArgument(std::string(k.name) + "=" + Printable(value) + " is " + problem);
}

template <typename T>
Knob Integer(std::string_view name, T StoreConfig::*field, int64_t min, int64_t max) {
  Knob k;
  k.info = {name, KnobInfo::Kind::kInteger, "[" + std::to_string(min) + ", " + std::to_string(max) + "]", {}};
  // The values just outside the range are the ones a test should try.
  if (min > std::numeric_limits<int64_t>::min()) k.info.refused.push_back(std::to_string(min - 1));
  if (max < std::numeric_limits<int64_t>::max()) k.info.refused.push_back(std::to_string(max + 1));
  const std::string out_of_range = "out of range " + k.info.range;
  k.assign = [field, info = k.info, out_of_range](StoreConfig& c, std::string_view v) -> Status {
    int64_t parsed = 0;
    std::string_view digits = v;
    if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), parsed);
    if (digits.empty() || ec == std::errc::invalid_argument || end != digits.data() + digits.size())
      return Refused(info, v, "not an integer in " + info.range);
    if (ec != std::errc() || parsed < std::numeric_limits<T>::min() || parsed > std::numeric_limits<T>::max())
      return Refused(info, v, out_of_range);  // no field could hold it
    c.*field = static_cast<T>(parsed);
    return Status::Ok();
  };
  k.show = [field](const StoreConfig& c) { return std::to_string(c.*field); };
  k.problem = [field, min, max, out_of_range](const StoreConfig& c) {
    const int64_t v = c.*field;
    return v < min || v > max ? out_of_range : std::string();
  };
  return k;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

// A bool (or an optional one, "" when unset): every value it can hold is in range.
template <typename F>
Knob Flag(std::string_view name, F StoreConfig::*field) {
  Knob k;
  k.info = {name, KnobInfo::Kind::kFlag, "true|false", {"yes"}};
  k.assign = [field, info = k.info](StoreConfig& c, std::string_view v) -> Status {
    if (EqualsIgnoreCase(v, "true")) c.*field = true;
    else if (EqualsIgnoreCase(v, "false")) c.*field = false;
    else return Refused(info, v, "not one of " + info.range);
    return Status::Ok();
  };
  k.show = [field](const StoreConfig& c) -> std::string {
    const std::optional<bool> v = c.*field;
    return v.has_value() ? (*v ? "true" : "false") : "";
  };
  k.problem = [](const StoreConfig&) { return std::string(); };
  return k;
}

// One of named values; a value cast from a number outside them is refused.
template <typename E>
Knob Choice(std::string_view name, E StoreConfig::*field, std::vector<std::pair<std::string_view, E>> names) {
  Knob k;
  std::string range;
  for (const auto& [text, value] : names) range += (range.empty() ? "" : "|") + std::string(text);
  k.info = {name, KnobInfo::Kind::kChoice, range, {"unknown"}};
  k.assign = [field, names, info = k.info](StoreConfig& c, std::string_view v) -> Status {
    for (const auto& [text, value] : names)
      if (v == text) {
        c.*field = value;
        return Status::Ok();
      }
    return Refused(info, v, "not one of " + info.range);
  };
  k.show = [field, names](const StoreConfig& c) {
    for (const auto& [text, value] : names)
      if (c.*field == value) return std::string(text);
    return std::to_string(static_cast<int>(c.*field));
  };
  k.problem = [field, names, range](const StoreConfig& c) {
    for (const auto& [text, value] : names)
      if (c.*field == value) return std::string();
    return "not one of " + range;
  };
  return k;
}

// Free text that `check` accepts (it returns why not, or Ok); `range` says
// what that is, `refused` gives examples it does not.
Knob Text(std::string_view name, std::string StoreConfig::*field, std::string range,
          std::function<Status(std::string_view)> check, std::vector<std::string> refused) {
  Knob k;
  k.info = {name, KnobInfo::Kind::kText, std::move(range), std::move(refused)};
  k.assign = [field](StoreConfig& c, std::string_view v) {
    c.*field = std::string(v);
    return Status::Ok();
  };
  k.show = [field](const StoreConfig& c) { return c.*field; };
  k.problem = [field, check, info = k.info](const StoreConfig& c) {
    const Status st = check(c.*field);
    if (st.ok()) return std::string();
    // The parsers name the knob themselves: "deleteWhen: '25' is not ...".
    std::string_view why = st.message();
    const std::string own = std::string(info.name) + ": ";
    if (why.substr(0, own.size()) == own) why.remove_prefix(own.size());
    return "not " + info.range + (why.empty() ? "" : " (" + std::string(why) + ")");
  };
  return k;
}

template <typename T>
Status StatusOf(const Result<T>& r) {
  return r.ok() ? Status::Ok() : r.error();
}

Status CheckPath(std::string_view p) {
  if (p.empty()) return Status::InvalidArgument("");
  if (p.find('\0') != std::string_view::npos) return Status::InvalidArgument("a NUL byte ends a file name early");
  return Status::Ok();
}

// haMasterAddress: empty (no master), or host:port with a port in [1, 65535].
Status CheckHostPort(std::string_view v) {
  if (v.empty()) return Status::Ok();
  const size_t colon = v.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return Status::InvalidArgument("no host before ':'");
  int64_t port = 0;
  const std::string_view digits = v.substr(colon + 1);
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || port < 1 || port > 65535)
    return Status::InvalidArgument("the port is not in [1, 65535]");
  return Status::Ok();
}

// A property name a record can carry: not empty, no 0x01 / 0x02 (the
// properties string's separators).
Status CheckPropertyName(std::string_view name) {
  if (name.empty()) return Status::InvalidArgument("");
  if (name.find_first_of("\x01\x02") != std::string_view::npos)
    return Status::InvalidArgument("it holds a property separator byte (0x01 or 0x02)");
  return Status::Ok();
}

// Ranges that are mqstore's own choice (RocketMQ checks none of these but
// diskMaxUsedSpaceRatio, which it clamps, as CleanupPolicy still does):
constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();
constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
// Intervals and timeouts in ms: a day at most. Longer is a unit mistake and
// would leave a service asleep (or a sync put waiting) for days.
constexpr int64_t kDayMs = 24LL * 3600 * 1000;
constexpr int64_t kGiB = 1LL << 30;

const std::vector<Knob>& Table() {
  static const std::vector<Knob> knobs = {
      Text("storePathRootDir", &StoreConfig::storePathRootDir, "a non-empty path", CheckPath, {""}),
      // RocketMQ's several-directory form ("a,b") is not supported.
      Text("storePathCommitLog", &StoreConfig::storePathCommitLog, "empty or one path without ','",
           [](std::string_view p) {
             if (p.empty()) return Status::Ok();
             if (p.find(',') != std::string_view::npos)
               return Status::InvalidArgument("several commit-log directories are not supported");
             return CheckPath(p);
           },
           {"a,b"}),
      // Segment names are 20-digit offsets; 4 KiB to 1 TiB keeps a segment
      // at least a page and mappable.
      Integer("mappedFileSizeCommitLog", &StoreConfig::mappedFileSizeCommitLog, 4096, int64_t{1} << 40),
      // At least one 20-byte unit; at most 100x RocketMQ's 6,000,000 (every
      // queue maps a file this size).
      Integer("mappedFileSizeConsumeQueue", &StoreConfig::mappedFileSizeConsumeQueue, 20, 600000000),
      // An index file is 40 + 4 x maxHashSlotNum + 20 x maxIndexNum bytes:
      // 420 MB by default, at most 10x that (4.2 GB) with these bounds.
      // Entry 0 is never used, so a file needs two entries.
      Integer("maxHashSlotNum", &StoreConfig::maxHashSlotNum, 1, 50000000),
      Integer("maxIndexNum", &StoreConfig::maxIndexNum, 2, 200000000),
      // The write backend's ring holds two of the largest records: 256 MiB
      // (64x RocketMQ's default) keeps it under ~512 MiB.
      Integer("maxMessageSize", &StoreConfig::maxMessageSize, 1, 256LL << 20),
      Text("messageDelayLevel", &StoreConfig::messageDelayLevel,
           "durations such as 1s 5m 2h 1d, separated by single spaces",
           [](std::string_view v) { return StatusOf(ParseDelayLevels(v)); }, {"1s 5x", "1s  5s", "999999999999d"}),
      Choice("flushDiskType", &StoreConfig::flushDiskType,
             std::vector<std::pair<std::string_view, FlushDiskType>>{{"ASYNC_FLUSH", FlushDiskType::kAsyncFlush},
                                                                     {"SYNC_FLUSH", FlushDiskType::kSyncFlush}}),
      Integer("flushIntervalCommitLog", &StoreConfig::flushIntervalCommitLog, 1, kDayMs),
      // Pages: 0 flushes whatever is dirty; any count is safe (a full
      // segment is flushed anyway).
      Integer("flushCommitLogLeastPages", &StoreConfig::flushCommitLogLeastPages, 0, kInt32Max),
      Integer("flushCommitLogThoroughInterval", &StoreConfig::flushCommitLogThoroughInterval, 0, kDayMs),
      Flag("flushCommitLogTimed", &StoreConfig::flushCommitLogTimed),
      Integer("syncFlushTimeout", &StoreConfig::syncFlushTimeout, 1, kDayMs),
      Flag("transientStorePoolEnable", &StoreConfig::transientStorePoolEnable),
      // Read for compatibility; the write backend's ring replaces the pool.
      Integer("transientStorePoolSize", &StoreConfig::transientStorePoolSize, 1, kInt32Max),
      Integer("commitIntervalCommitLog", &StoreConfig::commitIntervalCommitLog, 1, kDayMs),
      Integer("commitCommitLogLeastPages", &StoreConfig::commitCommitLogLeastPages, 0, kInt32Max),
      Integer("commitCommitLogThoroughInterval", &StoreConfig::commitCommitLogThoroughInterval, 0, kDayMs),
      Flag("warmMapedFileEnable", &StoreConfig::warmMapedFileEnable),
      Flag("writeWithoutMmap", &StoreConfig::writeWithoutMmap),
      // One allocation at open: 64 KiB to 1 GiB (raised anyway to hold two
      // of the largest records).
      Integer("appendBufferSize", &StoreConfig::appendBufferSize, 64 << 10, kGiB),
      Choice("flushIoEngine", &StoreConfig::flushIoEngine,
             std::vector<std::pair<std::string_view, FlushIoEngine>>{
                 {"auto", FlushIoEngine::kAuto}, {"io_uring", FlushIoEngine::kIoUring}, {"sync", FlushIoEngine::kSync}}),
      // 0 = off; more than a default segment has nothing left to fault in.
      Integer("prefaultAheadBytes", &StoreConfig::prefaultAheadBytes, 0, kGiB),
      // -1 = unbounded (the kernel decides); 16 TiB is more than any page
      // cache holds.
      Integer("commitLogCacheMb", &StoreConfig::commitLogCacheMb, -1, 16 << 20),
      Integer("flushLeastPagesWhenWarmMapedFile", &StoreConfig::flushLeastPagesWhenWarmMapedFile, 0, kInt32Max),
      Integer("flushIntervalConsumeQueue", &StoreConfig::flushIntervalConsumeQueue, 1, kDayMs),
      Integer("flushConsumeQueueLeastPages", &StoreConfig::flushConsumeQueueLeastPages, 0, kInt32Max),
      Integer("flushConsumeQueueThoroughInterval", &StoreConfig::flushConsumeQueueThoroughInterval, 0, kDayMs),
      Flag("checkCRCOnRecover", &StoreConfig::checkCRCOnRecover),
      Integer("osPageCacheBusyTimeOutMills", &StoreConfig::osPageCacheBusyTimeOutMills, 1, kDayMs),
      Flag("useReentrantLockWhenPutMessage", &StoreConfig::useReentrantLockWhenPutMessage),
      Flag("duplicationEnable", &StoreConfig::duplicationEnable),
      Flag("autoMessageVersionOnTopicLen", &StoreConfig::autoMessageVersionOnTopicLen),
      // A topic is a directory name: 255 bytes at most.
      Integer("maxTopicLength", &StoreConfig::maxTopicLength, 1, 255),
      Choice("recoveryCorruptionPolicy", &StoreConfig::recoveryCorruptionPolicy,
             std::vector<std::pair<std::string_view, RecoveryCorruptionPolicy>>{
                 {"refuse", RecoveryCorruptionPolicy::kRefuse},
                 {"truncate", RecoveryCorruptionPolicy::kTruncate},
                 {"skip", RecoveryCorruptionPolicy::kSkip}}),
      Choice("brokerRole", &StoreConfig::brokerRole,
             std::vector<std::pair<std::string_view, BrokerRole>>{{"ASYNC_MASTER", BrokerRole::kAsyncMaster},
                                                                  {"SYNC_MASTER", BrokerRole::kSyncMaster},
                                                                  {"SLAVE", BrokerRole::kSlave}}),
      Integer("haListenPort", &StoreConfig::haListenPort, 0, 65535),
      Text("haMasterAddress", &StoreConfig::haMasterAddress, "empty or host:port",
           [](std::string_view v) { return CheckHostPort(v); }, {"host", ":10912", "host:99999"}),
      // A RocketMQ slave reads into a 4 MiB buffer: a bigger frame would
      // never fit it.
      Integer("haTransferBatchSize", &StoreConfig::haTransferBatchSize, 1, 4 << 20),
      Integer("haSendHeartbeatInterval", &StoreConfig::haSendHeartbeatInterval, 1, kDayMs),
      Integer("haHousekeepingInterval", &StoreConfig::haHousekeepingInterval, 1, kDayMs),
      Integer("haSlaveFallbehindMax", &StoreConfig::haSlaveFallbehindMax, 1, kInt32Max),
      Integer("slaveTimeout", &StoreConfig::slaveTimeout, 1, kDayMs),
      Flag("haServiceEnable", &StoreConfig::haServiceEnable),
      Flag("haTransferWholeHistory", &StoreConfig::haTransferWholeHistory),
      Choice("haDivergencePolicy", &StoreConfig::haDivergencePolicy,
             std::vector<std::pair<std::string_view, HaDivergencePolicy>>{{"refuse", HaDivergencePolicy::kRefuse},
                                                                          {"truncate", HaDivergencePolicy::kTruncate}}),
      Flag("dispatchOnOwnThread", &StoreConfig::dispatchOnOwnThread),
      Flag("tagBitmapEnable", &StoreConfig::tagBitmapEnable),
      // Bitmaps kept per queue: 0 = none; 4096 bounds their memory.
      Integer("tagBitmapMaxTags", &StoreConfig::tagBitmapMaxTags, 0, 4096),
      // A week at most: the table is rebuilt at open from the log's records
      // of the window, and a longer one is a unit mistake.
      Integer("dedupWindowSeconds", &StoreConfig::dedupWindowSeconds, 0, 7 * 86400),
      // About 77 bytes a key, mapped at open: 100 million is ~9 GB, the most
      // that makes sense.
      Integer("dedupMaxEntries", &StoreConfig::dedupMaxEntries, 1, 100000000),
      Text("dedupKeyProperty", &StoreConfig::dedupKeyProperty, "a property name without separator bytes",
           CheckPropertyName, {""}),
      Flag("scheduleRewriteInStore", &StoreConfig::scheduleRewriteInStore),
      Flag("scheduleMessageServiceEnable", &StoreConfig::scheduleMessageServiceEnable),
      Integer("flushDelayOffsetInterval", &StoreConfig::flushDelayOffsetInterval, 1, kDayMs),
      Flag("timerWheelEnable", &StoreConfig::timerWheelEnable),
      // A slot per precision step: 1 ms to an hour (the wheel holds 7 days
      // of slots at any precision; changing it re-reads an existing wheel
      // with other slots, as in RocketMQ).
      Integer("timerPrecisionMs", &StoreConfig::timerPrecisionMs, 1, 3600 * 1000),
      // Room for a unit and the 16-byte filler; at most 4 GiB per file.
      Integer("mappedFileSizeTimerLog", &StoreConfig::mappedFileSizeTimerLog, 68, 4 * kGiB),
      // RocketMQ clamps it into [2, slotsTotal - 60]; out of that is refused here.
      Integer("timerRollWindowSlot", &StoreConfig::timerRollWindowSlot, 2, 7 * 86400 - 60),
      // At most the wheel's 7 days of slots at 1 s precision.
      Integer("timerMaxDelaySec", &StoreConfig::timerMaxDelaySec, 1, 7 * 86400),
      Integer("timerFlushIntervalMs", &StoreConfig::timerFlushIntervalMs, 1, kDayMs),
      Integer("timerCongestNumEachSlot", &StoreConfig::timerCongestNumEachSlot, 1, kInt32Max),
      Flag("timerSkipUnknownError", &StoreConfig::timerSkipUnknownError),
      Flag("timerStopEnqueue", &StoreConfig::timerStopEnqueue),
      Flag("timerStopDequeue", &StoreConfig::timerStopDequeue),
      Flag("timerEnableRetryUntilSuccess", &StoreConfig::timerEnableRetryUntilSuccess),
      Integer("transactionTimeOut", &StoreConfig::transactionTimeOut, 0, kDayMs),
      // Past this many checks a half is discarded; 0 discards at the first.
      Integer("transactionCheckMax", &StoreConfig::transactionCheckMax, 0, 10000),
      Integer("transactionCheckInterval", &StoreConfig::transactionCheckInterval, 1, kDayMs),
      Flag("transactionCheckEnable", &StoreConfig::transactionCheckEnable),
      Flag("transactionOpBatchEnable", &StoreConfig::transactionOpBatchEnable),
      // Characters of a batched op body; 1 MiB keeps one op record small.
      Integer("transactionOpMsgMaxSize", &StoreConfig::transactionOpMsgMaxSize, 1, 1 << 20),
      Integer("transactionOpBatchInterval", &StoreConfig::transactionOpBatchInterval, 1, kDayMs),
      Flag("rejectTransactionMessage", &StoreConfig::rejectTransactionMessage),
      Flag("messageIndexEnable", &StoreConfig::messageIndexEnable),
      Flag("messageIndexSafe", &StoreConfig::messageIndexSafe),
      // Results of one query (a vector of offsets), so bounded.
      Integer("maxMsgsNumBatch", &StoreConfig::maxMsgsNumBatch, 1, 65536),
      Integer("defaultQueryMaxNum", &StoreConfig::defaultQueryMaxNum, 1, 65536),
      // One pull's batch: at least one message, at most 1 GiB / 65536 messages.
      Integer("maxTransferBytesOnMessageInMemory", &StoreConfig::maxTransferBytesOnMessageInMemory, 1, kGiB),
      Integer("maxTransferCountOnMessageInMemory", &StoreConfig::maxTransferCountOnMessageInMemory, 1, 65536),
      Integer("maxTransferBytesOnMessageInDisk", &StoreConfig::maxTransferBytesOnMessageInDisk, 1, kGiB),
      Integer("maxTransferCountOnMessageInDisk", &StoreConfig::maxTransferCountOnMessageInDisk, 1, 65536),
      Integer("accessMessageInMemoryMaxRatio", &StoreConfig::accessMessageInMemoryMaxRatio, 0, 100),
      // Hours; 0 = expired at once. 100 years stands for "forever".
      Integer("fileReservedTime", &StoreConfig::fileReservedTime, 0, 24 * 365 * 100),
      Text("deleteWhen", &StoreConfig::deleteWhen, "hours 0-23 separated by ';'",
           [](std::string_view v) { return StatusOf(ParseDeleteWhen(v)); }, {"25", "4;x", "-1"}),
      // Percentages; CleanupPolicy clamps them further as RocketMQ does.
      Integer("diskMaxUsedSpaceRatio", &StoreConfig::diskMaxUsedSpaceRatio, 0, 100),
      Integer("cleanResourceInterval", &StoreConfig::cleanResourceInterval, 1, kDayMs),
      Integer("deleteCommitLogFilesInterval", &StoreConfig::deleteCommitLogFilesInterval, 0, kDayMs),
      Integer("deleteConsumeQueueFilesInterval", &StoreConfig::deleteConsumeQueueFilesInterval, 0, kDayMs),
      Integer("destroyMapedFileIntervalForcibly", &StoreConfig::destroyMapedFileIntervalForcibly, 0, kDayMs),
      Integer("redeleteHangedFileInterval", &StoreConfig::redeleteHangedFileInterval, 0, kDayMs),
      Flag("cleanFileForciblyEnable", &StoreConfig::cleanFileForciblyEnable),
      Integer("diskSpaceWarningLevelRatio", &StoreConfig::diskSpaceWarningLevelRatio, 0, 100),
      Integer("diskSpaceCleanForciblyRatio", &StoreConfig::diskSpaceCleanForciblyRatio, 0, 100),
      Integer("deleteFileBatchMax", &StoreConfig::deleteFileBatchMax, 1, kInt32Max),
      Integer("manualDeleteFileSeveralTimes", &StoreConfig::manualDeleteFileSeveralTimes, 1, kInt32Max),
      // Bytes; 0 = off.
      Integer("maxStoreSizeBytes", &StoreConfig::maxStoreSizeBytes, 0, kInt64Max),
  };
  return knobs;
}

const Knob* FindKnob(std::string_view key) {
  for (const Knob& k : Table())
    if (k.info.name == key) return &k;
  return nullptr;
}

// One logical line of a .properties file split into key and value (Java
// Properties.load: the key ends at the first unescaped '=', ':' or blank).
void SplitKeyValue(std::string_view line, std::string& key, std::string& value) {
  key.clear();
  value.clear();
  size_t i = 0;
  for (; i < line.size(); ++i) {
    const char c = line[i];
    if (c == '\\' && i + 1 < line.size()) {
      key += line[++i];
      continue;
    }
    if (c == '=' || c == ':' || c == ' ' || c == '\t' || c == '\f') break;
    key += c;
  }
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\f')) ++i;
  if (i < line.size() && (line[i] == '=' || line[i] == ':')) ++i;
  std::string_view rest = Trim(line.substr(i));
  for (size_t j = 0; j < rest.size(); ++j) {
    if (rest[j] == '\\' && j + 1 < rest.size()) {
      const char e = rest[++j];
      value += e == 't' ? '\t' : e == 'n' ? '\n' : e == 'r' ? '\r' : e;
    } else {
      value += rest[j];
    }
  }
}

// A line continues on the next when it ends in an odd number of backslashes.
bool Continues(std::string_view line) {
  size_t n = 0;
  while (n < line.size() && line[line.size() - 1 - n] == '\\') ++n;
  return n % 2 == 1;
}

}  // namespace

std::string StoreConfig::DefaultRootDir() {
  const char* home = std::getenv("HOME");
  return JoinPath(home != nullptr && *home != '\0' ? home : ".", "store");
}

bool StoreConfig::UsesWriteBackend() const {
  if (transientStorePoolEnable) return true;
  return writeWithoutMmap.value_or(flushDiskType == FlushDiskType::kSyncFlush);
}

std::string StoreConfig::CommitLogDir() const {
  return storePathCommitLog.empty() ? JoinPath(storePathRootDir, "commitlog") : storePathCommitLog;
}

int64_t StoreConfig::ConsumeQueueFileSize() const {
  return (mappedFileSizeConsumeQueue + 19) / 20 * 20;
}

Status StoreConfig::Set(std::string_view key, std::string_view value) {
  const Knob* k = FindKnob(key);
  if (k == nullptr) return Status::NotFound(std::string(key) + ": not a store setting");
  value = Trim(value);
  StoreConfig next = *this;  // a refused value changes nothing
  MQ_RETURN_IF_ERROR(k->assign(next, value));
  if (std::string problem = k->problem(next); !problem.empty()) return Refused(k->info, value, problem);
  *this = std::move(next);
  return Status::Ok();
}

Status StoreConfig::Assign(std::string_view key, std::string_view value) {
  const Knob* k = FindKnob(key);
  if (k == nullptr) return Status::NotFound(std::string(key) + ": not a store setting");
  return k->assign(*this, Trim(value));
}

Result<std::string> StoreConfig::Get(std::string_view key) const {
  const Knob* k = FindKnob(key);
  if (k == nullptr) return Status::NotFound(std::string(key) + ": not a store setting");
  return k->show(*this);
}

Status StoreConfig::Validate() const {
  std::string errors;
  for (const Knob& k : Table())
    if (std::string problem = k.problem(*this); !problem.empty())
      errors += (errors.empty() ? "" : "; ") + Refused(k.info, k.show(*this), problem).message();
  if (!errors.empty()) return Status::InvalidArgument(errors);
  return Status::Ok();
}

const std::vector<KnobInfo>& StoreConfig::Knobs() {
  static const std::vector<KnobInfo> infos = [] {
    std::vector<KnobInfo> out;
    for (const Knob& k : Table()) out.push_back(k.info);
    return out;
  }();
  return infos;
}

Status StoreConfig::LoadProperties(std::string_view text, const std::string& source,
                                   std::vector<std::string>* ignored_keys) {
  StoreConfig next = *this;  // all or nothing
  std::istringstream in{std::string(text)};
  std::string raw, logical, key, value;
  int line_no = 0, start_line = 0;
  while (std::getline(in, raw)) {
    ++line_no;
    std::string_view line = Trim(raw);
    if (logical.empty()) {
      if (line.empty() || line.front() == '#' || line.front() == '!') continue;
      start_line = line_no;
    }
    if (Continues(line)) {
      logical.append(line.substr(0, line.size() - 1));
      continue;
    }
    logical.append(line);
    SplitKeyValue(logical, key, value);
    logical.clear();
    Status st = next.Set(key, value);
    if (st.code() == StatusCode::kNotFound) {
      if (ignored_keys != nullptr) ignored_keys->push_back(key);
      continue;
    }
    if (!st.ok()) return st.WithContext(source + ":" + std::to_string(start_line));
  }
  *this = std::move(next);
  return Status::Ok();
}

Status StoreConfig::LoadPropertiesFile(const std::string& path, std::vector<std::string>* ignored_keys) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("cannot read config file " + path);
  std::stringstream text;
  text << in.rdbuf();
  return LoadProperties(text.str(), path, ignored_keys);
}

}  // namespace mqstore
