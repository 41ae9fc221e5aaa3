#include "format/properties.h"

namespace mqstore {

std::optional<std::string_view> PropertiesView::Get(std::string_view name) const {
  std::optional<std::string_view> found;
  ForEach([&](const Property& p) {
    if (p.name == name) found = p.value;
  });
  return found;
}

std::vector<Property> PropertiesView::ToList() const {
  std::vector<Property> out;
  ForEach([&](const Property& p) {
    for (Property& q : out) {
      if (q.name == p.name) {
        q.value = p.value;
        return;
      }
    }
    out.push_back(p);
  });
  return out;
}

static bool HoldsSeparator(std::string_view s) {
  return s.find(kNameValueSeparator) != std::string_view::npos ||
         s.find(kPropertySeparator) != std::string_view::npos;
}

Status AppendProperties(std::string& out, const std::vector<Property>& props,
                        TrailingSeparator trailing) {
  for (size_t i = 0; i < props.size(); ++i) {
    const Property& p = props[i];
    if (p.name.empty() || p.value.empty())
      return Status::InvalidArgument("property #" + std::to_string(i) + " '" +
                                     std::string(p.name) + "': empty name or value is dropped by readers");
    if (HoldsSeparator(p.name) || HoldsSeparator(p.value))
      return Status::InvalidArgument("property '" + std::string(p.name) +
                                     "': name or value holds a 0x01/0x02 separator byte");
    if (i > 0) out += kPropertySeparator;
    out += p.name;
    out += kNameValueSeparator;
    out += p.value;
  }
  if (trailing == TrailingSeparator::kAppend && !props.empty()) out += kPropertySeparator;
  return Status::Ok();
}

Result<std::string> SerializeProperties(const std::vector<Property>& props,
                                        TrailingSeparator trailing) {
  std::string out;
  Status st = AppendProperties(out, props, trailing);
  if (!st.ok()) return st;
  return out;
}

}  // namespace mqstore
