#include "format/delay_levels.h"

#include <charconv>
#include <limits>
#include <string>

namespace mqstore {

Result<std::vector<int64_t>> ParseDelayLevels(std::string_view spec) {
  std::vector<int64_t> levels;
  size_t i = 0;
  while (i < spec.size()) {
    size_t end = spec.find(' ', i);
    if (end == std::string_view::npos) end = spec.size();
    const std::string_view token = spec.substr(i, end - i);
    i = end + 1;
    if (token.size() < 2) return Status::InvalidArgument("messageDelayLevel: bad token '" + std::string(token) + "'");
    int64_t unit = 0;
    switch (token.back()) {
      case 's': unit = 1000; break;
      case 'm': unit = 60 * 1000; break;
      case 'h': unit = 60 * 60 * 1000; break;
      case 'd': unit = 24 * 60 * 60 * 1000; break;
      default: return Status::InvalidArgument("messageDelayLevel: unknown unit in '" + std::string(token) + "'");
    }
    int64_t n = 0;
    const auto [p, ec] = std::from_chars(token.data(), token.data() + token.size() - 1, n);
    if (ec != std::errc() || p != token.data() + token.size() - 1 || n < 0 ||
        n > std::numeric_limits<int64_t>::max() / unit)  // millis must fit 64 bits
      return Status::InvalidArgument("messageDelayLevel: bad number in '" + std::string(token) + "'");
    levels.push_back(n * unit);
  }
  return levels;
}

const std::vector<int64_t>& DefaultDelayLevels() {
  static const std::vector<int64_t> levels = ParseDelayLevels(kDefaultMessageDelayLevel).value();
  return levels;
}

}  // namespace mqstore
