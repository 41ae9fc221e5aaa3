#include "format/checkpoint_format.h"

#include "format/big_endian.h"

namespace mqstore {

void EncodeCheckpoint(const Checkpoint& c, uint8_t* p) {
  StoreI64(p, c.physic_msg_timestamp);
  StoreI64(p + 8, c.logics_msg_timestamp);
  StoreI64(p + 16, c.index_msg_timestamp);
  StoreI64(p + 24, c.master_flushed_offset);
  StoreI64(p + 32, c.confirm_phy_offset);
}

DecodeResult<Checkpoint> DecodeCheckpoint(std::span<const uint8_t> in) {
  if (in.size() < kCheckpointMinSize)
    return DecodeError{DecodeErrc::kTruncated, "checkpoint", 0, static_cast<int64_t>(in.size())};
  const uint8_t* p = in.data();
  Checkpoint c;
  c.physic_msg_timestamp = LoadI64(p);
  c.logics_msg_timestamp = LoadI64(p + 8);
  c.index_msg_timestamp = LoadI64(p + 16);
  if (in.size() >= 32) c.master_flushed_offset = LoadI64(p + 24);
  if (in.size() >= 40) c.confirm_phy_offset = LoadI64(p + 32);
  return c;
}

}  // namespace mqstore
