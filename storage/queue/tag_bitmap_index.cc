#include "storage/queue/tag_bitmap_index.h"

#include <roaring/roaring64map.hh>

#include <algorithm>
#include <mutex>

namespace mqstore {
namespace {

// Dense tags turn into runs once run-optimised; doing it every this many
// adds keeps a busy queue's bitmaps small without paying for it per add.
constexpr uint64_t kRunOptimizeEvery = 65536;

// The first value >= from in `bitmap`, if any. (CRoaring 0.2's 64-bit
// iterator `move` can land on an empty 32-bit bucket, so rank/select it is.)
std::optional<uint64_t> FirstAtOrAfter(const Roaring64Map& bitmap, uint64_t from) {
  const uint64_t below = from == 0 ? 0 : bitmap.rank(from - 1);  // values < from
  uint64_t value = 0;
  if (!bitmap.select(below, &value)) return std::nullopt;
  return value;
}

}  // namespace

TagBitmapIndex::TagBitmapIndex(size_t max_tags) : max_tags_(max_tags) {}

TagBitmapIndex::~TagBitmapIndex() = default;

void TagBitmapIndex::Add(int64_t queue_offset, int64_t tags_code) {
  const Tagged one{queue_offset, tags_code};
  AddAll(std::span<const Tagged>(&one, 1));
}

void TagBitmapIndex::AddAll(std::span<const Tagged> units) {
  std::unique_lock lock(mu_);
  for (const Tagged& u : units) AddLocked(u.queue_offset, u.tags_code);
}

void TagBitmapIndex::AddLocked(int64_t queue_offset, int64_t tags_code) {
  if (queue_offset < complete_from_) return;  // below what the index claims to know
  end_ = std::max(end_, queue_offset + 1);
  auto it = bitmaps_.find(tags_code);
  if (it == bitmaps_.end()) {
    if (bitmaps_.size() >= max_tags_) {
      overflowed_ = true;
      return;
    }
    it = bitmaps_.emplace(tags_code, std::make_unique<Roaring64Map>()).first;
  }
  it->second->add(static_cast<uint64_t>(queue_offset));
  if (++adds_ % kRunOptimizeEvery == 0) {
    for (auto& [tag, bitmap] : bitmaps_) bitmap->runOptimize();
  }
}

void TagBitmapIndex::Reset(int64_t complete_from) {
  std::unique_lock lock(mu_);
  bitmaps_.clear();
  overflowed_ = false;
  complete_from_ = complete_from;
  end_ = complete_from;
  adds_ = 0;
}

void TagBitmapIndex::TrimBelow(int64_t queue_offset) {
  std::unique_lock lock(mu_);
  if (queue_offset <= complete_from_) return;
  // Offsets below are no longer answered for: a lookup from there is
  // kUnknown, so even a value the removal below misses is never returned.
  complete_from_ = queue_offset;
  end_ = std::max(end_, queue_offset);
  // 0.2.66 has no 64-bit range removal: subtract a bitmap of [min, q) (flip
  // of an empty map builds it as run containers, so this is cheap). Its
  // multi-bucket flip leaves out each full bucket's last value; such a value
  // stays in memory, below complete_from_, where no lookup returns it.
  const auto q = static_cast<uint64_t>(queue_offset);
  for (auto it = bitmaps_.begin(); it != bitmaps_.end();) {
    Roaring64Map& bitmap = *it->second;
    if (!bitmap.isEmpty() && bitmap.minimum() < q) {
      Roaring64Map below;
      below.flip(bitmap.minimum(), q);
      bitmap -= below;
      bitmap.shrinkToFit();
    }
    // An emptied bitmap frees its slot only while every tag seen is tracked:
    // after an overflow, a tag dropped now might come back with its earlier
    // occurrences unrecorded.
    if (!overflowed_ && bitmap.isEmpty()) {
      it = bitmaps_.erase(it);
    } else {
      ++it;
    }
  }
}

TagBitmapIndex::Lookup TagBitmapIndex::NextWithTag(int64_t tags_code, int64_t from, int64_t limit) const {
  Lookup out;
  std::shared_lock lock(mu_);
  if (from < complete_from_) return out;  // kUnknown
  if (from >= limit) {
    out.kind = Lookup::Kind::kNone;
    return out;
  }
  const auto it = bitmaps_.find(tags_code);
  if (it != bitmaps_.end()) {
    const auto next = FirstAtOrAfter(*it->second, static_cast<uint64_t>(from));
    if (next && static_cast<int64_t>(*next) < limit) {
      out.kind = Lookup::Kind::kFound;
      out.queue_offset = static_cast<int64_t>(*next);
      return out;
    }
  } else if (overflowed_) {
    return out;  // seen maybe, not tracked: kUnknown
  }
  // No match in [from, limit) among the units added so far; that is an
  // answer only if every unit of the range has been added.
  if (limit <= end_) out.kind = Lookup::Kind::kNone;
  return out;
}

size_t TagBitmapIndex::tracked_tags() const {
  std::shared_lock lock(mu_);
  return bitmaps_.size();
}

size_t TagBitmapIndex::MemoryBytes() const {
  std::shared_lock lock(mu_);
  size_t bytes = 0;
  for (const auto& [tag, bitmap] : bitmaps_) bytes += bitmap->getSizeInBytes();
  return bytes;
}

}  // namespace mqstore
