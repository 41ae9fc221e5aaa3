// Fuzzes IndexFile reading: the input is a file image (its geometry inferred
// from its size, else a small fixed one over a padded copy). Header checks,
// every slot and entry, chain walks and an insert must terminate without
// touching memory outside the image.
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "format/big_endian.h"
#include "format/index_file_format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mqstore;
  IndexGeometry g{4, 16};
  if (auto inferred = IndexGeometry::Infer(size); inferred && inferred->FileSize() <= (1u << 20)) g = *inferred;
  std::vector<uint8_t> image(g.FileSize(), 0);
  std::memcpy(image.data(), data, std::min<size_t>(size, image.size()));

  auto header = DecodeIndexHeader(image);
  if (!header.ok()) __builtin_trap();
  (void)ValidateIndexHeader(*header, g);
  for (int32_t s = 0; s < g.max_hash_slot_num; ++s)
    if (!ReadIndexSlot(image, g, s).ok()) __builtin_trap();
  for (int32_t n = 0; n < g.max_index_num; ++n)
    if (!ReadIndexEntry(image, g, n).ok()) __builtin_trap();
  if (ReadIndexEntry(image, g, g.max_index_num).ok() || ReadIndexSlot(image, g, -1).ok()) __builtin_trap();

  std::vector<int64_t> offsets;
  const int32_t hashes[] = {0, 1, std::numeric_limits<int32_t>::max(),
                            size >= 4 ? static_cast<int32_t>(LoadU32(data) & 0x7FFFFFFF) : 7};
  for (int32_t h : hashes) {
    offsets.clear();
    IndexSelectPhyOffsets(image, g, h, 0, std::numeric_limits<int64_t>::max(), 64, offsets);
    if (offsets.size() > 64) __builtin_trap();
  }
  (void)IndexPutKey(image, g, hashes[3], 12345, 1700000000000);
  return 0;
}
