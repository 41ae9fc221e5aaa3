#include "format/index_file_format.h"

#include <limits>

#include "format/big_endian.h"
#include "format/java_string_hash.h"

namespace mqstore {

std::optional<IndexGeometry> IndexGeometry::Infer(uint64_t size) {
  const IndexGeometry defaults;
  if (size == defaults.FileSize()) return defaults;
  // 40 + 4s + 20*(4s) = 40 + 84s
  if (size > kIndexHeaderSize && (size - kIndexHeaderSize) % 84 == 0) {
    const uint64_t slots = (size - kIndexHeaderSize) / 84;
    if (slots * 4 <= static_cast<uint64_t>(std::numeric_limits<int32_t>::max()))
      return IndexGeometry{static_cast<int32_t>(slots), static_cast<int32_t>(slots * 4)};
  }
  return std::nullopt;
}

void EncodeIndexHeader(const IndexHeader& h, uint8_t* p) {
  StoreI64(p, h.begin_timestamp);
  StoreI64(p + 8, h.end_timestamp);
  StoreI64(p + 16, h.begin_phy_offset);
  StoreI64(p + 24, h.end_phy_offset);
  StoreI32(p + 32, h.hash_slot_count);
  StoreI32(p + 36, h.index_count);
}

DecodeResult<IndexHeader> DecodeIndexHeader(std::span<const uint8_t> in) {
  if (in.size() < kIndexHeaderSize)
    return DecodeError{DecodeErrc::kTruncated, "index header", 0, static_cast<int64_t>(in.size())};
  const uint8_t* p = in.data();
  return IndexHeader{LoadI64(p), LoadI64(p + 8), LoadI64(p + 16), LoadI64(p + 24), LoadI32(p + 32),
                     LoadI32(p + 36)};
}

std::optional<DecodeError> ValidateIndexHeader(const IndexHeader& h, const IndexGeometry& g) {
  if (h.index_count < 0 || h.index_count > g.max_index_num)
    return DecodeError{DecodeErrc::kBadValue, "indexCount", 36, h.index_count};
  if (h.hash_slot_count < 0 || h.hash_slot_count > g.max_hash_slot_num)
    return DecodeError{DecodeErrc::kBadValue, "hashSlotCount", 32, h.hash_slot_count};
  return std::nullopt;
}

DecodeResult<int32_t> ReadIndexSlot(std::span<const uint8_t> file, const IndexGeometry& g, int32_t slot) {
  const uint64_t pos = g.SlotPosition(slot);
  if (slot < 0 || slot >= g.max_hash_slot_num || pos + kIndexSlotSize > file.size())
    return DecodeError{DecodeErrc::kTruncated, "hash slot", pos, slot};
  return LoadI32(file.data() + pos);
}

DecodeResult<IndexEntry> ReadIndexEntry(std::span<const uint8_t> file, const IndexGeometry& g, int32_t n) {
  const uint64_t pos = g.EntryPosition(n);
  if (n < 0 || n >= g.max_index_num || pos + kIndexEntrySize > file.size())
    return DecodeError{DecodeErrc::kTruncated, "index entry", pos, n};
  const uint8_t* p = file.data() + pos;
  return IndexEntry{LoadI32(p), LoadI64(p + 4), LoadI32(p + 12), LoadI32(p + 16)};
}

void EncodeIndexEntry(const IndexEntry& e, uint8_t* p) {
  StoreI32(p, e.key_hash);
  StoreI64(p + 4, e.phy_offset);
  StoreI32(p + 12, e.time_diff);
  StoreI32(p + 16, e.prev_index);
}

namespace {

// Math.abs, and Math.abs(MIN_VALUE) stays negative, which RocketMQ makes 0.
int32_t KeyHashOf(uint32_t java_hash) {
  const auto h = static_cast<int32_t>(java_hash);
  if (h == std::numeric_limits<int32_t>::min()) return 0;
  return h < 0 ? -h : h;
}

}  // namespace

int32_t IndexKeyHash(std::string_view full_key) { return KeyHashOf(JavaStringHashUpdate(0, full_key)); }

// hashCode of topic + "#" + key, continued piece by piece: no string is built
// (the dispatcher hashes two keys per record).
int32_t IndexKeyHash(std::string_view topic, std::string_view key) {
  return IndexKeyHashAfter(IndexKeyPrefixHash(topic), key);
}

uint32_t IndexKeyPrefixHash(std::string_view topic) { return JavaStringHashUpdate(JavaStringHashUpdate(0, topic), "#"); }

int32_t IndexKeyHashAfter(uint32_t prefix_hash, std::string_view key) {
  return KeyHashOf(JavaStringHashUpdate(prefix_hash, key));
}

bool IndexPutKey(std::span<uint8_t> file, const IndexGeometry& g, int32_t key_hash, int64_t phy_offset,
                 int64_t store_timestamp) {
  if (file.size() < g.FileSize()) return false;
  IndexHeader h = DecodeIndexHeader(file).value();
  if (h.index_count < 1) h.index_count = 1;
  // A damaged header is not written to: it could only make things worse.
  if (ValidateIndexHeader(h, g)) return false;
  return IndexPutKey(file, g, h, key_hash, phy_offset, store_timestamp);
}

bool IndexPutKey(std::span<uint8_t> file, const IndexGeometry& g, IndexHeader& h, int32_t key_hash,
                 int64_t phy_offset, int64_t store_timestamp) {
  if (file.size() < g.FileSize() || key_hash < 0 || g.max_hash_slot_num <= 0) return false;
  if (h.index_count < 1) h.index_count = 1;
  if (h.index_count >= g.max_index_num) return false;
  uint8_t* p = file.data();
  const int32_t slot = key_hash % g.max_hash_slot_num;
  uint8_t* slot_ptr = p + g.SlotPosition(slot);
  int32_t old = LoadI32(slot_ptr);
  if (old <= 0 || old > h.index_count) old = 0;

  int64_t diff = 0;
  if (h.begin_timestamp > 0) {
    int64_t delta = 0;
    if (__builtin_sub_overflow(store_timestamp, h.begin_timestamp, &delta))
      delta = store_timestamp > 0 ? std::numeric_limits<int64_t>::max() : 0;
    diff = delta / 1000;
  }
  if (diff < 0) diff = 0;
  if (diff > std::numeric_limits<int32_t>::max()) diff = std::numeric_limits<int32_t>::max();

  const int32_t n = h.index_count;
  EncodeIndexEntry(IndexEntry{key_hash, phy_offset, static_cast<int32_t>(diff), old}, p + g.EntryPosition(n));
  StoreI32(slot_ptr, n);
  if (h.index_count <= 1) {
    h.begin_phy_offset = phy_offset;
    h.begin_timestamp = store_timestamp;
  }
  if (old == 0) ++h.hash_slot_count;
  ++h.index_count;
  h.end_phy_offset = phy_offset;
  h.end_timestamp = store_timestamp;
  EncodeIndexHeader(h, p);
  return true;
}

void IndexSelectPhyOffsets(std::span<const uint8_t> file, const IndexGeometry& g, int32_t key_hash,
                           int64_t begin, int64_t end, size_t max_num, std::vector<int64_t>& out) {
  auto header = DecodeIndexHeader(file);
  if (!header.ok() || g.max_hash_slot_num <= 0 || key_hash < 0 || ValidateIndexHeader(*header, g)) return;
  const IndexHeader& h = *header;
  auto slot_value = ReadIndexSlot(file, g, key_hash % g.max_hash_slot_num);
  if (!slot_value.ok()) return;
  int32_t cur = *slot_value;
  if (cur <= 0 || cur > h.index_count || h.index_count <= 1) return;
  // A chain visits each of the index_count - 1 live entries at most once;
  // the bound stops a corrupt cycle.
  for (int32_t steps = 0; steps < h.index_count - 1 && out.size() < max_num; ++steps) {
    auto entry = ReadIndexEntry(file, g, cur);
    if (!entry.ok() || entry->time_diff < 0) return;
    int64_t t = 0;  // a header time near the int64 limit is garbage: stop rather than overflow
    if (__builtin_add_overflow(h.begin_timestamp, int64_t{entry->time_diff} * 1000, &t)) return;
    if (entry->key_hash == key_hash && t >= begin && t <= end) out.push_back(entry->phy_offset);
    const int32_t prev = entry->prev_index;
    if (prev <= 0 || prev > h.index_count || prev == cur || t < begin) return;
    cur = prev;
  }
}

}  // namespace mqstore
