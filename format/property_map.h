// PropertyMap: a properties string taken apart to be changed and written
// again, the way the broker rebuilds a message it rewrites (a delayed or
// timer message moved to its system topic, a fired one moved back).
//
//   "DELAY\x01" "3\x02" "KEYS\x01" "k\x02"  --Set("REAL_TOPIC", "T")-->
//   "DELAY\x01" "3\x02" "KEYS\x01" "k\x02" "REAL_TOPIC\x01" "T\x02"
//
// Unlike the reader (PropertiesView), it keeps a pair whose value is empty
// ("TRACE_CONTEXT\x01\x02", which the broker writes for a recall), so that
// a rewrite changes only the pairs it names. Pairs keep their order; a new
// name goes at the end; a later duplicate of a name is folded into the
// first (the map's last-wins value). The trailing 0x02 is kept as the input
// had it (a 5.2+ writer's form when the input was empty). Java writes its
// HashMap's order instead: readers must not depend on the order.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mqstore/properties.h"

namespace mqstore {

class PropertyMap {
 public:
  PropertyMap() = default;
  // Segments without a name/value separator or with an empty name are
  // dropped, as every reader drops them.
  static PropertyMap Parse(std::string_view raw);

  std::optional<std::string_view> Get(std::string_view name) const;
  bool Has(std::string_view name) const { return Get(name).has_value(); }
  // Replaces the value in place, or appends the pair.
  void Set(std::string_view name, std::string_view value);
  void Erase(std::string_view name);
  size_t size() const { return pairs_.size(); }

  // The string again: name 0x01 value, joined by 0x02. Fails when a name
  // set here holds a separator byte or a value a 0x02.
  Result<std::string> Serialize() const;

 private:
  std::vector<std::pair<std::string, std::string>> pairs_;
  bool trailing_ = true;
};

}  // namespace mqstore
