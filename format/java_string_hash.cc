#include "format/java_string_hash.h"

namespace mqstore {
namespace {

constexpr uint32_t kReplacement = 0xFFFD;

// Decodes one code point starting at s[i]; advances i past it. Follows the
// Unicode "maximal subpart" practice that Java's UTF-8 decoder implements:
// an invalid lead byte or a sequence cut short by a bad continuation byte
// yields one U+FFFD and decoding resumes at the offending byte.
uint32_t NextCodePoint(std::string_view s, size_t& i) {
  const auto b0 = static_cast<uint8_t>(s[i]);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  size_t need;
  uint32_t cp;
  uint8_t lo = 0x80, hi = 0xBF;  // legal range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 1;
    cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 2;
    cp = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;  // no surrogates encoded in UTF-8
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 3;
    cp = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    ++i;
    return kReplacement;
  }
  ++i;
  for (size_t k = 0; k < need; ++k) {
    if (i >= s.size()) return kReplacement;
    const auto b = static_cast<uint8_t>(s[i]);
    const uint8_t min = k == 0 ? lo : 0x80;
    const uint8_t max = k == 0 ? hi : 0xBF;
    if (b < min || b > max) return kReplacement;
    cp = (cp << 6) | (b & 0x3F);
    ++i;
  }
  return cp;
}

}  // namespace

int32_t JavaStringHashCode(std::string_view utf8) { return static_cast<int32_t>(JavaStringHashUpdate(0, utf8)); }

uint32_t JavaStringHashUpdate(uint32_t h, std::string_view utf8) {
  size_t i = 0;
  while (i < utf8.size()) {
    const auto c = static_cast<uint8_t>(utf8[i]);
    if (c < 0x80) {  // ASCII fast path: one byte, one code unit
      h = 31 * h + c;
      ++i;
      continue;
    }
    const uint32_t cp = NextCodePoint(utf8, i);
    if (cp >= 0x10000) {
      const uint32_t v = cp - 0x10000;
      h = 31 * h + (0xD800 + (v >> 10));
      h = 31 * h + (0xDC00 + (v & 0x3FF));
    } else {
      h = 31 * h + cp;
    }
  }
  return h;
}

size_t JavaStringLength(std::string_view utf8) {
  size_t n = 0, i = 0;
  while (i < utf8.size()) {
    if (static_cast<uint8_t>(utf8[i]) < 0x80) {
      ++i;
      ++n;
      continue;
    }
    n += NextCodePoint(utf8, i) >= 0x10000 ? 2 : 1;
  }
  return n;
}

}  // namespace mqstore
