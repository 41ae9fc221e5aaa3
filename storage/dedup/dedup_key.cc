#include "storage/dedup/dedup_key.h"

// Inlined (cmake/Dependencies.cmake defines XXH_INLINE_ALL): the hash is on
// every put's path, and the inlined XXH3 is much faster than a call into
// the shared library.
#include <xxhash.h>

namespace mqstore {

uint64_t DedupKeyHash(std::string_view topic, std::string_view key) {
  const XXH64_hash_t seed = XXH3_64bits(topic.data(), topic.size());
  return XXH3_64bits_withSeed(key.data(), key.size(), seed);
}

}  // namespace mqstore
