#include "format/ha_frame.h"

#include "format/big_endian.h"

namespace mqstore {

void EncodeHaHeader(const HaFrameHeader& header, uint8_t out[kHaHeaderSize]) {
  StoreI64(out, header.offset);
  StoreI32(out + 8, header.size);
}

DecodeResult<HaFrameHeader> DecodeHaHeader(std::span<const uint8_t> in, int32_t max_body) {
  if (in.size() < 8) return DecodeError{DecodeErrc::kTruncated, "HA frame offset", 0, static_cast<int64_t>(in.size())};
  if (in.size() < kHaHeaderSize)
    return DecodeError{DecodeErrc::kTruncated, "HA frame size", 8, static_cast<int64_t>(in.size())};
  HaFrameHeader h{LoadI64(in.data()), LoadI32(in.data() + 8)};
  if (h.offset < 0) return DecodeError{DecodeErrc::kNegativeLength, "HA frame offset", 0, h.offset};
  if (h.size < 0) return DecodeError{DecodeErrc::kNegativeLength, "HA frame size", 8, h.size};
  if (h.size > max_body) return DecodeError{DecodeErrc::kSizeOutOfRange, "HA frame size", 8, h.size};
  return h;
}

void EncodeHaReport(int64_t offset, uint8_t out[kHaReportSize]) { StoreI64(out, offset); }

HaReports DecodeHaReports(std::span<const uint8_t> in) {
  HaReports r;
  r.consumed = in.size() - in.size() % kHaReportSize;
  if (r.consumed > 0) r.last = LoadI64(in.data() + r.consumed - kHaReportSize);
  return r;
}

}  // namespace mqstore
