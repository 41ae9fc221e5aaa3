// Java's String.hashCode over UTF-8 text: h = 31*h + u for every UTF-16 code
// unit u of the string, wrapping at 32 bits. Characters outside the BMP count
// as their two surrogates. RocketMQ uses it for the consume-queue tagsCode and
// the IndexFile key hash.
#pragma once

#include <cstdint>
#include <string_view>

namespace mqstore {

// Malformed UTF-8 is hashed the way Java decodes it: each maximal invalid
// subsequence becomes one U+FFFD.
int32_t JavaStringHashCode(std::string_view utf8);
// Continues a hash `h` over more text: the hash of a + b is
// JavaStringHashUpdate(JavaStringHashUpdate(0, a), b) when a and b are each
// whole UTF-8 (so "topic#key" hashes without building the string).
uint32_t JavaStringHashUpdate(uint32_t h, std::string_view utf8);

// Number of UTF-16 code units Java sees for `utf8` (String.length()).
size_t JavaStringLength(std::string_view utf8);

// tagsCode of a normal record: hashCode of the whole TAGS value, sign
// extended; an empty TAGS gives 0 (MessageExtBrokerInner.tagsString2tagsCode).
inline int64_t TagsCode(std::string_view tags) {
  return tags.empty() ? 0 : static_cast<int64_t>(JavaStringHashCode(tags));
}

}  // namespace mqstore
