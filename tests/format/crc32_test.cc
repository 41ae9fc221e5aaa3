#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "format/crc32.h"

namespace mqstore {
namespace {

// Bit-at-a-time CRC-32/IEEE (reflected, poly 0xEDB88320), the definition.
uint32_t ReferenceCrc32(const uint8_t* p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return ~c;
}

TEST(Crc32, CheckValueOfTheStandard) {
  const std::string s = "123456789";
  EXPECT_EQ(Crc32(reinterpret_cast<const uint8_t*>(s.data()), s.size()), 0xCBF43926u);
  EXPECT_EQ(BodyCrc(s), static_cast<int32_t>(0xCBF43926u & 0x7FFFFFFFu));
}

TEST(Crc32, EmptyBodyHasCrcZero) {
  EXPECT_EQ(BodyCrc(std::string_view()), 0);
  EXPECT_EQ(Crc32(nullptr, 0), 0u);
}

TEST(Crc32, MatchesTheBitwiseDefinitionForManySizesAndAlignments) {
  std::mt19937 rng(42);
  std::vector<uint8_t> buf(5100);
  for (auto& b : buf) b = static_cast<uint8_t>(rng());
  for (size_t n = 0; n <= 5000; n += (n < 300 ? 1 : 97)) {
    for (size_t start : {0, 1, 3, 7}) {
      ASSERT_EQ(Crc32(buf.data() + start, n), ReferenceCrc32(buf.data() + start, n)) << n << "@" << start;
      EXPECT_GE(BodyCrc(buf.data() + start, n), 0) << "masked to 31 bits";
    }
  }
}

}  // namespace
}  // namespace mqstore
