#include "format/decode_error.h"

#include <cstdio>

namespace mqstore {

const char* DecodeErrcName(DecodeErrc code) {
  switch (code) {
    case DecodeErrc::kTruncated: return "truncated input";
    case DecodeErrc::kBadMagic: return "bad magic";
    case DecodeErrc::kSizeOutOfRange: return "size out of range";
    case DecodeErrc::kLengthPastEnd: return "length runs past TOTALSIZE";
    case DecodeErrc::kNegativeLength: return "negative length";
    case DecodeErrc::kLengthMismatch: return "fields do not add up to TOTALSIZE";
    case DecodeErrc::kBadValue: return "bad value";
  }
  return "unknown";
}

static std::string Describe(const DecodeError& e, uint64_t offset) {
  char buf[192];
  if (e.code == DecodeErrc::kBadMagic) {
    std::snprintf(buf, sizeof buf, "%s at offset %llu (%s = 0x%08X)", DecodeErrcName(e.code),
                  static_cast<unsigned long long>(offset), e.field,
                  static_cast<unsigned>(static_cast<uint32_t>(e.value)));
  } else {
    std::snprintf(buf, sizeof buf, "%s at offset %llu (%s = %lld)", DecodeErrcName(e.code),
                  static_cast<unsigned long long>(offset), e.field,
                  static_cast<long long>(e.value));
  }
  return buf;
}

std::string DecodeError::ToString() const { return Describe(*this, offset); }

Status DecodeError::ToStatus(const std::string& file, uint64_t base) const {
  std::string m = Describe(*this, base + offset);
  if (!file.empty()) m = file + ": " + m;
  return Status::Corruption(std::move(m));
}

}  // namespace mqstore
