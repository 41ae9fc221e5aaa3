#include "format/java_string_hash.h"

#include <array>
#include <cstring>

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

// 31^k mod 2^32, for eight ASCII bytes at a time.
constexpr std::array<uint32_t, 9> kPowersOf31 = [] {
  std::array<uint32_t, 9> p{};
  p[0] = 1;
  for (size_t k = 1; k < p.size(); ++k) p[k] = p[k - 1] * 31;
  return p;
}();

uint32_t JavaStringHashUpdate(uint32_t h, std::string_view utf8) {
  const auto* s = reinterpret_cast<const uint8_t*>(utf8.data());
  size_t i = 0;
  while (i < utf8.size()) {
    // Eight ASCII bytes at once: h*31^8 + sum(c[k]*31^(7-k)). The serial
    // chain is one multiply-add per eight bytes instead of per byte (keys
    // of 40-odd bytes are hashed for every dispatched record).
    uint64_t word;
    if (i + 8 <= utf8.size() && (std::memcpy(&word, s + i, 8), (word & 0x8080808080808080ULL) == 0)) {
      uint32_t sum = 0;
      for (size_t k = 0; k < 8; ++k) sum += s[i + k] * kPowersOf31[7 - k];
      h = h * kPowersOf31[8] + sum;
      i += 8;
      continue;
    }
    const uint8_t c = s[i];
    if (c < 0x80) {  // ASCII: one byte, one code unit
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
