#include "storage/index/query_message.h"

#include <algorithm>

#include "format/properties.h"

namespace mqstore {

bool KeyMatches(const MessageRecordView& m, std::string_view topic, std::string_view key) {
  if (m.topic != topic) return false;
  bool match = false;
  m.properties().ForEach([&](const Property& p) {
    if (p.name == property::kUniqKey && p.value == key) match = true;
    if (p.name == property::kKeys) ForEachKey(p.value, [&](std::string_view k) { match = match || k == key; });
  });
  return match;
}

QueryMessageResult QueryMessage(const IndexService& index, const CommitLog& log, std::string_view topic,
                                std::string_view key, int32_t max_num, int64_t begin, int64_t end) {
  QueryMessageResult r;
  if (max_num <= 0) return r;
  const IndexStats stats = index.Stats();
  r.index_last_update_timestamp = stats.last_update_timestamp;
  r.index_last_update_phyoffset = stats.last_update_phy_offset;
  // Up to three rounds, each ending where the previous one's oldest hit
  // was stored (DefaultMessageStore.queryMessage): collisions can crowd a
  // round's candidates out.
  int64_t last_time = end;
  for (int round = 0; round < 3 && r.messages.empty() && last_time >= begin; ++round) {
    std::vector<int64_t> offsets = index.QueryOffsets(topic, key, static_cast<size_t>(max_num), begin, last_time);
    if (offsets.empty()) break;
    // One record found under two of its keys (UNIQ_KEY and a KEYS token) once.
    offsets.erase(std::unique(offsets.begin(), offsets.end()), offsets.end());
    for (size_t i = 0; i < offsets.size(); ++i) {
      auto m = log.LookMessage(offsets[i]);
      if (!m.ok()) continue;
      if (i == 0) last_time = m->message.store_timestamp;
      if (KeyMatches(m->message, topic, key)) r.messages.push_back(std::move(*m));
    }
  }
  return r;
}

}  // namespace mqstore
