#include "storage/dedup/dedup_table.h"

#include <bit>

namespace mqstore {
namespace {
constexpr size_t kInitialSlots = 1024;
constexpr uint64_t kPhi64 = 0x9E3779B97F4A7C15ull;  // 2^64 / golden ratio
}  // namespace

DedupTable::DedupTable(int64_t window_ms, size_t max_entries)
    : window_ms_(window_ms),
      max_entries_(max_entries),
      slots_(kInitialSlots),
      shift_(64 - std::countr_zero(kInitialSlots)) {
  prefetch_base_.store(reinterpret_cast<uintptr_t>(slots_.data()), std::memory_order_relaxed);
  prefetch_shift_.store(shift_, std::memory_order_relaxed);
}

void DedupTable::Prefetch(uint64_t hash) const {
  // Base and shift may come from two sizes during a Grow: the address is
  // then merely wrong, and a prefetch never faults.
  const int shift = prefetch_shift_.load(std::memory_order_relaxed);
  const uintptr_t at = prefetch_base_.load(std::memory_order_relaxed) +
                       static_cast<uintptr_t>((hash * kPhi64) >> shift) * sizeof(Slot);
  __builtin_prefetch(reinterpret_cast<const void*>(at));
}

// Fibonacci hashing: the top bits of hash x 2^64/phi, so a poor hash (a
// test's constant, sequential values) still spreads over the slots.
size_t DedupTable::Home(uint64_t hash) const { return static_cast<size_t>((hash * kPhi64) >> shift_); }

size_t DedupTable::Probe(uint64_t hash) const {
  const size_t mask = slots_.size() - 1;
  size_t at = Home(hash);
  while (!slots_[at].empty() && slots_[at].hash != hash) at = (at + 1) & mask;
  return at;
}

std::optional<DedupTable::Entry> DedupTable::Find(uint64_t hash, int64_t now_ms) const {
  std::lock_guard lock(mu_);
  const Slot& s = slots_[Probe(hash)];
  if (s.empty() || !Inside(s.entry, now_ms)) return std::nullopt;
  return s.entry;
}

void DedupTable::Remember(uint64_t hash, Entry entry, int64_t now_ms) {
  std::lock_guard lock(mu_);
  Put(hash, entry);
  order_.push_back({hash, entry});
  Trim(now_ms);
}

void DedupTable::Put(uint64_t hash, Entry entry) {
  if ((size_ + 1) * 2 > slots_.size()) Grow();
  Slot& s = slots_[Probe(hash)];
  if (s.empty()) ++size_;
  s.hash = hash;
  s.entry = entry;
}

void DedupTable::Grow() {
  std::vector<Slot> old(slots_.size() * 2);
  old.swap(slots_);
  --shift_;
  for (const Slot& s : old)
    if (!s.empty()) slots_[Probe(s.hash)] = s;
  prefetch_base_.store(reinterpret_cast<uintptr_t>(slots_.data()), std::memory_order_relaxed);
  prefetch_shift_.store(shift_, std::memory_order_relaxed);
}

// Backward-shift deletion: the entries after the hole that probed past it
// move back, so a probe never stops early at the hole.
void DedupTable::Erase(size_t hole) {
  const size_t mask = slots_.size() - 1;
  for (size_t at = (hole + 1) & mask; !slots_[at].empty(); at = (at + 1) & mask) {
    const size_t home = Home(slots_[at].hash);
    // Whether `home` lies cyclically in (hole, at]: then the entry stays.
    const bool stays = hole <= at ? (home > hole && home <= at) : (home > hole || home <= at);
    if (stays) continue;
    slots_[hole] = slots_[at];
    hole = at;
  }
  slots_[hole] = Slot{};
  --size_;
}

// From the front (the oldest): entries outside the window go, and live
// ones go while the table holds too many; stale elements go on the way.
// The common case (the oldest still inside, room left) reads no slot, so a
// put costs the one cache miss of its own lookup.
void DedupTable::Trim(int64_t now_ms) {
  while (!order_.empty()) {
    const Inserted& oldest = order_.front();
    if (Inside(oldest.entry, now_ms) && size_ <= max_entries_) return;
    const size_t at = Probe(oldest.hash);
    if (!slots_[at].empty() && slots_[at].entry.offset == oldest.entry.offset) {
      const bool expired = !Inside(oldest.entry, now_ms);
      if (!expired && size_ <= max_entries_) return;
      if (!expired) ++evictions_;
      Erase(at);
    }
    order_.pop_front();
  }
}

size_t DedupTable::size() const {
  std::lock_guard lock(mu_);
  return size_;
}

uint64_t DedupTable::evictions() const {
  std::lock_guard lock(mu_);
  return evictions_;
}

}  // namespace mqstore
