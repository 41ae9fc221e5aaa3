#include "storage/offline/index_file_reader.h"

#include <algorithm>

namespace mqstore {

Result<IndexFileReader> IndexFileReader::Open(FileSystem& fs, const SegmentFile& file,
                                              std::optional<IndexGeometry> geometry) {
  if (!geometry) geometry = IndexGeometry::Infer(file.size);
  if (!geometry)
    return Status::InvalidArgument(file.path + ": size " + std::to_string(file.size) +
                                   " matches no index geometry; give maxHashSlotNum and maxIndexNum");
  if (file.size != geometry->FileSize())
    return Status::Corruption(file.path + ": size " + std::to_string(file.size) + ", expected " +
                              std::to_string(geometry->FileSize()) + " for " +
                              std::to_string(geometry->max_hash_slot_num) + " slots and " +
                              std::to_string(geometry->max_index_num) + " entries");
  auto mapping = fs.MapReadOnly(file.path);
  if (!mapping.ok()) return mapping.error();
  auto header = DecodeIndexHeader((*mapping)->data());
  if (!header.ok()) return header.error().ToStatus(file.path);
  if (auto bad = ValidateIndexHeader(*header, *geometry)) return bad->ToStatus(file.path);
  IndexHeader h = *header;
  if (h.index_count <= 0) h.index_count = 1;  // as IndexHeader.load does
  return IndexFileReader(file, *geometry, h, std::move(*mapping));
}

void IndexFileReader::ForEachEntry(const std::function<void(int32_t n, const IndexEntry& entry)>& fn) const {
  for (int32_t n = 1; n < header_.index_count; ++n) {
    auto entry = ReadIndexEntry(data(), geometry_, n);
    if (!entry.ok()) return;
    fn(n, *entry);
  }
}

int32_t IndexFileReader::CountUsedSlots() const {
  int32_t used = 0;
  for (int32_t s = 0; s < geometry_.max_hash_slot_num; ++s) {
    auto v = ReadIndexSlot(data(), geometry_, s);
    if (v.ok() && *v != 0) ++used;
  }
  return used;
}

bool IndexFileReader::TimeOverlaps(int64_t begin, int64_t end) const {
  return IndexTimeOverlaps(header_, begin, end);
}

bool IndexTimeOverlaps(const IndexHeader& header, int64_t begin, int64_t end) {
  const int64_t b = header.begin_timestamp, e = header.end_timestamp;
  return (begin < b && end > e) || (begin >= b && begin <= e) || (end >= b && end <= e);
}

std::vector<int64_t> QueryIndexFileViews(std::span<const IndexFileView> files, std::string_view topic,
                                         std::string_view key, size_t max_num, int64_t begin, int64_t end) {
  const int32_t hash = IndexKeyHash(topic, key);
  std::vector<int64_t> offsets;
  for (auto it = files.rbegin(); it != files.rend(); ++it) {
    if (IndexTimeOverlaps(it->header, begin, end))
      IndexSelectPhyOffsets(it->data, it->geometry, hash, begin, end, max_num, offsets);
    if (it->header.begin_timestamp < begin || offsets.size() >= max_num) break;
  }
  std::sort(offsets.begin(), offsets.end());
  offsets.erase(std::unique(offsets.begin(), offsets.end()), offsets.end());
  return offsets;
}

std::vector<int64_t> QueryIndexOffsets(const std::vector<IndexFileReader>& files, std::string_view topic,
                                       std::string_view key, size_t max_num, int64_t begin, int64_t end) {
  std::vector<IndexFileView> views;
  views.reserve(files.size());
  for (const IndexFileReader& f : files) views.push_back({f.data(), f.geometry(), f.header()});
  return QueryIndexFileViews(views, topic, key, std::min(max_num, kDefaultMaxMsgsNumBatch), begin, end);
}

}  // namespace mqstore
