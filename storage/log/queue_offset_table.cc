#include "storage/log/queue_offset_table.h"

#include <algorithm>

namespace mqstore {

int64_t& QueueOffsetTable::At(std::string_view topic, int32_t queue_id) {
  auto it = map_.find(KeyView{topic, queue_id});
  if (it != map_.end()) return it->second;
  return map_.emplace(Key{std::string(topic), queue_id}, 0).first->second;
}

int64_t QueueOffsetTable::Get(std::string_view topic, int32_t queue_id) const {
  auto it = map_.find(KeyView{topic, queue_id});
  return it == map_.end() ? 0 : it->second;
}

void QueueOffsetTable::Raise(std::string_view topic, int32_t queue_id, int64_t next) {
  int64_t& v = At(topic, queue_id);
  v = std::max(v, next);
}

std::vector<QueueOffsetTable::Entry> QueueOffsetTable::Entries() const {
  std::vector<Entry> out;
  out.reserve(map_.size());
  for (const auto& [k, v] : map_) out.push_back({k.topic, k.queue_id, v});
  std::sort(out.begin(), out.end(),
            [](const Entry& a, const Entry& b) { return std::tie(a.topic, a.queue_id) < std::tie(b.topic, b.queue_id); });
  return out;
}

}  // namespace mqstore
