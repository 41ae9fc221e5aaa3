#include "format/property_map.h"

namespace mqstore {
namespace {

// A value may hold 0x01 (readers split a pair at its first 0x01); a name
// may hold neither separator, a value no 0x02.
bool Writable(std::string_view name, std::string_view value) {
  return name.find(kNameValueSeparator) == std::string_view::npos &&
         name.find(kPropertySeparator) == std::string_view::npos &&
         value.find(kPropertySeparator) == std::string_view::npos;
}

}  // namespace

PropertyMap PropertyMap::Parse(std::string_view raw) {
  PropertyMap map;
  map.trailing_ = raw.empty() || raw.back() == kPropertySeparator;
  size_t start = 0;
  while (start < raw.size()) {
    size_t end = raw.find(kPropertySeparator, start);
    if (end == std::string_view::npos) end = raw.size();
    const std::string_view segment = raw.substr(start, end - start);
    const size_t sep = segment.find(kNameValueSeparator);
    if (sep != std::string_view::npos && sep > 0) map.Set(segment.substr(0, sep), segment.substr(sep + 1));
    start = end + 1;
  }
  return map;
}

std::optional<std::string_view> PropertyMap::Get(std::string_view name) const {
  for (const auto& [n, v] : pairs_)
    if (n == name) return std::string_view(v);
  return std::nullopt;
}

void PropertyMap::Set(std::string_view name, std::string_view value) {
  for (auto& [n, v] : pairs_) {
    if (n == name) {
      v.assign(value);
      return;
    }
  }
  pairs_.emplace_back(std::string(name), std::string(value));
}

void PropertyMap::Erase(std::string_view name) {
  std::erase_if(pairs_, [&](const auto& p) { return p.first == name; });
}

Result<std::string> PropertyMap::Serialize() const {
  std::string out;
  for (size_t i = 0; i < pairs_.size(); ++i) {
    const auto& [name, value] = pairs_[i];
    if (!Writable(name, value))
      return Status::InvalidArgument("property '" + name + "': a separator byte in its name or a 0x02 in its value");
    if (i > 0) out += kPropertySeparator;
    out += name;
    out += kNameValueSeparator;
    out += value;
  }
  if (trailing_ && !pairs_.empty()) out += kPropertySeparator;
  return out;
}

}  // namespace mqstore
