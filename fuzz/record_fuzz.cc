// Fuzzes DecodeRecord: any bytes must give a record or a DecodeError, never
// a crash or an out-of-bounds read; whatever decodes must re-encode to the
// same bytes.
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "format/delay_levels.h"
#include "format/message_record.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mqstore;
  const std::span<const uint8_t> in(data, size);
  for (const bool check_crc : {false, true}) {
    RecordDecodeOptions options;
    options.check_crc = check_crc;
    auto decoded = DecodeRecord(in, options);
    if (!decoded.ok()) {
      (void)decoded.error().ToString();
      continue;
    }
    if (decoded->kind == RecordKind::kBlank) continue;
    const MessageRecordView& m = decoded->message;
    size_t pairs = 0;
    m.properties().ForEach([&](const Property&) { ++pairs; });
    (void)m.properties().Get("KEYS");
    (void)RecordTagsCode(m, DefaultDelayLevels());

    std::vector<uint8_t> again(static_cast<size_t>(m.total_size));
    auto encoded = EncodeRecord(FieldsOf(m), again);
    if (!encoded.ok() || std::memcmp(again.data(), data, again.size()) != 0) __builtin_trap();
  }
  return 0;
}
