// QueueOffsetTable: the next queue offset of every topic/queue (RocketMQ's
// topicQueueTable, keyed "topic-queueId"). The put path reads and advances
// it under the put lock; recovery rebuilds it. Lookups take the topic as a
// string_view, so a put of a known queue allocates nothing.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace mqstore {

class QueueOffsetTable {
 public:
  // The next offset of (topic, queue_id), creating it at 0.
  int64_t& At(std::string_view topic, int32_t queue_id);
  // The next offset, or 0 for a queue never seen.
  int64_t Get(std::string_view topic, int32_t queue_id) const;
  // Raises the next offset to at least `next`.
  void Raise(std::string_view topic, int32_t queue_id, int64_t next);
  size_t size() const { return map_.size(); }
  void Clear() { map_.clear(); }

  struct Entry {
    std::string topic;
    int32_t queue_id;
    int64_t next_offset;
  };
  std::vector<Entry> Entries() const;  // sorted by topic, then queue id

 private:
  struct Key {
    std::string topic;
    int32_t queue_id;
  };
  struct KeyView {
    std::string_view topic;
    int32_t queue_id;
  };
  struct Hash {
    using is_transparent = void;
    size_t operator()(const KeyView& k) const {
      return std::hash<std::string_view>()(k.topic) * 31 + static_cast<size_t>(k.queue_id);
    }
    size_t operator()(const Key& k) const { return (*this)(KeyView{k.topic, k.queue_id}); }
  };
  struct Eq {
    using is_transparent = void;
    static KeyView View(const Key& k) { return {k.topic, k.queue_id}; }
    static KeyView View(const KeyView& k) { return k; }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return View(a).queue_id == View(b).queue_id && View(a).topic == View(b).topic;
    }
  };
  std::unordered_map<Key, int64_t, Hash, Eq> map_;
};

}  // namespace mqstore
