#include "format/transaction_op_body.h"

#include "format/java_number.h"

namespace mqstore {

Result<std::vector<int64_t>> ParseOpBody(std::string_view body) {
  if (body.size() > kMaxOpBodyBytes)
    return Status::Corruption("op body of " + std::to_string(body.size()) + " bytes, more than " +
                              std::to_string(kMaxOpBodyBytes));
  std::vector<int64_t> out;
  size_t start = 0;
  while (start <= body.size()) {
    size_t end = body.find(',', start);
    if (end == std::string_view::npos) end = body.size();
    const std::string_view token = body.substr(start, end - start);
    if (!token.empty()) {
      const std::optional<int64_t> offset = ParseJavaInteger<int64_t>(token);
      if (!offset) {
        const std::string shown(token.substr(0, 32));
        return Status::Corruption("op body byte " + std::to_string(start) + ": '" + shown +
                                  (token.size() > 32 ? "...'" : "'") + " is not a half queue offset");
      }
      out.push_back(*offset);
    }
    start = end + 1;
  }
  return out;
}

std::string OpBodySingle(int64_t half_queue_offset) { return std::to_string(half_queue_offset); }

void AppendOpBodyOffset(std::string& body, int64_t half_queue_offset) {
  body += std::to_string(half_queue_offset);
  body += ',';
}

}  // namespace mqstore
