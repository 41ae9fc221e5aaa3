// EncodedRecords: commit-log records encoded ahead of their append, of any
// topics and queues, for CommitLog::AppendRecords. The timer store builds a
// slot's outgoing records before the slot is due (CommitLog::EncodeTo, so
// they are byte for byte what Put would store) and appends them in a few
// short holds of the put lock once it is.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace mqstore {

struct EncodedRecords {
  struct Record {
    size_t at = 0;       // where its TOTALSIZE starts in `bytes`
    uint32_t size = 0;   // TOTALSIZE
    uint32_t queue = 0;  // index into `queues`
  };
  struct Queue {
    std::string topic;
    int32_t queue_id = 0;
  };

  std::vector<uint8_t> bytes;  // the records back to back, in append order
  std::vector<Record> records;
  std::vector<Queue> queues;   // the distinct (topic, queue id) of the records

  // The index of (topic, queue_id) in `queues`, added when new.
  uint32_t QueueIndex(std::string_view topic, int32_t queue_id);
  // Records `bytes.size() - at` bytes from `at` on as the next record (what
  // CommitLog::EncodeTo just appended to `bytes`).
  void AddRecord(size_t at, std::string_view topic, int32_t queue_id);
  // Keeps the records for which keep(i) is true, in order.
  template <typename Keep>
  void RetainIf(Keep keep);
  void Clear();

 private:
  std::unordered_map<std::string, uint32_t> index_;  // topic + '\0' + queue id
  std::string key_;                                  // QueueIndex's, reused
};

template <typename Keep>
void EncodedRecords::RetainIf(Keep keep) {
  size_t out = 0, to = 0;
  for (size_t i = 0; i < records.size(); ++i) {
    if (!keep(i)) continue;
    Record r = records[i];
    if (r.at != to) std::memmove(bytes.data() + to, bytes.data() + r.at, r.size);  // to <= r.at
    r.at = to;
    to += r.size;
    records[out++] = r;
  }
  records.resize(out);
  bytes.resize(to);
}

}  // namespace mqstore
