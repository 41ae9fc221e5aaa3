// Fuzzes the consumerOffset.json reader: any input is parsed or refused
// without a crash, and whatever it parses, written again, parses equal.
#include <cstdint>
#include <string_view>

#include "format/consumer_offset_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mqstore;
  auto parsed = ParseConsumerOffsetJson(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!parsed.ok()) {
    if (parsed.error().message().empty()) __builtin_trap();
    return 0;
  }
  auto again = ParseConsumerOffsetJson(WriteConsumerOffsetJson(*parsed));
  if (!again.ok() || !(*again == *parsed)) __builtin_trap();
  return 0;
}
