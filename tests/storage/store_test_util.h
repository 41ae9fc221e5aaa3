// Helpers for tests that read whole store roots.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>

#include "format/big_endian.h"

namespace mqstore::test {

// Overwrites bytes of a file in place.
inline void PatchFile(const std::string& path, int64_t offset, const void* data, size_t size) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(offset);
  f.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
}
inline void PatchI32(const std::string& path, int64_t offset, int32_t v) {
  uint8_t b[4];
  StoreI32(b, v);
  PatchFile(path, offset, b, 4);
}
inline void PatchI64(const std::string& path, int64_t offset, int64_t v) {
  uint8_t b[8];
  StoreI64(b, v);
  PatchFile(path, offset, b, 8);
}

inline constexpr const char* kSmallStore = "/rocketmq-4.9.8-small/store";
inline constexpr const char* kSegment0 = "/commitlog/00000000000000000000";
inline constexpr const char* kSegment1 = "/commitlog/00000000000000065536";
inline constexpr const char* kSegment2 = "/commitlog/00000000000000131072";

}  // namespace mqstore::test
