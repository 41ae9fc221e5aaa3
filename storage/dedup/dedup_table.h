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
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <unordered_map>

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

  size_t size() const;
  uint64_t evictions() const;

 private:
  struct Inserted {
    uint64_t hash;
    Entry entry;
  };
  bool Live(const Inserted& i) const;
  bool Inside(const Entry& e, int64_t now_ms) const { return now_ms - e.store_timestamp < window_ms_; }
  void Trim(int64_t now_ms);

  const int64_t window_ms_;
  const size_t max_entries_;
  mutable std::mutex mu_;
  std::unordered_map<uint64_t, Entry> by_hash_;
  // Every Remember in order; an element whose hash now maps to another
  // record (replaced) is stale and skipped when it reaches the front.
  std::deque<Inserted> order_;
  uint64_t evictions_ = 0;
};

}  // namespace mqstore
