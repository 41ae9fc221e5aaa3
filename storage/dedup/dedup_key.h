// The 64-bit hash a duplicate-suppression key is remembered under: XXH3-64
// of the topic and the key's value (the key is only ever a duplicate within
// its topic). The table confirms a match against the stored record before
// it answers "duplicate", so a collision costs a read, never a message.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace mqstore {

// A replacement hash (tests force collisions with it; StoreHooks).
using DedupHashFn = uint64_t (*)(std::string_view topic, std::string_view key);

// XXH3-64 of `key` seeded with XXH3-64 of `topic`: ("ab", "c") and
// ("a", "bc") hash apart, with no copy into one buffer.
uint64_t DedupKeyHash(std::string_view topic, std::string_view key);

// The value of property `name` in a properties string when it is not
// empty: what PropertiesView(properties).Get(name) answers (the last pair
// of that name with a value), found by searching for the name at the start
// of a pair instead of splitting every pair, which is what every put with
// duplicate suppression on does.
std::optional<std::string_view> FindDedupKey(std::string_view properties, std::string_view name);

}  // namespace mqstore
