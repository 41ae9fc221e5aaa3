#include "storage/store_config.h"

#include <charconv>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>

#include "storage/io/file_system.h"

namespace mqstore {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\f')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\f' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

using Setter = std::function<Status(StoreConfig&, std::string_view)>;

Status BadValue(std::string_view value, const char* want) {
  return Status::InvalidArgument("'" + std::string(value) + "' is not " + want);
}

template <typename T>
Setter Number(T StoreConfig::*field) {
  return [field](StoreConfig& c, std::string_view v) -> Status {
    T parsed{};
    if (!v.empty() && v.front() == '+') v.remove_prefix(1);
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), parsed);
    if (ec != std::errc() || end != v.data() + v.size() || v.empty()) return BadValue(v, "an integer in range");
    c.*field = parsed;
    return Status::Ok();
  };
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

Setter Flag(bool StoreConfig::*field) {
  return [field](StoreConfig& c, std::string_view v) -> Status {
    if (EqualsIgnoreCase(v, "true")) c.*field = true;
    else if (EqualsIgnoreCase(v, "false")) c.*field = false;
    else return BadValue(v, "true or false");
    return Status::Ok();
  };
}

Setter OptionalFlag(std::optional<bool> StoreConfig::*field) {
  return [field](StoreConfig& c, std::string_view v) -> Status {
    if (EqualsIgnoreCase(v, "true")) c.*field = true;
    else if (EqualsIgnoreCase(v, "false")) c.*field = false;
    else return BadValue(v, "true or false");
    return Status::Ok();
  };
}

Setter Text(std::string StoreConfig::*field) {
  return [field](StoreConfig& c, std::string_view v) -> Status {
    c.*field = std::string(v);
    return Status::Ok();
  };
}

template <typename E>
Setter Choice(E StoreConfig::*field, std::vector<std::pair<std::string_view, E>> names) {
  return [field, names](StoreConfig& c, std::string_view v) -> Status {
    for (const auto& [name, value] : names)
      if (v == name) {
        c.*field = value;
        return Status::Ok();
      }
    std::string want = "one of";
    for (const auto& [name, value] : names) want += " " + std::string(name);
    return BadValue(v, want.c_str());
  };
}

#define MQ_KNOB(name, kind) {#name, kind(&StoreConfig::name)}

