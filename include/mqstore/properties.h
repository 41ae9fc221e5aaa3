// The PROPERTIES string of a record (MessageDecoder):
//
//   name 0x01 value 0x02 name 0x01 value [0x02]
//
// Writers before 4.9.1 and from 5.2.0 end with 0x02; 4.9.1 .. 5.1.4 do not.
// Readers split on 0x02 and, inside each segment, on the FIRST 0x01; a pair
// is kept only when that 0x01 is neither the first nor the last byte of the
// segment (so empty names and empty values are dropped). A later duplicate
// name wins.
#pragma once

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mqstore/status.h"

namespace mqstore {

inline constexpr char kNameValueSeparator = '\x01';
inline constexpr char kPropertySeparator = '\x02';

// Keys the store itself reads (MessageConst).
namespace property {
inline constexpr std::string_view kKeys = "KEYS";
inline constexpr std::string_view kTags = "TAGS";
inline constexpr std::string_view kUniqKey = "UNIQ_KEY";
inline constexpr std::string_view kWait = "WAIT";
inline constexpr std::string_view kDelay = "DELAY";
inline constexpr std::string_view kRealTopic = "REAL_TOPIC";
inline constexpr std::string_view kRealQueueId = "REAL_QID";
inline constexpr std::string_view kTransactionPrepared = "TRAN_MSG";
inline constexpr std::string_view kProducerGroup = "PGROUP";
// Timer messages (5.x) and what the timer store adds when it fires one.
inline constexpr std::string_view kTimerDeliverMs = "TIMER_DELIVER_MS";
inline constexpr std::string_view kTimerDelaySec = "TIMER_DELAY_SEC";
inline constexpr std::string_view kTimerDelayMs = "TIMER_DELAY_MS";
inline constexpr std::string_view kTimerOutMs = "TIMER_OUT_MS";
inline constexpr std::string_view kTimerEnqueueMs = "TIMER_ENQUEUE_MS";
inline constexpr std::string_view kTimerDequeueMs = "TIMER_DEQUEUE_MS";
inline constexpr std::string_view kTimerRollTimes = "TIMER_ROLL_TIMES";
inline constexpr std::string_view kTimerDelUniqKey = "TIMER_DEL_UNIQKEY";
inline constexpr char kKeySeparator = ' ';
}  // namespace property

struct Property {
  std::string_view name;
  std::string_view value;
  bool operator==(const Property&) const = default;
};

// A read-only view over a properties string; nothing is copied.
class PropertiesView {
 public:
  PropertiesView() = default;
  explicit PropertiesView(std::string_view raw) : raw_(raw) {}

  std::string_view raw() const { return raw_; }
  bool empty() const { return raw_.empty(); }

  // Calls fn(Property) for every pair the upstream reader keeps, in order of
  // appearance (duplicates included; the last one is the map's value).
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    // Only the separator bytes are visited, found 16 bytes at a time where
    // SSE2 is there (this runs for every dispatched record; a search call
    // per separator cost more than it saved). The end closes the last pair.
    size_t start = 0;
    size_t sep = std::string_view::npos;  // the first name/value separator of this pair
    auto at = [&](size_t i, char c) {
      if (c == kNameValueSeparator) {
        if (sep == std::string_view::npos) sep = i;
        return;
      }
      if (sep != std::string_view::npos && sep > start && sep + 1 < i)
        fn(Property{raw_.substr(start, sep - start), raw_.substr(sep + 1, i - sep - 1)});
      start = i + 1;
      sep = std::string_view::npos;
    };
    const char* p = raw_.data();
    const size_t len = raw_.size();
    size_t i = 0;
#ifdef __SSE2__
    const __m128i one = _mm_set1_epi8(kNameValueSeparator), two = _mm_set1_epi8(kPropertySeparator);
    for (; i + 16 <= len; i += 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
      auto mask = static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, one), _mm_cmpeq_epi8(v, two))));
      for (; mask != 0; mask &= mask - 1) {
        const size_t k = i + static_cast<size_t>(__builtin_ctz(mask));
        at(k, p[k]);
      }
    }
#endif
    for (; i < len; ++i)
      if (p[i] == kNameValueSeparator || p[i] == kPropertySeparator) at(i, p[i]);
    at(len, kPropertySeparator);
  }

  // The value the upstream map holds for `name` (the last kept pair).
  std::optional<std::string_view> Get(std::string_view name) const;

  // The kept pairs with duplicates collapsed (last wins), in order of the
  // winning pair's first appearance.
  std::vector<Property> ToList() const;

 private:
  std::string_view raw_;
};

enum class TrailingSeparator : bool { kOmit = false, kAppend = true };

// Appends `props` in the writer's form. Fails when a name or value holds a
// separator byte, a name is empty, or a value is empty (none of these would
// read back the same).
Status AppendProperties(std::string& out, const std::vector<Property>& props,
                        TrailingSeparator trailing = TrailingSeparator::kOmit);

// Convenience: the string for `props`, or the error above.
Result<std::string> SerializeProperties(const std::vector<Property>& props,
                                        TrailingSeparator trailing = TrailingSeparator::kOmit);

// KEYS split as Java's String.split(" "): empty tokens are skipped (the index
// builder drops them anyway).
template <typename Fn>
void ForEachKey(std::string_view keys, Fn&& fn) {
  size_t i = 0;
  while (i <= keys.size()) {
    size_t end = keys.find(property::kKeySeparator, i);
    if (end == std::string_view::npos) end = keys.size();
    if (end > i) fn(keys.substr(i, end - i));
    i = end + 1;
  }
}

}  // namespace mqstore
