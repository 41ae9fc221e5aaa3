// Fuzzes the checkpoint decoder: short input is an error, anything else
// decodes and re-encodes to the same leading bytes.
#include <cstdint>
#include <cstring>
#include <span>

#include "format/checkpoint_format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mqstore;
  auto cp = DecodeCheckpoint(std::span<const uint8_t>(data, size));
  if (!cp.ok()) {
    if (size >= kCheckpointMinSize) __builtin_trap();
    return 0;
  }
  (void)cp->MinTimestamp();
  (void)cp->MinTimestampIndex();
  uint8_t again[40] = {};
  EncodeCheckpoint(*cp, again);
  // Only fields present in full were read.
  const size_t fields = size >= 40 ? 40 : size >= 32 ? 32 : 24;
  if (std::memcmp(again, data, fields) != 0) __builtin_trap();
  return 0;
}
