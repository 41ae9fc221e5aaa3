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
// (the hash, offset and store time: 24 bytes), sized at creation for
// max_entries at most half full; the insertion order is a ring of fixed
// size beside it. Both are MappedArrays: mapped whole by Create (a mapping
// refused is its Status, never an exception), their zero pages costing
// memory only once written, and nothing allocated after. A lookup is
// usually one cache line. Measured on the put path: a node-based map (a
// bucket and a node miss per lookup, an allocation per insert) halved the
// put rate, and so
// did growing the array by doubling (every rehash moves every key through
// fresh pages, and each munmap of the old array stops the other cores for a
// TLB shootdown).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "mqstore/status.h"
#include "storage/io/mapped_array.h"

namespace mqstore {

class DedupTable {
 public:
  struct Entry {
    int64_t offset = 0;           // the record's commit-log offset
    int64_t store_timestamp = 0;  // its STORETIMESTAMP
  };

  // Maps the slots and the order ring for `max_entries`: an error (naming
  // the bytes asked for and errno's text) when the mapping is refused.
  static Result<DedupTable> Create(int64_t window_ms, size_t max_entries);

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
  // lock (the array never moves): a put issues it before its shard lock and
  // the message's encoding, and looks up after the encoding
  // (CommitLog::PutGate), so the lookup's cache miss overlaps them.
  void Prefetch(uint64_t hash) const { __builtin_prefetch(&slots_[Home(hash)]); }

  // Bytes of the slot array (mapped; resident as keys land on its pages).
  size_t slot_bytes() const { return slots_.size() * sizeof(Slot); }
  // Bytes mapped for the slots and the order ring together.
  size_t mapped_bytes() const { return slots_.mapped_bytes() + order_.mapped_bytes(); }

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
  struct Inserted {
    uint64_t hash;
    Entry entry;
  };
  DedupTable(int64_t window_ms, size_t max_entries, int slot_bits, MappedArray<Slot> slots,
             MappedArray<Inserted> order);
  size_t Home(uint64_t hash) const;
  // The slot holding `hash`, or the empty slot where it would go.
  size_t Probe(uint64_t hash) const;
  // False when the slot already held this very record (nothing changed).
  bool Put(uint64_t hash, Entry entry);
  void Erase(size_t at);
  void Trim(int64_t now_ms);
  // Whether `e` is the entry its hash maps to now (not replaced or gone).
  bool Live(const Inserted& e) const;
  // The order ring: oldest first, `count_` from `head_`.
  Inserted& OrderAt(size_t i) { return order_[Wrap(head_ + i)]; }
  size_t Wrap(size_t i) const { return i < order_.size() ? i : i - order_.size(); }  // i < 2 x size
  void PushOrder(const Inserted& e);
  // Drops the stale elements wherever they are, keeping the others' order.
  void CompactOrder();

  const int64_t window_ms_;
  const size_t max_entries_;
  const int shift_;          // 64 - log2(slots)
  MappedArray<Slot> slots_;  // a power of two, at least twice max_entries
  size_t size_ = 0;
  // Every Remember in order; an element whose hash now maps to another
  // record (replaced after a collision) is stale, skipped when it reaches
  // the front, and dropped wherever it is when the ring fills (CompactOrder).
  // Its room: max_entries + 1 live elements and an eighth more for stale
  // ones, so a compaction (a probe per element) comes at most once per
  // max_entries / 8 replacements.
  MappedArray<Inserted> order_;
  size_t head_ = 0, count_ = 0;
  uint64_t evictions_ = 0;
};

}  // namespace mqstore
