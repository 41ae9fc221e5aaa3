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
// Not thread-safe: DuplicateFilter keeps one table per shard and uses
// it under that shard's lock (Prefetch alone may run without it).
//
// The map is open addressing with linear probing over one array of slots
// (the hash, offset and store time: 24 bytes), sized at construction for
// max_entries at most half full, in an anonymous mapping: its zero pages
// cost memory only once a key lands on them. A lookup is usually one cache
// line. Measured on the put path: a node-based map (a bucket and a node
// miss per lookup, an allocation per insert) halved the put rate, and so
// did growing the array by doubling (every rehash moves every key through
// fresh pages, and each munmap of the old array stops the other cores for a
// TLB shootdown).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>

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
  // The entry for `hash` whatever its age (one not yet trimmed may be
  // outside the window: ask Inside). A put reads the clock only when this
  // finds one.
  std::optional<Entry> FindAny(uint64_t hash) const;
  bool Inside(const Entry& e, int64_t now_ms) const { return now_ms - e.store_timestamp < window_ms_; }
  // Remembers `entry` under `hash` (replacing any entry there), then drops
  // what the window left behind and, while over max_entries, the oldest.
  void Remember(uint64_t hash, Entry entry, int64_t now_ms);

  // Asks the CPU to fetch the slot `hash` starts its probe at. Needs no
  // lock (the array never moves): a put issues it before it takes its
  // locks, so the lookup's cache miss overlaps them.
  void Prefetch(uint64_t hash) const { __builtin_prefetch(&slots_[Home(hash)]); }

  // Bytes of the slot array (mapped; resident as keys land on its pages).
  size_t slot_bytes() const { return slots_.size() * sizeof(Slot); }

  size_t size() const;
  uint64_t evictions() const;

 private:
  // All zero is empty, so fresh zero pages need no initialising pass.
  struct Slot {
    uint64_t hash;
    int64_t offset_plus_one;  // 0: empty
    int64_t store_timestamp;
    bool empty() const { return offset_plus_one == 0; }
    Entry entry() const { return {offset_plus_one - 1, store_timestamp}; }
  };
  // Zero-filled slots in their own anonymous mapping (MADV_HUGEPAGE).
  class SlotArray {
   public:
    explicit SlotArray(size_t n);
    ~SlotArray();
    SlotArray(const SlotArray&) = delete;
    SlotArray& operator=(const SlotArray&) = delete;
    Slot& operator[](size_t i) { return data_[i]; }
    const Slot& operator[](size_t i) const { return data_[i]; }
    size_t size() const { return n_; }
    const Slot* data() const { return data_; }

   private:
    Slot* data_ = nullptr;
    size_t n_ = 0;
    size_t bytes_ = 0;  // mapped
  };
  struct Inserted {
    uint64_t hash;
    Entry entry;
  };
  size_t Home(uint64_t hash) const;
  // The slot holding `hash`, or the empty slot where it would go.
  size_t Probe(uint64_t hash) const;
  void Put(uint64_t hash, Entry entry);
  void Erase(size_t at);
  void Trim(int64_t now_ms);

  const int64_t window_ms_;
  const size_t max_entries_;
  const int shift_;  // 64 - log2(slots)
  SlotArray slots_;  // a power of two, at least twice max_entries
  size_t size_ = 0;
  // Every Remember in order; an element whose hash now maps to another
  // record (replaced) is stale and skipped when it reaches the front.
  std::deque<Inserted> order_;
  uint64_t evictions_ = 0;
};

}  // namespace mqstore
