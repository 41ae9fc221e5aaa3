// Java's Integer.parseInt / Long.parseLong over property text (DELAY,
// REAL_QID, TIMER_OUT_MS, ...): one optional sign ('+' or '-'), then decimal
// digits only, within the type's range. Anything else (spaces, a second
// sign, an empty string, overflow) is not a number, as Java throws
// NumberFormatException for it.
#pragma once

#include <charconv>
#include <optional>
#include <string_view>
#include <system_error>

namespace mqstore {

template <typename Int>
std::optional<Int> ParseJavaInteger(std::string_view text) {
  const bool plus = !text.empty() && text.front() == '+';
  if (plus) text.remove_prefix(1);
  // from_chars takes a '-' itself and never a '+'; a sign after '+' is a
  // second sign.
  if (text.empty() || text.front() == '+' || (plus && text.front() == '-')) return std::nullopt;
  Int value{};
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

}  // namespace mqstore
