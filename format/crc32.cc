#include "format/crc32.h"

#include <isa-l/crc.h>

namespace mqstore {

uint32_t Crc32(const uint8_t* data, size_t size) {
  // ISA-L's gzip-reflected CRC takes and returns the plain (non-inverted)
  // value, so a zero seed gives zlib's crc32(0, data, size). It takes a
  // 64-bit length.
  return crc32_gzip_refl(0, data, size);
}

}  // namespace mqstore
