// DedupTable: the keys stored within the window, by their 64-bit hash
// (dedup_key.h), each with the commit-log offset and store time of the
// record that carried it first. Bounded: entries older than the window go
// as new ones arrive, and past `max_entries` the oldest go first (counted as
// evictions). Insertion order is store-time order (records are remembered
// as they are appended, or read back in log order at open), so a FIFO of
// insertions is the eviction order.
//
// One entry per hash: a record whose key collides with a remembered one
// (the caller found the stored record holds another key) replaces it.
// Thread-safe; each call holds the table's mutex for a map operation only.
//
// The map is open addressing with linear probing over one array (a slot is
// the hash, offset and store time: 24 bytes, at most half the slots used),
// grown by doubling: a lookup is usually one cache line, where a node-based
// map costs a bucket and a node miss per lookup and a heap allocation per
// insert (std::unordered_map halved the put rate with dedup on, measured).
#pragma once

#include <cstddef>
#include <cstdint>
#include <atomic>
#include <deque>
#include <mutex>
#include <optional>
#include <vector>

namespace mqstore {

class DedupTable {
 public:
  struct Entry {
    int64_t offset = 0;           // the record's commit-log offset
    int64_t store_timestamp = 0;  // its STORETIMESTAMP
  };

  DedupTable(int64_t window_ms, size_t max_entries);

  // The entry for `hash` if its record was stored less than the window
  // before `now_ms` (a clock that went back counts as inside).
  std::optional<Entry> Find(uint64_t hash, int64_t now_ms) const;
  // Remembers `entry` under `hash` (replacing any entry there), then drops
  // what the window left behind and, while over max_entries, the oldest.
  void Remember(uint64_t hash, Entry entry, int64_t now_ms);

  // Asks the CPU to fetch the slot `hash` starts its probe at, without the
  // lock (a hint: a Grow meanwhile only makes it useless). A put issues it
  // before it takes its locks, so the lookup's cache miss overlaps them.
  void Prefetch(uint64_t hash) const;

  size_t size() const;
  uint64_t evictions() const;

 private:
  struct Slot {
    uint64_t hash = 0;
    Entry entry{-1, 0};  // offset -1: empty
    bool empty() const { return entry.offset < 0; }
  };
  using Inserted = Slot;
  bool Inside(const Entry& e, int64_t now_ms) const { return now_ms - e.store_timestamp < window_ms_; }
  size_t Home(uint64_t hash) const;
  // The slot holding `hash`, or the empty slot where it would go.
  size_t Probe(uint64_t hash) const;
  void Put(uint64_t hash, Entry entry);
  void Erase(size_t at);
  void Grow();
  void Trim(int64_t now_ms);

  const int64_t window_ms_;
  const size_t max_entries_;
  mutable std::mutex mu_;
  std::vector<Slot> slots_;  // a power of two, at most half used
  int shift_ = 0;            // 64 - log2(slots_.size())
  // slots_'s address and size for Prefetch, set under the lock by Grow.
  std::atomic<uintptr_t> prefetch_base_{0};
  std::atomic<int> prefetch_shift_{63};
  size_t size_ = 0;
  // Every Remember in order; an element whose hash now maps to another
  // record (replaced) is stale and skipped when it reaches the front.
  std::deque<Inserted> order_;
  uint64_t evictions_ = 0;
};

}  // namespace mqstore
