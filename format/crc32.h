// CRC-32/IEEE as java.util.zip.CRC32 and zlib compute it, through Intel
// ISA-L (crc32_gzip_refl: tens of GB/s with PCLMULQDQ), and RocketMQ's
// BODYCRC, which is that CRC masked to 31 bits (UtilAll.crc32).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace mqstore {

// Unmasked CRC-32 of `data`; Crc32("123456789") == 0xCBF43926.
uint32_t Crc32(const uint8_t* data, size_t size);
inline uint32_t Crc32(std::span<const uint8_t> data) { return Crc32(data.data(), data.size()); }

// BODYCRC: Crc32(body) & 0x7FFFFFFF; an empty body gives 0.
inline int32_t BodyCrc(const uint8_t* data, size_t size) {
  return size == 0 ? 0 : static_cast<int32_t>(Crc32(data, size) & 0x7FFFFFFFu);
}
inline int32_t BodyCrc(std::span<const uint8_t> body) { return BodyCrc(body.data(), body.size()); }
inline int32_t BodyCrc(std::string_view body) {
  return BodyCrc(reinterpret_cast<const uint8_t*>(body.data()), body.size());
}

}  // namespace mqstore
