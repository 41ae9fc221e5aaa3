// MessageFilter: what a pull keeps (RocketMQ's MessageFilter). The
// consume-queue test sees only a unit's tagsCode; the commit-log test sees
// the whole record (an SQL92 filter would live there).
//
// TagFilter is the common case, a subscription expression "TagA || TagB"
// ("*" or "" = everything): it matches the hashCode of each tag, as RocketMQ
// compares tagsCode (collisions pass; a broker re-checks the tag string).
// Because it is a plain set of tagsCodes, the per-queue tag bitmaps can
// answer it without reading units.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace mqstore {

class MessageFilter {
 public:
  virtual ~MessageFilter() = default;
  virtual bool IsMatchedByConsumeQueue(int64_t tags_code) const = 0;
  virtual bool IsMatchedByCommitLog(std::span<const uint8_t> /*record*/) const { return true; }
  // The tagsCodes this filter accepts when it is exactly a set of them
  // (nothing else is checked); empty otherwise.
  virtual std::span<const int64_t> TagCodes() const { return {}; }
};

class TagFilter final : public MessageFilter {
 public:
  // "TagA || TagB"; blanks around tags are ignored. "*" or "" accepts all.
  static TagFilter Parse(std::string_view expression);

  bool accepts_all() const { return all_; }
  bool IsMatchedByConsumeQueue(int64_t tags_code) const override;
  std::span<const int64_t> TagCodes() const override { return codes_; }

 private:
  bool all_ = false;
  std::vector<int64_t> codes_;
};

}  // namespace mqstore
