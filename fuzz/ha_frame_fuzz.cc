// Fuzzes the HA wire codecs: frame headers and the slave's offset reports,
// decoded from any bytes, re-encoded where they decoded.
#include <cstdint>
#include <cstring>
#include <span>

#include "format/ha_frame.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mqstore;
  const std::span<const uint8_t> in(data, size);
  auto header = DecodeHaHeader(in, 4 << 20);
  if (header.ok()) {
    if (size < kHaHeaderSize || header->offset < 0 || header->size < 0 || header->size > (4 << 20)) __builtin_trap();
    uint8_t again[kHaHeaderSize];
    EncodeHaHeader(*header, again);
    if (std::memcmp(again, data, kHaHeaderSize) != 0) __builtin_trap();
  } else if (size >= kHaHeaderSize && header.error().code == DecodeErrc::kTruncated) {
    __builtin_trap();
  }
  const HaReports reports = DecodeHaReports(in);
  if (reports.consumed > size || reports.consumed % kHaReportSize != 0 || size - reports.consumed >= kHaReportSize)
    __builtin_trap();
  if (reports.last.has_value() != (reports.consumed > 0)) __builtin_trap();
  if (reports.last) {
    uint8_t again[kHaReportSize];
    EncodeHaReport(*reports.last, again);
    if (std::memcmp(again, data + reports.consumed - kHaReportSize, kHaReportSize) != 0) __builtin_trap();
  }
  return 0;
}
