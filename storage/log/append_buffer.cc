#include "storage/log/append_buffer.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>

namespace mqstore {

Result<std::unique_ptr<AppendBuffer>> AppendBuffer::Create(size_t capacity) {
  constexpr size_t kMost = size_t{1} << 40;  // far above the knob's range; doubling stays finite
  if (capacity > kMost)
    return Status::InvalidArgument("a write-backend ring of " + std::to_string(capacity) + " bytes: more than " +
                                   std::to_string(kMost));
  size_t bytes = 64 << 10;
  while (bytes < capacity) bytes <<= 1;
  auto ring = MappedArray<uint8_t>::Create(bytes, "the write backend's ring (appendBufferSize)", Residency::kPopulate);
  if (!ring.ok()) return ring.error();
  return std::unique_ptr<AppendBuffer>(new AppendBuffer(std::move(*ring)));
}

void AppendBuffer::Put(int64_t offset, std::span<const uint8_t> bytes) {
  const size_t at = Index(offset);
  const size_t first = std::min(bytes.size(), capacity_ - at);
  std::memcpy(ring_.data() + at, bytes.data(), first);
  if (first < bytes.size()) std::memcpy(ring_.data(), bytes.data() + first, bytes.size() - first);
}

void AppendBuffer::PutZeros(int64_t offset, size_t len) {
  const size_t at = Index(offset);
  const size_t first = std::min(len, capacity_ - at);
  std::memset(ring_.data() + at, 0, first);
  if (first < len) std::memset(ring_.data(), 0, len - first);
}

AppendBuffer::Parts AppendBuffer::Get(int64_t offset, size_t len) const {
  const size_t at = Index(offset);
  const size_t first = std::min(len, capacity_ - at);
  return {{ring_.data() + at, first}, {ring_.data(), len - first}};
}

}  // namespace mqstore