const std::vector<std::pair<std::string_view, Setter>>& Knobs() {
  static const std::vector<std::pair<std::string_view, Setter>> knobs = {
      MQ_KNOB(storePathRootDir, Text),
      MQ_KNOB(storePathCommitLog, Text),
      MQ_KNOB(mappedFileSizeCommitLog, Number),
      MQ_KNOB(mappedFileSizeConsumeQueue, Number),
      MQ_KNOB(maxHashSlotNum, Number),
      MQ_KNOB(maxIndexNum, Number),
      MQ_KNOB(maxMessageSize, Number),
      MQ_KNOB(messageDelayLevel, Text),
      {"flushDiskType", Choice(&StoreConfig::flushDiskType, std::vector<std::pair<std::string_view, FlushDiskType>>{
                                                                {"ASYNC_FLUSH", FlushDiskType::kAsyncFlush},
                                                                {"SYNC_FLUSH", FlushDiskType::kSyncFlush}})},
      MQ_KNOB(flushIntervalCommitLog, Number),
      MQ_KNOB(flushCommitLogLeastPages, Number),
      MQ_KNOB(flushCommitLogThoroughInterval, Number),
      MQ_KNOB(flushCommitLogTimed, Flag),
      MQ_KNOB(syncFlushTimeout, Number),
      MQ_KNOB(transientStorePoolEnable, Flag),
      MQ_KNOB(transientStorePoolSize, Number),
      MQ_KNOB(commitIntervalCommitLog, Number),
      MQ_KNOB(commitCommitLogLeastPages, Number),
      MQ_KNOB(commitCommitLogThoroughInterval, Number),
      MQ_KNOB(warmMapedFileEnable, Flag),
      MQ_KNOB(writeWithoutMmap, OptionalFlag),
      MQ_KNOB(appendBufferSize, Number),
      {"flushIoEngine", Choice(&StoreConfig::flushIoEngine, std::vector<std::pair<std::string_view, FlushIoEngine>>{
                                                                {"auto", FlushIoEngine::kAuto},
                                                                {"io_uring", FlushIoEngine::kIoUring},
                                                                {"sync", FlushIoEngine::kSync}})},
      MQ_KNOB(prefaultAheadBytes, Number),
      MQ_KNOB(flushLeastPagesWhenWarmMapedFile, Number),
      MQ_KNOB(flushIntervalConsumeQueue, Number),
      MQ_KNOB(flushConsumeQueueLeastPages, Number),
      MQ_KNOB(flushConsumeQueueThoroughInterval, Number),
      MQ_KNOB(checkCRCOnRecover, Flag),
      MQ_KNOB(osPageCacheBusyTimeOutMills, Number),
      MQ_KNOB(useReentrantLockWhenPutMessage, Flag),
      MQ_KNOB(duplicationEnable, Flag),
      MQ_KNOB(autoMessageVersionOnTopicLen, Flag),
      MQ_KNOB(maxTopicLength, Number),
      {"recoveryCorruptionPolicy",
       Choice(&StoreConfig::recoveryCorruptionPolicy,
              std::vector<std::pair<std::string_view, RecoveryCorruptionPolicy>>{
                  {"refuse", RecoveryCorruptionPolicy::kRefuse},
                  {"truncate", RecoveryCorruptionPolicy::kTruncate},
                  {"skip", RecoveryCorruptionPolicy::kSkip}})},
      {"brokerRole", Choice(&StoreConfig::brokerRole, std::vector<std::pair<std::string_view, BrokerRole>>{
                                                          {"ASYNC_MASTER", BrokerRole::kAsyncMaster},
                                                          {"SYNC_MASTER", BrokerRole::kSyncMaster},
                                                          {"SLAVE", BrokerRole::kSlave}})},
      MQ_KNOB(dispatchOnOwnThread, Flag),
      MQ_KNOB(tagBitmapEnable, Flag),
      MQ_KNOB(tagBitmapMaxTags, Number),
      MQ_KNOB(messageIndexEnable, Flag),
      MQ_KNOB(messageIndexSafe, Flag),
      MQ_KNOB(maxMsgsNumBatch, Number),
      MQ_KNOB(defaultQueryMaxNum, Number),
      MQ_KNOB(maxTransferBytesOnMessageInMemory, Number),
      MQ_KNOB(maxTransferCountOnMessageInMemory, Number),
      MQ_KNOB(maxTransferBytesOnMessageInDisk, Number),
      MQ_KNOB(maxTransferCountOnMessageInDisk, Number),
      MQ_KNOB(accessMessageInMemoryMaxRatio, Number),
      MQ_KNOB(fileReservedTime, Number),
      MQ_KNOB(deleteWhen, Text),
      MQ_KNOB(diskMaxUsedSpaceRatio, Number),
      MQ_KNOB(cleanResourceInterval, Number),
      MQ_KNOB(deleteCommitLogFilesInterval, Number),
      MQ_KNOB(deleteConsumeQueueFilesInterval, Number),
      MQ_KNOB(destroyMapedFileIntervalForcibly, Number),
      MQ_KNOB(redeleteHangedFileInterval, Number),
      MQ_KNOB(cleanFileForciblyEnable, Flag),
      MQ_KNOB(diskSpaceWarningLevelRatio, Number),
      MQ_KNOB(diskSpaceCleanForciblyRatio, Number),
      MQ_KNOB(deleteFileBatchMax, Number),
      MQ_KNOB(manualDeleteFileSeveralTimes, Number),
      MQ_KNOB(maxStoreSizeBytes, Number),
  };
  return knobs;
}

#undef MQ_KNOB

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
  for (const auto& [name, setter] : Knobs())
    if (name == key) {
      Status st = setter(*this, Trim(value));
      return st.ok() ? st : st.WithContext(key);
    }
  return Status::NotFound(std::string(key) + ": not a store setting");
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
