#include "storage/transaction/consumer_offset_table.h"

#include "storage/io/config_file.h"
#include "storage/store_log.h"

namespace mqstore {

namespace {

// The file, else its .bak, else nothing (both missing); an error when
// neither parses and one exists.
Result<LoadedConfig<ConsumerOffsetFile>> ReadFileOrBackup(FileSystem& fs, const std::string& path) {
  return LoadConfigFileOrBackup<ConsumerOffsetFile>(
      fs, path, kMaxConsumerOffsetFileBytes, "a consumer offset table", ParseConsumerOffsetJson,
      "the consumer offsets (and the transaction check's progress) are lost; repair one file, or remove both to "
      "check every half message again from the queue's start");
}

}  // namespace

ConsumerOffsetTable::ConsumerOffsetTable(FileSystem& fs, std::string path) : fs_(fs), path_(std::move(path)) {}

Status ConsumerOffsetTable::Load() {
  auto read = ReadFileOrBackup(fs_, path_);
  if (!read.ok()) return read.error();
  if (!read->problem.empty())
    StoreLog(LogLevel::kWarn, path_ + ": " + read->problem + "; consumer offsets read from " + read->from);
  std::lock_guard lock(mu_);
  table_ = std::move(read->value.offset_table);
  loaded_from_ = read->from;
  return Status::Ok();
}

std::optional<int64_t> ConsumerOffsetTable::Get(const std::string& key, int32_t queue_id) const {
  std::lock_guard lock(mu_);
  auto it = table_.find(key);
  if (it == table_.end()) return std::nullopt;
  auto q = it->second.find(queue_id);
  if (q == it->second.end()) return std::nullopt;
  return q->second;
}

void ConsumerOffsetTable::Set(const std::string& key, int32_t queue_id, int64_t offset) {
  std::lock_guard lock(mu_);
  int64_t& now = table_[key][queue_id];
  std::map<int32_t, int64_t>& owned = owned_[key];
  auto [it, added] = owned.try_emplace(queue_id, offset);
  if (!added && it->second == offset && now == offset) return;
  it->second = offset;
  now = offset;
  dirty_ = true;
}

bool ConsumerOffsetTable::dirty() const {
  std::lock_guard lock(mu_);
  return dirty_;
}

Status ConsumerOffsetTable::Persist() {
  std::lock_guard persist(persist_mu_);
  std::map<std::string, std::map<int32_t, int64_t>> owned;
  {
    std::lock_guard lock(mu_);
    if (!dirty_) return Status::Ok();
    owned = owned_;
    dirty_ = false;
  }
  // The broker's entries as they are now, not as they were at open.
  auto current = ReadFileOrBackup(fs_, path_);
  Status st = current.ok() ? Status::Ok() : current.error();
  if (st.ok()) {
    ConsumerOffsetFile file = std::move(current->value);
    for (const auto& [key, queues] : owned)
      for (const auto& [qid, offset] : queues) file.offset_table[key][qid] = offset;
    st = PersistConfigFile(
        fs_, path_, WriteConsumerOffsetJson(file),
        [](std::string_view text) { return !text.empty() && ParseConsumerOffsetJson(text).ok(); },
        kMaxConsumerOffsetFileBytes);
    if (st.ok()) {
      std::lock_guard lock(mu_);
      for (auto& [key, queues] : file.offset_table)
        if (owned_.count(key) == 0) table_[key] = queues;  // refresh the broker's entries
    }
  }
  if (!st.ok()) {
    std::lock_guard lock(mu_);
    dirty_ = true;
    return st.WithContext("persisting " + path_);
  }
  return Status::Ok();
}

}  // namespace mqstore
