#include "format/consume_queue_unit.h"

#include "format/big_endian.h"

namespace mqstore {

void EncodeCqUnit(const ConsumeQueueUnit& unit, uint8_t* out20) {
  StoreI64(out20, unit.commit_log_offset);
  StoreI32(out20 + 8, unit.size);
  StoreI64(out20 + 12, unit.tags_code);
}

DecodeResult<ConsumeQueueUnit> DecodeCqUnit(std::span<const uint8_t> in) {
  if (in.size() < kCqUnitSize)
    return DecodeError{DecodeErrc::kTruncated, "consume-queue unit", 0, static_cast<int64_t>(in.size())};
  const uint8_t* p = in.data();
  return ConsumeQueueUnit{LoadI64(p), LoadI32(p + 8), LoadI64(p + 12)};
}

}  // namespace mqstore
