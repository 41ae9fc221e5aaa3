#include "storage/dedup/dedup_table.h"

#include <sys/mman.h>

#include <new>

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

DedupTable::SlotArray::SlotArray(size_t n) : n_(n) {
  constexpr size_t kPage = 4096, kHugePage = 2 << 20;
  const size_t unit = n * sizeof(Slot) >= kHugePage ? kHugePage : kPage;
  bytes_ = (n * sizeof(Slot) + unit - 1) / unit * unit;
  void* p = ::mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();  // as a std::vector of this size would
  // Slots of a big table in 4 KiB pages cost a TLB miss per lookup besides
  // the cache miss; 2 MiB pages (THP, "madvise" mode) keep the whole table
  // in the TLB's reach. A hint: small pages work too.
  if (unit == kHugePage) (void)::madvise(p, bytes_, MADV_HUGEPAGE);
  data_ = static_cast<Slot*>(p);
}

DedupTable::SlotArray::~SlotArray() { ::munmap(data_, bytes_); }

DedupTable::DedupTable(int64_t window_ms, size_t max_entries)
    : window_ms_(window_ms),
      max_entries_(max_entries),
      shift_(64 - SlotBits(max_entries)),
      slots_(size_t{1} << SlotBits(max_entries)) {}

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

void DedupTable::Remember(uint64_t hash, Entry entry, int64_t now_ms) {
  Put(hash, entry);
  order_.push_back({hash, entry});
  Trim(now_ms);
}

// Never full: at most max_entries + 1 keys (Trim runs after each Put) in
// at least 2 x max_entries slots.
void DedupTable::Put(uint64_t hash, Entry entry) {
  Slot& s = slots_[Probe(hash)];
  if (s.empty()) ++size_;
  s = Slot{hash, entry.offset + 1, entry.store_timestamp};
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
  while (!order_.empty()) {
    const Inserted& oldest = order_.front();
    if (Inside(oldest.entry, now_ms) && size_ <= max_entries_) return;
    const size_t at = Probe(oldest.hash);
    if (!slots_[at].empty() && slots_[at].entry().offset == oldest.entry.offset) {
      const bool expired = !Inside(oldest.entry, now_ms);
      if (!expired && size_ <= max_entries_) return;
      if (!expired) ++evictions_;
      Erase(at);
    }
    order_.pop_front();
  }
}

size_t DedupTable::size() const { return size_; }

uint64_t DedupTable::evictions() const { return evictions_; }

}  // namespace mqstore
