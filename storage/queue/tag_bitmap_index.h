// TagBitmapIndex: for one consume queue, the queue offsets of each tagsCode
// as a CRoaring bitmap, so a pull filtered by a rare tag jumps straight to
// the next matching unit instead of reading 20-byte units one by one.
// RocketMQ has no such index (it scans units and compares tagsCode).
//
// Bounded: at most `max_tags` distinct tagsCodes are tracked per queue (the
// first ones seen since the queue's min offset). A tag that is not tracked
// answers kUnknown and the caller scans, so the index never gives a wrong
// answer, only sometimes none. Queue offsets are 64-bit (Roaring64Map).
// Thread-safe: one writer (the dispatcher), many readers.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <span>
#include <unordered_map>

class Roaring64Map;  // CRoaring's C++ 64-bit bitmap (global namespace in 0.2)

namespace mqstore {

class TagBitmapIndex {
 public:
  explicit TagBitmapIndex(size_t max_tags = 64);
  ~TagBitmapIndex();
  TagBitmapIndex(const TagBitmapIndex&) = delete;
  TagBitmapIndex& operator=(const TagBitmapIndex&) = delete;

  // Records that unit `queue_offset` carries `tags_code`. Offsets come in
  // increasing order, but for a unit rewritten at open (ConsumeQueue::RefreshUnit).
  void Add(int64_t queue_offset, int64_t tags_code);
  // The same for several, under one lock (the dispatcher adds a batch's
  // units of a queue together).
  struct Tagged {
    int64_t queue_offset;
    int64_t tags_code;
  };
  void AddAll(std::span<const Tagged> units);
  // Forgets everything (before a rebuild) and sets the offset from which
  // the index is complete.
  void Reset(int64_t complete_from);
  // Drops offsets below `queue_offset` (the queue's min offset moved).
  void TrimBelow(int64_t queue_offset);

  struct Lookup {
    enum class Kind : uint8_t { kFound, kNone, kUnknown } kind = Kind::kUnknown;
    int64_t queue_offset = 0;  // kFound
  };
  // The first offset in [from, limit) carrying `tags_code`. kNone only when
  // the index saw every unit of [from, limit); kUnknown when `from` is below
  // what it covers (before a Reset point or trimmed), the tag is not tracked
  // after an overflow, or `limit` is past the last unit added and no match
  // came before it.
  Lookup NextWithTag(int64_t tags_code, int64_t from, int64_t limit) const;

  size_t tracked_tags() const;
  size_t MemoryBytes() const;  // of the bitmaps, as CRoaring reports it

 private:
  void AddLocked(int64_t queue_offset, int64_t tags_code);  // mu_ held exclusively

  const size_t max_tags_;
  mutable std::shared_mutex mu_;
  int64_t complete_from_ = 0;  // offsets below were not seen by this index
  int64_t end_ = 0;            // one past the highest offset added (>= complete_from_)
  bool overflowed_ = false;    // a tag was seen and not tracked
  uint64_t adds_ = 0;          // since the last Reset (paces runOptimize)
  std::unordered_map<int64_t, std::unique_ptr<Roaring64Map>> bitmaps_;
};

}  // namespace mqstore
