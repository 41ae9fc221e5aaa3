#include "storage/timer/delay_offset_table.h"

#include <optional>
#include <vector>

#include "storage/io/config_file.h"
#include "storage/store_log.h"

namespace mqstore {

DelayOffsetTable::DelayOffsetTable(FileSystem& fs, Clock& clock, std::string path, int64_t version_step)
    : fs_(fs), clock_(clock), path_(std::move(path)), version_step_(version_step > 0 ? version_step : 1) {
  table_.data_version = DelayOffsetDataVersion{0, 0, clock_.WallMillis()};
}

Status DelayOffsetTable::Load() {
  auto read = LoadConfigFileOrBackup<DelayOffsetFile>(
      fs_, path_, kMaxConfigFileBytes, "a delay offset table", ParseDelayOffsetJson,
      "the delay levels' progress is lost, so their delivery does not start (remove both files to deliver every "
      "message still in SCHEDULE_TOPIC_XXXX again, from each queue's start)");
  if (!read.ok()) return read.error();
  if (!read->problem.empty())
    StoreLog(LogLevel::kWarn, path_ + ": " + read->problem + "; delay level progress loaded from " + read->from);
  DelayOffsetFile& loaded = read->value;
  loaded_from_ = read->from;  // empty for a new store: every level from its queue's start
  std::lock_guard lock(mu_);
  table_.offset_table = std::move(loaded.offset_table);
  if (loaded.data_version) table_.data_version = loaded.data_version;
  file_written_ = loaded_from_ == path_;
  dirty_ = !file_written_;  // a .bak or nothing: the file is written at the first persist
  return Status::Ok();
}

int64_t DelayOffsetTable::Get(int32_t level) const {
  std::lock_guard lock(mu_);
  auto it = table_.offset_table.find(level);
  return it == table_.offset_table.end() ? 0 : it->second;
}

void DelayOffsetTable::Set(int32_t level, int64_t offset) {
  std::lock_guard lock(mu_);
  auto [it, added] = table_.offset_table.try_emplace(level, offset);
  if (!added) {
    if (it->second == offset) return;
    it->second = offset;
  }
  dirty_ = true;
  if (++updates_ % version_step_ == 0) {
    DelayOffsetDataVersion& v = *table_.data_version;
    ++v.counter;
    v.timestamp = clock_.WallMillis();
  }
}

bool DelayOffsetTable::Clamp(int32_t level, int64_t min, int64_t max) {
  const int64_t offset = Get(level);
  if (offset >= min && offset <= max) return false;
  const int64_t corrected = offset < min ? min : max;
  StoreLog(LogLevel::kWarn, path_ + ": level " + std::to_string(level) + " offset " + std::to_string(offset) +
                                " is outside its queue's [" + std::to_string(min) + ", " + std::to_string(max) +
                                "]; corrected to " + std::to_string(corrected));
  Set(level, corrected);
  return true;
}

bool DelayOffsetTable::dirty() const {
  std::lock_guard lock(mu_);
  return dirty_ || !file_written_;
}

DelayOffsetFile DelayOffsetTable::Snapshot() const {
  std::lock_guard lock(mu_);
  return table_;
}

Status DelayOffsetTable::Persist() {
  std::lock_guard persist(persist_mu_);
  DelayOffsetFile snapshot;
  {
    std::lock_guard lock(mu_);
    if (!dirty_ && file_written_) return Status::Ok();
    snapshot = table_;
    dirty_ = false;
  }
  // Only a <f> that parses becomes the .bak: a damaged one never replaces a good .bak.
  Status st = PersistConfigFile(fs_, path_, WriteDelayOffsetJson(snapshot), [](std::string_view current) {
    return !current.empty() && ParseDelayOffsetJson(current).ok();
  });
  std::lock_guard lock(mu_);
  if (!st.ok()) {
    dirty_ = true;  // the next persist tries again
    return st.WithContext("persisting " + path_);
  }
  file_written_ = true;
  return Status::Ok();
}

}  // namespace mqstore
