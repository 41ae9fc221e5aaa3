// DecodeError: why a decoder refused its input, without allocating.
// It names the field, the byte offset of that field relative to the start of
// the decoder's input, the reason, and the offending value where there is one.
// Callers that know the file and its base offset add them when reporting.
#pragma once

#include <cstdint>
#include <string>

#include "mqstore/status.h"

namespace mqstore {

enum class DecodeErrc : uint8_t {
  kTruncated,        // the input ends before the field does
  kBadMagic,         // MAGICCODE is none of the known values
  kSizeOutOfRange,   // TOTALSIZE (or another size) outside its legal range
  kLengthPastEnd,    // a length field runs past TOTALSIZE
  kNegativeLength,   // a signed length field is negative
  kLengthMismatch,   // the fields do not add up to TOTALSIZE
  kBadValue,         // a field holds a value its format forbids
};

const char* DecodeErrcName(DecodeErrc code);

struct DecodeError {
  DecodeErrc code;
  const char* field;   // static string: "TOTALSIZE", "BODY length", ...
  uint64_t offset;     // byte offset of the field within the input
  int64_t value = 0;   // the offending value (length, magic, ...), if any

  // "bad magic at offset 4 (MAGICCODE = 0x12345678)"-style text.
  std::string ToString() const;
  // The same as a Corruption status, offset shifted by `base` (the input's
  // position in its file) and prefixed with `file` when non-empty.
  Status ToStatus(const std::string& file = {}, uint64_t base = 0) const;
};

template <typename T>
using DecodeResult = Result<T, DecodeError>;

}  // namespace mqstore
