#include "storage/io/mapped_array.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>

namespace mqstore {

Result<ZeroedMapping> MapZeroed(size_t bytes, const std::string& what, Residency residency) {
  constexpr size_t kPage = 4096, kHugePage = 2 << 20;
  const size_t unit = bytes >= kHugePage ? kHugePage : kPage;
  if (bytes > static_cast<size_t>(-1) - unit)
    return Status::InvalidArgument(what + ": " + std::to_string(bytes) + " bytes overflow the address space");
  ZeroedMapping m;
  m.bytes = (bytes + unit - 1) / unit * unit;
  if (m.bytes == 0) m.bytes = kPage;  // an empty array still has an address
  void* p = ::mmap(nullptr, m.bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) {
    const int err = errno;
    return Status::IOError("mmap of " + std::to_string(m.bytes) + " bytes for " + what + ": " + std::strerror(err));
  }
  // Small pages work too: a hint, its failure harmless.
  if (unit == kHugePage) (void)::madvise(p, m.bytes, MADV_HUGEPAGE);
#ifdef MADV_POPULATE_WRITE
  // A hint too: an older kernel (EINVAL) or too little memory now (ENOMEM)
  // leaves the pages to come as they are written.
  if (residency == Residency::kPopulate) (void)::madvise(p, m.bytes, MADV_POPULATE_WRITE);
#else
  (void)residency;
#endif
  m.data = p;
  return m;
}

void Unmap(ZeroedMapping& m) {
  if (m.data != nullptr) ::munmap(m.data, m.bytes);
  m = {};
}

}  // namespace mqstore
