// Fuzzes the consume-queue unit codec: decode, judge, re-encode.
#include <cstdint>
#include <cstring>
#include <span>

#include "format/consume_queue_unit.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mqstore;
  for (size_t pos = 0; pos <= size; pos += kCqUnitSize) {
    auto unit = DecodeCqUnit(std::span<const uint8_t>(data + pos, size - pos));
    if (!unit.ok()) {
      if (size - pos >= kCqUnitSize) __builtin_trap();
      break;
    }
    (void)unit->IsValid();
    (void)unit->IsBlankPad();
    uint8_t again[kCqUnitSize];
    EncodeCqUnit(*unit, again);
    if (std::memcmp(again, data + pos, kCqUnitSize) != 0) __builtin_trap();
  }
  return 0;
}
