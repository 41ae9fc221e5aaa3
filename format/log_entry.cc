#include "format/log_entry.h"

#include <algorithm>
#include <cstring>

#include "format/big_endian.h"

namespace mqstore {

bool EndsLikeATornWrite(const MessageRecordView& record) {
  // PROPERTIES is the record's last field, TOPIC the one before it.
  if (!record.properties_raw.empty()) return record.properties_raw.back() == '\0';
  return !record.topic.empty() && record.topic.back() == '\0';
}

std::string LogEntry::Why() const {
  if (error) return error->ToString();
  if (stale_offset >= 0)
    return "PHYSICALOFFSET " + std::to_string(stale_offset) + " is not the record's position (stale bytes)";
  return "no damage";
}

LogEntry ReadLogEntry(std::span<const uint8_t> rest, int64_t offset, const RecordDecodeOptions& options) {
  LogEntry e;
  if (rest.size() >= 4 && LoadI32(rest.data()) == 0) return e;  // kEndOfData
  DecodedRecord decoded;
  if (auto error = DecodeRecordInto(rest, options, decoded)) {
    e.kind = LogEntryKind::kDamaged;
    e.error = *error;
    return e;
  }
  e.size = decoded.total_size;
  if (decoded.kind == RecordKind::kBlank) {
    e.kind = LogEntryKind::kBlank;
    return e;
  }
  if (decoded.message.physical_offset != offset) {
    e.kind = LogEntryKind::kDamaged;
    e.stale_offset = decoded.message.physical_offset;
    return e;
  }
  e.kind = LogEntryKind::kRecord;
  e.message = decoded.message;
  return e;
}

std::optional<int64_t> FindNextEntry(std::span<const uint8_t> file, int64_t file_start, int64_t from, int64_t to,
                                     const RecordDecodeOptions& options) {
  const auto size = static_cast<int64_t>(file.size());
  to = std::min(to, size - 7);  // a candidate needs its TOTALSIZE and MAGICCODE
  for (int64_t pos = std::max<int64_t>(from, 0); pos < to; ++pos) {
    const uint32_t magic = LoadU32(file.data() + pos + 4);
    if (magic == 0) {
      // Every magic is non-zero: the next candidate ends at a non-zero byte.
      // Only the window's bytes are looked at (a candidate before `to` has
      // its MAGICCODE before to + 7): the caller decides what lies further,
      // and touching the zero pages of a mapped spare file faults them in.
      const auto nz = FirstNonZero(file.subspan(static_cast<size_t>(pos + 8), static_cast<size_t>(std::max<int64_t>(to + 7 - pos - 8, 0))));
      if (!nz) return std::nullopt;
      pos = std::max(pos, pos + 8 + static_cast<int64_t>(*nz) - 7) - 1;  // the loop's ++pos
      continue;
    }
    if (magic != kMagicV1 && magic != kMagicV2 && magic != kBlankMagic) continue;
    const LogEntry e = ReadLogEntry(file.subspan(static_cast<size_t>(pos)), file_start + pos, options);
    if (e.kind == LogEntryKind::kRecord) return pos;
    if (e.kind == LogEntryKind::kBlank && e.size == size - pos) return pos;
  }
  return std::nullopt;
}

std::optional<size_t> FirstNonZero(std::span<const uint8_t> bytes) {
  size_t i = 0;
  // Eight bytes at a time: a tail of zeros is scanned at memory speed.
  for (; i + 8 <= bytes.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, bytes.data() + i, 8);
    if (word != 0) break;
  }
  for (; i < bytes.size(); ++i)
    if (bytes[i] != 0) return i;
  return std::nullopt;
}

}  // namespace mqstore
