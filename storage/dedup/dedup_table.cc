#include "storage/dedup/dedup_table.h"

#include <string>
#include <utility>

namespace mqstore {
namespace {

constexpr uint64_t kPhi64 = 0x9E3779B97F4A7C15ull;  // 2^64 / golden ratio

// log2 of the slots for `max_entries` at most half full (at least 64).
int SlotBits(size_t max_entries) {
  int bits = 6;
  while ((size_t{1} << bits) < 2 * max_entries) ++bits;
  return bits;
}

}  // namespace

// Fails when the mapping is refused, or when the bound is too large to
// size (the slots would overflow the address space).
Result<DedupTable> DedupTable::Create(int64_t window_ms, size_t max_entries) {
  if (max_entries > (size_t{1} << 58))
    return Status::InvalidArgument("a duplicate table of " + std::to_string(max_entries) +
                                   " entries: more slots than the address space holds");
  const int bits = SlotBits(max_entries);
  const size_t slots = size_t{1} << bits;
  // Resident at once: probes land all over the slots, so after the first
  // few hundred keys every page is touched anyway, and their faults would
  // come on the put path.
  auto slot_array = MappedArray<Slot>::Create(
      slots, std::to_string(slots) + " duplicate-table slots of " + std::to_string(sizeof(Slot)) + " bytes",
      Residency::kPopulate);
  if (!slot_array.ok()) return slot_array.error();
  const size_t ring = max_entries + 1 + max_entries / 8 + 16;
  auto order = MappedArray<Inserted>::Create(ring, "a duplicate-table order ring of " + std::to_string(ring) +
                                                       " entries of " + std::to_string(sizeof(Inserted)) + " bytes");
  if (!order.ok()) return order.error();
  return DedupTable(window_ms, max_entries, bits, std::move(*slot_array), std::move(*order));
}

DedupTable::DedupTable(int64_t window_ms, size_t max_entries, int slot_bits, MappedArray<Slot> slots,
                       MappedArray<Inserted> order)
    : window_ms_(window_ms),
      max_entries_(max_entries),
      shift_(64 - slot_bits),
      slots_(std::move(slots)),
      order_(std::move(order)) {}

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
  const auto e = FindAny(hash);
  if (!e || !Inside(*e, now_ms)) return std::nullopt;
  return e;
}

std::optional<DedupTable::Entry> DedupTable::FindAny(uint64_t hash) const {
  const Slot& s = slots_[Probe(hash)];
  if (s.empty()) return std::nullopt;
  return s.entry();
}

// A record remembered twice keeps its one place in the order, so every
// live entry has exactly one live element there.
void DedupTable::Remember(uint64_t hash, Entry entry, int64_t now_ms) {
  if (Put(hash, entry)) PushOrder({hash, entry});
  Trim(now_ms);
}

// Never full: at most max_entries + 1 keys (Trim runs after each Put) in
// at least 2 x max_entries slots.
bool DedupTable::Put(uint64_t hash, Entry entry) {
  Slot& s = slots_[Probe(hash)];
  if (s.empty()) {
    ++size_;
  } else if (s.entry().offset == entry.offset) {
    return false;
  }
  s = Slot{hash, entry.offset + 1, entry.store_timestamp};
  return true;
}

bool DedupTable::Live(const Inserted& e) const {
  const Slot& s = slots_[Probe(e.hash)];
  return !s.empty() && s.entry().offset == e.entry.offset;
}

// Room is always left: the live elements are the table's entries, at most
// max_entries + 1 with this one, fewer than the ring holds.
void DedupTable::PushOrder(const Inserted& e) {
  if (count_ == order_.size()) CompactOrder();
  OrderAt(count_++) = e;
}

void DedupTable::CompactOrder() {
  size_t kept = 0;
  for (size_t i = 0; i < count_; ++i) {
    const Inserted e = OrderAt(i);
    if (Live(e)) OrderAt(kept++) = e;
  }
  count_ = kept;
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
  slots_[hole] = Slot{0, 0, 0};
  --size_;
}

// From the front (the oldest): entries outside the window go, and live
// ones go while the table holds too many; stale elements go on the way.
// The common case (the oldest still inside, room left) reads no slot, so a
// put costs the one cache miss of its own lookup.
void DedupTable::Trim(int64_t now_ms) {
  while (count_ > 0) {
    const Inserted& oldest = OrderAt(0);
    if (Inside(oldest.entry, now_ms) && size_ <= max_entries_) return;
    const size_t at = Probe(oldest.hash);
    if (!slots_[at].empty() && slots_[at].entry().offset == oldest.entry.offset) {
      const bool expired = !Inside(oldest.entry, now_ms);
      if (!expired && size_ <= max_entries_) return;
      if (!expired) ++evictions_;
      Erase(at);
    }
    head_ = Wrap(head_ + 1);
    --count_;
  }
}

size_t DedupTable::size() const { return size_; }

uint64_t DedupTable::evictions() const { return evictions_; }

}  // namespace mqstore
