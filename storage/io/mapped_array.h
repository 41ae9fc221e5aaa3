// MappedArray<T>: a fixed number of zero-filled T in an anonymous mapping
// of their own, made by Create, which answers a Status when the mapping
// cannot be made (the address space or an RLIMIT_AS is exhausted, or the
// kernel's strict overcommit refuses it) instead of throwing. The pages
// cost memory only once written (MAP_NORESERVE), so a table sized for its
// bound at open costs what it holds, unless asked to be resident at once
// (an array written all over from its first uses); and since the array
// never moves or grows, nothing is allocated after Create. Large arrays ask for 2 MiB
// pages (a hint), which keeps a randomly probed table within the TLB's
// reach. T must be valid when all its bytes are zero.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>

#include "mqstore/status.h"

namespace mqstore {

// The mapping behind MappedArray: `bytes` rounded up to whole pages (2 MiB
// ones from 2 MiB up), zero-filled. The error names `what`, the bytes asked
// for and errno's text.
struct ZeroedMapping {
  void* data = nullptr;
  size_t bytes = 0;  // mapped
};
// kPopulate: every page made resident now (MADV_POPULATE_WRITE, a hint:
// where the kernel cannot, pages come as they are first written).
enum class Residency : uint8_t { kOnWrite, kPopulate };
Result<ZeroedMapping> MapZeroed(size_t bytes, const std::string& what, Residency residency);
void Unmap(ZeroedMapping& m);

template <typename T>
class MappedArray {
  static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>);

 public:
  MappedArray() = default;
  // `n` elements; `what` names them in the error ("dedup slots").
  static Result<MappedArray> Create(size_t n, const std::string& what, Residency residency = Residency::kOnWrite) {
    if (n > static_cast<size_t>(-1) / sizeof(T))
      return Status::InvalidArgument(what + ": " + std::to_string(n) + " elements of " + std::to_string(sizeof(T)) +
                                     " bytes overflow the address space");
    auto m = MapZeroed(n * sizeof(T), what, residency);
    if (!m.ok()) return m.error();
    return MappedArray(*m, n);
  }
  ~MappedArray() { Unmap(m_); }
  MappedArray(MappedArray&& o) noexcept : m_(std::exchange(o.m_, {})), n_(std::exchange(o.n_, 0)) {}
  MappedArray& operator=(MappedArray&& o) noexcept {
    if (this != &o) {
      Unmap(m_);
      m_ = std::exchange(o.m_, {});
      n_ = std::exchange(o.n_, 0);
    }
    return *this;
  }

  T& operator[](size_t i) { return data()[i]; }
  const T& operator[](size_t i) const { return data()[i]; }
  T* data() { return static_cast<T*>(m_.data); }
  const T* data() const { return static_cast<const T*>(m_.data); }
  size_t size() const { return n_; }
  size_t mapped_bytes() const { return m_.bytes; }

 private:
  MappedArray(ZeroedMapping m, size_t n) : m_(m), n_(n) {}
  ZeroedMapping m_;
  size_t n_ = 0;
};

}  // namespace mqstore
