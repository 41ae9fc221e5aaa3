#include "storage/log/segment_list.h"

namespace mqstore {

int64_t SegmentStartOf(int64_t offset, int64_t segment_size) { return offset - offset % segment_size; }

size_t SegmentIndexOf(int64_t offset, int64_t first_start, int64_t segment_size) {
  return static_cast<size_t>((offset - first_start) / segment_size);
}

}  // namespace mqstore
