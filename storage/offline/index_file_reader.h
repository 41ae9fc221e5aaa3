// IndexFileReader: one mapped IndexFile, and the key lookup across all of a
// store's index files (IndexService.queryOffset).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "format/index_file_format.h"
#include "storage/io/file_system.h"
#include "storage/store_layout.h"

namespace mqstore {

// RocketMQ caps a query at maxMsgsNumBatch offsets.
inline constexpr size_t kDefaultMaxMsgsNumBatch = 64;

class IndexFileReader {
 public:
  // `geometry` nullopt: inferred from the file size (IndexGeometry::Infer).
  static Result<IndexFileReader> Open(FileSystem& fs, const SegmentFile& file,
                                      std::optional<IndexGeometry> geometry = std::nullopt);

  const SegmentFile& file() const { return file_; }
  const IndexGeometry& geometry() const { return geometry_; }
  const IndexHeader& header() const { return header_; }
  std::span<const uint8_t> data() const { return mapping_->data(); }

  // Entries 1 .. indexCount-1 (the live ones).
  void ForEachEntry(const std::function<void(int32_t n, const IndexEntry& entry)>& fn) const;
  // Number of non-zero hash slots.
  int32_t CountUsedSlots() const;

  // IndexFile.isTimeMatched.
  bool TimeOverlaps(int64_t begin, int64_t end) const;

 private:
  IndexFileReader(SegmentFile file, IndexGeometry geometry, IndexHeader header,
                  std::unique_ptr<ReadOnlyMapping> mapping)
      : file_(std::move(file)), geometry_(geometry), header_(header), mapping_(std::move(mapping)) {}

  SegmentFile file_;
  IndexGeometry geometry_;
  IndexHeader header_;
  std::unique_ptr<ReadOnlyMapping> mapping_;
};

// IndexFile.isTimeMatched: [begin, end] meets the file's time range.
bool IndexTimeOverlaps(const IndexHeader& header, int64_t begin, int64_t end);

// One index file as the query walk sees it (a reader's or the live
// IndexService's mapping).
struct IndexFileView {
  std::span<const uint8_t> data;
  IndexGeometry geometry;
  IndexHeader header;
};

// IndexService.queryOffset over `files` (oldest first): walks newest to
// oldest, at most `max_num` offsets (the caller applies maxMsgsNumBatch),
// sorted ascending without duplicates. Hash collisions are included.
std::vector<int64_t> QueryIndexFileViews(std::span<const IndexFileView> files, std::string_view topic,
                                         std::string_view key, size_t max_num, int64_t begin, int64_t end);

// Candidate commit-log offsets for topic#key stored in [begin, end], walking
// files newest to oldest as RocketMQ does; at most min(max_num, 64); sorted
// ascending. Hash collisions are included: check the records' real keys.
std::vector<int64_t> QueryIndexOffsets(const std::vector<IndexFileReader>& files, std::string_view topic,
                                       std::string_view key, size_t max_num, int64_t begin, int64_t end);

}  // namespace mqstore
