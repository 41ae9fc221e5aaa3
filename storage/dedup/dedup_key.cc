#include "storage/dedup/dedup_key.h"

// Inlined (cmake/Dependencies.cmake defines XXH_INLINE_ALL): the hash is on
// every put's path, and the inlined XXH3 is much faster than a call into
// the shared library.
#include <xxhash.h>

#include "mqstore/properties.h"

namespace mqstore {

uint64_t DedupKeyHash(std::string_view topic, std::string_view key) {
  const XXH64_hash_t seed = XXH3_64bits(topic.data(), topic.size());
  return XXH3_64bits_withSeed(key.data(), key.size(), seed);
}

// A pair's name runs to its first name/value separator, so `name` followed
// by one at a pair's start (the string's start, or after a pair separator)
// is a pair of that name; its value runs to the next pair separator. A pair
// with an empty value is one the reader drops, so an earlier one stands.
std::optional<std::string_view> FindDedupKey(std::string_view properties, std::string_view name) {
  std::optional<std::string_view> found;
  if (name.empty()) return found;
  for (size_t at = properties.find(name); at != std::string_view::npos; at = properties.find(name, at + 1)) {
    if (at != 0 && properties[at - 1] != kPropertySeparator) continue;
    const size_t sep = at + name.size();
    if (sep >= properties.size() || properties[sep] != kNameValueSeparator) continue;
    size_t end = properties.find(kPropertySeparator, sep + 1);
    if (end == std::string_view::npos) end = properties.size();
    if (end > sep + 1) found = properties.substr(sep + 1, end - sep - 1);
    at = end;
  }
  return found;
}

}  // namespace mqstore
