#include "storage/dedup/dedup_table.h"

namespace mqstore {

DedupTable::DedupTable(int64_t window_ms, size_t max_entries) : window_ms_(window_ms), max_entries_(max_entries) {}

std::optional<DedupTable::Entry> DedupTable::Find(uint64_t hash, int64_t now_ms) const {
  std::lock_guard lock(mu_);
  const auto it = by_hash_.find(hash);
  if (it == by_hash_.end() || !Inside(it->second, now_ms)) return std::nullopt;
  return it->second;
}

void DedupTable::Remember(uint64_t hash, Entry entry, int64_t now_ms) {
  std::lock_guard lock(mu_);
  by_hash_.insert_or_assign(hash, entry);
  order_.push_back({hash, entry});
  Trim(now_ms);
}

bool DedupTable::Live(const Inserted& i) const {
  const auto it = by_hash_.find(i.hash);
  return it != by_hash_.end() && it->second.offset == i.entry.offset;
}

// From the front (the oldest): stale elements go, entries outside the
// window go, and live ones go while the table holds too many.
void DedupTable::Trim(int64_t now_ms) {
  while (!order_.empty()) {
    const Inserted& oldest = order_.front();
    if (Live(oldest)) {
      const bool expired = !Inside(oldest.entry, now_ms);
      if (!expired && by_hash_.size() <= max_entries_) return;
      if (!expired) ++evictions_;
      by_hash_.erase(oldest.hash);
    }
    order_.pop_front();
  }
}

size_t DedupTable::size() const {
  std::lock_guard lock(mu_);
  return by_hash_.size();
}

uint64_t DedupTable::evictions() const {
  std::lock_guard lock(mu_);
  return evictions_;
}

}  // namespace mqstore
