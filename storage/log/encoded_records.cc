#include "storage/log/encoded_records.h"

#include <algorithm>

namespace mqstore {

uint32_t EncodedRecords::QueueIndex(std::string_view topic, int32_t queue_id) {
  // A slot's timers usually go to a few queues: the last one is tried first.
  if (!queues.empty() && queues.back().queue_id == queue_id && queues.back().topic == topic)
    return static_cast<uint32_t>(queues.size() - 1);
  key_.assign(topic);
  key_ += '\0';
  key_ += std::to_string(queue_id);
  auto [it, added] = index_.try_emplace(key_, static_cast<uint32_t>(queues.size()));
  if (added) queues.push_back(Queue{std::string(topic), queue_id});
  return it->second;
}

void EncodedRecords::AddRecord(size_t at, std::string_view topic, int32_t queue_id) {
  records.push_back(Record{at, static_cast<uint32_t>(bytes.size() - at), QueueIndex(topic, queue_id)});
}

void EncodedRecords::Clear() {
  bytes.clear();
  records.clear();
  queues.clear();
  index_.clear();
}

}  // namespace mqstore
