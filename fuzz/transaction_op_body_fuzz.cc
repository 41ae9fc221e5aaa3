// Fuzzes the transaction op body reader: any input is parsed or refused
// without a crash, and what it parses, written in the 5.x form, parses equal.
#include <cstdint>
#include <string>
#include <string_view>

#include "format/transaction_op_body.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mqstore;
  auto parsed = ParseOpBody(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!parsed.ok()) {
    if (parsed.error().message().empty()) __builtin_trap();
    return 0;
  }
  std::string again;
  for (int64_t offset : *parsed) AppendOpBodyOffset(again, offset);
  auto reparsed = ParseOpBody(again);
  if (!reparsed.ok() || *reparsed != *parsed) __builtin_trap();
  if (parsed->size() == 1 && ParseOpBody(OpBodySingle(parsed->front()))->front() != parsed->front()) __builtin_trap();
  return 0;
}
