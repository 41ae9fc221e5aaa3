// An IndexFile (store/index/IndexFile.java), named yyyyMMddHHmmssSSS:
//
//   [ header 40 ][ hash slots: maxHashSlotNum x 4 ][ entries: maxIndexNum x 20 ]
//
//   header:  0 beginTimestamp i64 | 8 endTimestamp i64 | 16 beginPhyOffset i64
//           24 endPhyOffset i64   | 32 hashSlotCount i32 | 36 indexCount i32
//   slot s (at 40 + 4s):     i32 number of the newest entry in its chain, 0 = empty
//   entry n (at 40 + 4*slots + 20n, 1 <= n < maxIndexNum; entry 0 unused):
//            0 keyHash i32 | 4 commit-log offset i64 | 12 timeDiff i32 (s) | 16 prevIndex i32
//
// indexCount is the NEXT entry number (starts at 1). maxHashSlotNum and
// maxIndexNum are configuration, not stored: a reader must know the writer's.
// Keys are "topic#key"; keyHash = |String.hashCode|, with MIN_VALUE -> 0.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "format/decode_error.h"

namespace mqstore {

inline constexpr uint32_t kIndexHeaderSize = 40;
inline constexpr uint32_t kIndexSlotSize = 4;
inline constexpr uint32_t kIndexEntrySize = 20;
inline constexpr int32_t kDefaultMaxHashSlotNum = 5000000;
inline constexpr int32_t kDefaultMaxIndexNum = 5000000 * 4;

struct IndexGeometry {
  int32_t max_hash_slot_num = kDefaultMaxHashSlotNum;
  int32_t max_index_num = kDefaultMaxIndexNum;

  uint64_t FileSize() const {
    return kIndexHeaderSize + uint64_t{kIndexSlotSize} * max_hash_slot_num +
           uint64_t{kIndexEntrySize} * max_index_num;
  }
  uint64_t SlotPosition(int32_t slot) const { return kIndexHeaderSize + uint64_t{kIndexSlotSize} * slot; }
  uint64_t EntryPosition(int32_t n) const {
    return kIndexHeaderSize + uint64_t{kIndexSlotSize} * max_hash_slot_num + uint64_t{kIndexEntrySize} * n;
  }
  // Geometry of a file of `size` bytes: the defaults if they fit, else the
  // one with RocketMQ's 4 entries per slot ratio; nullopt if neither does.
  static std::optional<IndexGeometry> Infer(uint64_t size);
};

struct IndexHeader {
  int64_t begin_timestamp = 0;
  int64_t end_timestamp = 0;
  int64_t begin_phy_offset = 0;
  int64_t end_phy_offset = 0;
  int32_t hash_slot_count = 0;
  int32_t index_count = 1;
  bool operator==(const IndexHeader&) const = default;
};

struct IndexEntry {
  int32_t key_hash = 0;
  int64_t phy_offset = 0;
  int32_t time_diff = 0;  // seconds since header.begin_timestamp
  int32_t prev_index = 0;
  bool operator==(const IndexEntry&) const = default;
};

void EncodeIndexHeader(const IndexHeader& h, uint8_t* out40);
DecodeResult<IndexHeader> DecodeIndexHeader(std::span<const uint8_t> in);

// Checks a decoded header against the geometry: counts in range.
std::optional<DecodeError> ValidateIndexHeader(const IndexHeader& h, const IndexGeometry& g);

// Slot and entry accessors over a whole file; out-of-range reads are errors.
DecodeResult<int32_t> ReadIndexSlot(std::span<const uint8_t> file, const IndexGeometry& g, int32_t slot);
DecodeResult<IndexEntry> ReadIndexEntry(std::span<const uint8_t> file, const IndexGeometry& g, int32_t n);
void EncodeIndexEntry(const IndexEntry& e, uint8_t* out20);

// keyHash of "topic#key".
int32_t IndexKeyHash(std::string_view topic, std::string_view key);
int32_t IndexKeyHash(std::string_view full_key);
// The hash of topic + "#", which IndexKeyHashAfter continues over each key
// of a record: IndexKeyHash(topic, key) == IndexKeyHashAfter(IndexKeyPrefixHash(topic), key).
uint32_t IndexKeyPrefixHash(std::string_view topic);
int32_t IndexKeyHashAfter(uint32_t prefix_hash, std::string_view key);

// IndexFile.putKey over a writable file image (header included). Returns
// false when the file is full, and refuses (false) a header whose counts are
// out of range or a negative key hash. `file` must be g.FileSize() bytes.
bool IndexPutKey(std::span<uint8_t> file, const IndexGeometry& g, int32_t key_hash, int64_t phy_offset,
                 int64_t store_timestamp);
// The same for a writer that keeps the file's header decoded: `h` must be
// what the file's first 40 bytes say and valid for `g` (ValidateIndexHeader);
// it is updated along with the bytes, so no put decodes the header again.
bool IndexPutKey(std::span<uint8_t> file, const IndexGeometry& g, IndexHeader& h, int32_t key_hash,
                 int64_t phy_offset, int64_t store_timestamp);

// IndexFile.selectPhyOffset: walks the chain of `key_hash`'s slot and appends
// the offsets whose hash matches and whose time lies in [begin, end], newest
// first, until `max_num` offsets are in `out`. Hash collisions are included;
// callers check the real keys. A malformed chain ends the walk; a header
// whose counts are out of range yields nothing.
void IndexSelectPhyOffsets(std::span<const uint8_t> file, const IndexGeometry& g, int32_t key_hash,
                           int64_t begin, int64_t end, size_t max_num, std::vector<int64_t>& out);

}  // namespace mqstore
