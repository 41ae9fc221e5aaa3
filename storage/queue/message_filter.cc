#include "storage/queue/message_filter.h"

#include <algorithm>

#include "format/java_string_hash.h"

namespace mqstore {
namespace {

std::string_view TrimBlanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

TagFilter TagFilter::Parse(std::string_view expression) {
  TagFilter f;
  expression = TrimBlanks(expression);
  if (expression.empty() || expression == "*") {
    f.all_ = true;
    return f;
  }
  // SubscriptionData: tags split on "||", each trimmed, empty ones dropped.
  while (true) {
    const size_t bar = expression.find("||");
    const std::string_view tag = TrimBlanks(expression.substr(0, bar));
    if (!tag.empty()) f.codes_.push_back(TagsCode(tag));
    if (bar == std::string_view::npos) break;
    expression.remove_prefix(bar + 2);
  }
  std::sort(f.codes_.begin(), f.codes_.end());
  f.codes_.erase(std::unique(f.codes_.begin(), f.codes_.end()), f.codes_.end());
  return f;
}

bool TagFilter::IsMatchedByConsumeQueue(int64_t tags_code) const {
  if (all_) return true;
  for (int64_t c : codes_)
    if (c == tags_code) return true;
  return false;
}

}  // namespace mqstore
