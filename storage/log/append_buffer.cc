#include "storage/log/append_buffer.h"

#include <algorithm>
#include <cstring>
#include <new>

namespace mqstore {

AppendBuffer::AppendBuffer(size_t capacity) : capacity_(64 << 10) {
  while (capacity_ < capacity) capacity_ <<= 1;
  ring_.reset(static_cast<uint8_t*>(std::aligned_alloc(4096, capacity_)));
  if (!ring_) throw std::bad_alloc();  // construction only; never on the put path
}

void AppendBuffer::Put(int64_t offset, std::span<const uint8_t> bytes) {
  const size_t at = Index(offset);
  const size_t first = std::min(bytes.size(), capacity_ - at);
  std::memcpy(ring_.get() + at, bytes.data(), first);
  if (first < bytes.size()) std::memcpy(ring_.get(), bytes.data() + first, bytes.size() - first);
}

void AppendBuffer::PutZeros(int64_t offset, size_t len) {
  const size_t at = Index(offset);
  const size_t first = std::min(len, capacity_ - at);
  std::memset(ring_.get() + at, 0, first);
  if (first < len) std::memset(ring_.get(), 0, len - first);
}

AppendBuffer::Parts AppendBuffer::Get(int64_t offset, size_t len) const {
  const size_t at = Index(offset);
  const size_t first = std::min(len, capacity_ - at);
  return {{ring_.get() + at, first}, {ring_.get(), len - first}};
}

}  // namespace mqstore
