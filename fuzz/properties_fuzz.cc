// Fuzzes the properties reader: every input parses; the kept pairs written
// back out and read again give the same pairs.
#include <cstdint>
#include <string_view>

#include "format/properties.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mqstore;
  const PropertiesView view(std::string_view(reinterpret_cast<const char*>(data), size));
  const auto pairs = view.ToList();
  for (const Property& p : pairs) {
    auto got = view.Get(p.name);
    if (!got || *got != p.value) __builtin_trap();  // ToList keeps the last duplicate, as Get does
  }
  for (const TrailingSeparator trailing : {TrailingSeparator::kOmit, TrailingSeparator::kAppend}) {
    auto text = SerializeProperties(pairs, trailing);
    if (!text.ok()) continue;  // e.g. a value holding 0x01 cannot be written back
    if (PropertiesView(*text).ToList() != pairs) __builtin_trap();
  }
  ForEachKey(view.raw(), [](std::string_view key) {
    if (key.empty()) __builtin_trap();
  });
  return 0;
}
