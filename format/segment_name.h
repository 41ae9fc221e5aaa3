// Segment file names (UtilAll.offset2FileName): the global offset of the
// file's first byte, decimal, zero-padded to 20 digits. Commit log:
// 00000000000000000000, 00000000001073741824, ...; consume queue offsets are
// in CQ bytes (queue offset x 20).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mqstore {

inline constexpr size_t kSegmentNameLength = 20;

std::string SegmentFileName(int64_t start_offset);
// The offset a name stands for; nullopt unless it is exactly 20 digits.
std::optional<int64_t> ParseSegmentFileName(std::string_view name);

// Start of the file after the one holding `offset` (rollNextFile).
inline int64_t RollNextFile(int64_t offset, int64_t file_size) {
  return offset + file_size - offset % file_size;
}

}  // namespace mqstore
