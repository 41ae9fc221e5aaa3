// A golden test over a store the engine wrote: MessageStore puts a few
// hundred messages (2 topics x 3 queues, TAGS / UNIQ_KEY / two KEYS tokens, a
// SCHEDULE_TOPIC_XXXX record with DELAY=2, a PREPARED, a ROLLBACK and a
// COMMIT transaction record) into a store with 50-unit consume-queue files
// and 32-slot / 128-entry index files, and shuts down cleanly. The test then
// decodes the consume queues and index files itself (std::ifstream and
// big-endian reads written here, none of the project's decoders), checks
// them record by record against what was put (RocketMQ's ConsumeQueue unit and
// tagsCode, IndexFile layout, putKey and IndexService.queryOffset), and
// holds `mqstore dump cq`, `dump index`, `query` and `verify` to the same
// answers. `mqstore gen` with a broker.conf giving the same small geometry
// is checked the same way.
// One file over ~600 lines on purpose: the store is written once for every
// test here, and the independent decoding it is checked against must not
// share code with the project's decoders, so it lives beside its tests.
#include <gtest/gtest.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "storage/io/fake_clock.h"
#include "storage/message_store.h"
#include "storage/store_log.h"
#include "tests/support/golden.h"
#include "tests/tools/cli_test_util.h"

namespace mqstore {
namespace {

namespace fs = std::filesystem;
using test::Cli;
using test::CliResult;

// ---------------------------------------------------------------------------
// The store's geometry (broker.conf) and the independent decoding.

constexpr int64_t kCqFileSize = 20 * 50;  // mappedFileSizeConsumeQueue: 50 units a file
constexpr int32_t kSlots = 32;            // maxHashSlotNum
constexpr int32_t kMaxIndex = 128;        // maxIndexNum: 127 entries a file
constexpr int64_t kIndexFileSize = 40 + 4 * int64_t{kSlots} + 20 * int64_t{kMaxIndex};
constexpr const char* kScheduleTopic = "SCHEDULE_TOPIC_XXXX";
constexpr const char* kBrokerConf =
    "brokerName=broker-a\nmappedFileSizeCommitLog=65536\nmappedFileSizeConsumeQueue=1000\n"
    "maxHashSlotNum=32\nmaxIndexNum=128\n";
// messageDelayLevel's default, in ms (ScheduleMessageService.parseDelayLevel).
constexpr int64_t kDelayMillis[] = {1000,   5000,   10000,  30000,  60000,  120000,  180000,  240000,  300000,
                                    360000, 420000, 480000, 540000, 600000, 1200000, 1800000, 3600000, 7200000};

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

int32_t BeI32(const std::string& b, size_t pos) {
  uint32_t v = 0;
  for (size_t k = 0; k < 4; ++k) v = v << 8 | static_cast<uint8_t>(b.at(pos + k));
  return static_cast<int32_t>(v);
}

int64_t BeI64(const std::string& b, size_t pos) {
  uint64_t v = 0;
  for (size_t k = 0; k < 8; ++k) v = v << 8 | static_cast<uint8_t>(b.at(pos + k));
  return static_cast<int64_t>(v);
}

bool AllZero(const std::string& b, size_t from, size_t to) {
  for (size_t i = from; i < to && i < b.size(); ++i)
    if (b[i] != 0) return false;
  return true;
}

// Java's String.hashCode over the UTF-16 code units of (valid) UTF-8.
int32_t JavaHash(const std::string& utf8) {
  uint32_t h = 0;
  for (size_t i = 0; i < utf8.size();) {
    const auto c = static_cast<uint8_t>(utf8[i]);
    const size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    for (size_t k = 1; k < len; ++k) cp = cp << 6 | (static_cast<uint8_t>(utf8[i + k]) & 0x3F);
    i += len;
    if (cp >= 0x10000) {
      h = 31 * h + (0xD800 + ((cp - 0x10000) >> 10));
      h = 31 * h + (0xDC00 + ((cp - 0x10000) & 0x3FF));
    } else {
      h = 31 * h + cp;
    }
  }
  return static_cast<int32_t>(h);
}

// Spec 4.2: abs(hashCode of topic#key); Integer.MIN_VALUE becomes 0.
int32_t KeyHash(const std::string& topic, const std::string& key) {
  const int32_t h = JavaHash(topic + "#" + key);
  return h == INT32_MIN ? 0 : (h < 0 ? -h : h);
}

std::vector<std::string> SplitKeys(const std::string& keys) {  // Java split(" "), empty tokens dropped
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= keys.size()) {
    const size_t sp = std::min(keys.find(' ', start), keys.size());
    if (sp > start) out.push_back(keys.substr(start, sp - start));
    start = sp + 1;
  }
  return out;
}

// yyyyMMddHHmmssSSS in the local time zone (an index file's name).
std::string LocalName(int64_t ms) {
  const time_t secs = static_cast<time_t>(ms / 1000);
  struct tm tm {};
  localtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d%H%M%S", &tm);
  return std::string(buf) + std::to_string(1000 + ms % 1000).substr(1);
}

// ---------------------------------------------------------------------------
// What was put, and what the consume queues and the index must say about it.

struct Rec {
  int64_t offset = 0;
  int32_t size = 0;
  std::string topic;
  int32_t queue_id = 0;
  int64_t queue_offset = 0;
  int32_t sys_flag = 0;
  int64_t store_ts = 0;
  std::optional<std::string> tags, uniq, keys;
  int32_t delay_level = 0;

  int32_t TxType() const { return sys_flag & 0xC; }
  bool HasUnit() const { return TxType() == 0x0 || TxType() == 0x8; }  // NOT, COMMIT
  bool Indexed() const { return TxType() != 0xC; }                     // all but ROLLBACK
  // Spec 3.2.
  int64_t TagsCode() const {
    if (topic == kScheduleTopic && delay_level > 0) return store_ts + kDelayMillis[std::min(delay_level, 18) - 1];
    return tags && !tags->empty() ? static_cast<int64_t>(JavaHash(*tags)) : 0;
  }
  // Spec 4.4, in the order they are indexed.
  std::vector<std::string> IndexKeys() const {
    std::vector<std::string> out;
    if (!Indexed()) return out;
    if (uniq) out.push_back(*uniq);
    if (keys)
      for (auto& k : SplitKeys(*keys)) out.push_back(k);
    return out;
  }
  bool HasKey(const std::string& key) const {
    const auto k = IndexKeys();
    return std::find(k.begin(), k.end(), key) != k.end();
  }
};

using QueueName = std::pair<std::string, int32_t>;

struct Unit {
  int64_t offset;
  int32_t size;
  int64_t tags_code;
};

struct Entry {
  int32_t hash = 0;
  int64_t phy = 0;
  int32_t time_diff = 0;
  int32_t prev = 0;
};

struct IndexFile {
  std::string name, path, bytes;
  int64_t begin_ts = 0, end_ts = 0, begin_phy = 0, end_phy = 0;
  int32_t slot_count = 0, index_count = 0;
  std::vector<int32_t> slots;
  std::vector<Entry> entries;  // 0 .. maxIndexNum-1, as stored
};

struct ExpectedEntry {
  int32_t hash;
  int64_t phy;
  int64_t ts;
  std::string topic, key;
};

std::vector<ExpectedEntry> ExpectedEntries(const std::vector<Rec>& recs) {
  std::vector<ExpectedEntry> out;
  for (const Rec& r : recs)
    for (const std::string& k : r.IndexKeys()) out.push_back({KeyHash(r.topic, k), r.offset, r.store_ts, r.topic, k});
  return out;
}

std::map<QueueName, std::vector<const Rec*>> ExpectedQueues(const std::vector<Rec>& recs) {
  std::map<QueueName, std::vector<const Rec*>> out;
  for (const Rec& r : recs)
    if (r.HasUnit()) out[{r.topic, r.queue_id}].push_back(&r);
  return out;
}

std::string CqDir(const std::string& root, const QueueName& q) {
  return root + "/consumequeue/" + q.first + "/" + std::to_string(q.second);
}

std::string Name20(int64_t v) {
  std::string s = std::to_string(v);
  return std::string(20 - s.size(), '0') + s;
}

// Decodes every consume queue under ROOT and checks it unit by unit against
// the records; returns the decoded units.
std::map<QueueName, std::vector<Unit>> CheckConsumeQueues(const std::string& root, const std::vector<Rec>& recs) {
  const auto expected = ExpectedQueues(recs);
  std::set<QueueName> on_disk;
  for (const auto& t : fs::directory_iterator(root + "/consumequeue"))
    for (const auto& q : fs::directory_iterator(t.path()))
      on_disk.insert({t.path().filename().string(), std::stoi(q.path().filename().string())});
  std::set<QueueName> want;
  for (const auto& [q, units] : expected) want.insert(q);
  EXPECT_EQ(on_disk, want) << "one directory per queue that has NOT/COMMIT records, no other";

  std::map<QueueName, std::vector<Unit>> decoded;
  for (const auto& [queue, units] : expected) {
    SCOPED_TRACE(queue.first + "/" + std::to_string(queue.second));
    const std::string dir = CqDir(root, queue);
    const int64_t end = static_cast<int64_t>(units.size()) * 20;
    std::vector<std::string> names;
    for (const auto& f : fs::directory_iterator(dir)) names.push_back(f.path().filename().string());
    std::sort(names.begin(), names.end());
    std::vector<std::string> want_names;  // files named by their first byte's CQ offset
    for (int64_t start = 0; start < end; start += kCqFileSize) want_names.push_back(Name20(start));
    EXPECT_EQ(names, want_names) << "a file every 50 units, none ahead";
    std::map<int64_t, std::string> files;
    for (const std::string& n : names) {
      files[std::stoll(n)] = Slurp(dir + "/" + n);
      EXPECT_EQ(static_cast<int64_t>(files[std::stoll(n)].size()), kCqFileSize) << n << " is full size";
    }
    std::vector<Unit>& out = decoded[queue];
    bool mismatch_reported = false;
    for (size_t n = 0; n < units.size(); ++n) {
      const Rec& r = *units[n];
      EXPECT_EQ(r.queue_offset, static_cast<int64_t>(n)) << "queue offsets go up by one";
      const int64_t byte = static_cast<int64_t>(n) * 20;
      const std::string& file = files[byte - byte % kCqFileSize];
      const size_t pos = static_cast<size_t>(byte % kCqFileSize);
      if (file.size() < pos + 20) {
        ADD_FAILURE() << "unit " << n << " is past the end of its file";
        continue;
      }
      const Unit u{BeI64(file, pos), BeI32(file, pos + 8), BeI64(file, pos + 12)};
      out.push_back(u);
      if (mismatch_reported) continue;
      if (u.offset != r.offset || u.size != r.size || u.tags_code != r.TagsCode()) {
        ADD_FAILURE() << "unit " << n << " is {" << u.offset << ", " << u.size << ", " << u.tags_code
                      << "}, the record gives {" << r.offset << ", " << r.size << ", " << r.TagsCode()
                      << "} (TAGS " << r.tags.value_or("(none)") << "); later units not compared";
        mismatch_reported = true;
      }
    }
    const std::string& last = files[(end - 1) - (end - 1) % kCqFileSize];
    EXPECT_TRUE(AllZero(last, static_cast<size_t>((end - 1) % kCqFileSize + 1), last.size()))
        << "zeros after the last unit";
  }
  std::set<int64_t> unit_offsets;
  for (const auto& [q, units] : decoded)
    for (const Unit& u : units) unit_offsets.insert(u.offset);
  for (const Rec& r : recs) {
    if (!r.HasUnit()) {
      EXPECT_EQ(unit_offsets.count(r.offset), 0u) << "a unit for the record at " << r.offset << " with sysFlag "
                                                   << r.sys_flag;
    }
  }
  return decoded;
}

IndexFile DecodeIndexFile(const std::string& path) {
  IndexFile f;
  f.path = path;
  f.name = fs::path(path).filename().string();
  f.bytes = Slurp(path);
  if (static_cast<int64_t>(f.bytes.size()) != kIndexFileSize) {
    ADD_FAILURE() << path << " has " << f.bytes.size() << " bytes, not " << kIndexFileSize;
    return f;
  }
  f.begin_ts = BeI64(f.bytes, 0);
  f.end_ts = BeI64(f.bytes, 8);
  f.begin_phy = BeI64(f.bytes, 16);
  f.end_phy = BeI64(f.bytes, 24);
  f.slot_count = BeI32(f.bytes, 32);
  f.index_count = BeI32(f.bytes, 36);
  for (int32_t s = 0; s < kSlots; ++s) f.slots.push_back(BeI32(f.bytes, 40 + 4 * static_cast<size_t>(s)));
  for (int32_t n = 0; n < kMaxIndex; ++n) {
    const size_t pos = 40 + 4 * size_t{kSlots} + 20 * static_cast<size_t>(n);
    f.entries.push_back({BeI32(f.bytes, pos), BeI64(f.bytes, pos + 4), BeI32(f.bytes, pos + 12), BeI32(f.bytes, pos + 16)});
  }
  return f;
}

std::vector<IndexFile> DecodeIndexFiles(const std::string& root) {
  std::vector<std::string> paths;
  for (const auto& e : fs::directory_iterator(root + "/index")) paths.push_back(e.path().string());
  std::sort(paths.begin(), paths.end());  // names sort in creation order
  std::vector<IndexFile> files;
  for (const std::string& p : paths) files.push_back(DecodeIndexFile(p));
  return files;
}

// Checks every index file byte for byte against the keys of the records in
// order: 127 entries a file, header fields, slot chains, names.
std::vector<IndexFile> CheckIndexFiles(const std::string& root, const std::vector<Rec>& recs) {
  const std::vector<ExpectedEntry> want = ExpectedEntries(recs);
  std::vector<IndexFile> files = DecodeIndexFiles(root);
  const size_t per_file = kMaxIndex - 1;
  EXPECT_EQ(files.size(), (want.size() + per_file - 1) / per_file) << want.size() << " keys, 127 a file";
  for (size_t fi = 0; fi < files.size(); ++fi) {
    const IndexFile& f = files[fi];
    SCOPED_TRACE("index file " + f.name);
    if (f.entries.empty()) continue;  // wrong size, reported
    const size_t first = fi * per_file;
    const size_t n = std::min(want.size(), first + per_file) - std::min(want.size(), first);
    if (n == 0) continue;
    EXPECT_EQ(f.name.size(), 17u);
    EXPECT_EQ(f.name.find_first_not_of("0123456789"), std::string::npos);
    if (fi > 0) {
      EXPECT_LT(files[fi - 1].name, f.name) << "names go up";
      EXPECT_LE(files[fi - 1].end_ts, f.begin_ts);
    }
    // Named by the local time it was created, once its first key came.
    EXPECT_GE(f.name, LocalName(want[first].ts));
    EXPECT_LE(f.name, LocalName(want[first].ts + 60000));

    EXPECT_EQ(f.index_count, static_cast<int32_t>(n) + 1) << "indexCount = entries + 1";
    if (fi + 1 < files.size()) {
      EXPECT_EQ(f.index_count, kMaxIndex) << "a file rolls only when full";
    }
    EXPECT_EQ(f.begin_phy, want[first].phy);
    EXPECT_EQ(f.begin_ts, want[first].ts);
    EXPECT_EQ(f.end_phy, want[first + n - 1].phy);
    EXPECT_EQ(f.end_ts, want[first + n - 1].ts);

    std::vector<int32_t> slots(kSlots, 0);
    bool entries_match = true;
    for (size_t j = 1; j <= n && entries_match; ++j) {
      const ExpectedEntry& w = want[first + j - 1];
      const Entry& e = f.entries[j];
      const int32_t slot = w.hash % kSlots;
      // Entry 1's time is taken against the begin seeded from the previous
      // file's end (0 in the first file), then begin becomes its own time.
      const int64_t base = j == 1 ? (fi == 0 ? 0 : files[fi - 1].end_ts) : f.begin_ts;
      const int64_t diff = base > 0 ? std::max<int64_t>(0, (w.ts - base) / 1000) : 0;
      const int32_t prev = slots[static_cast<size_t>(slot)];  // the slot's previous entry
      if (e.hash != w.hash || e.phy != w.phy || e.time_diff != diff || e.prev != prev) {
        ADD_FAILURE() << "entry " << j << " is {hash " << e.hash << ", phy " << e.phy << ", timeDiff " << e.time_diff
                      << ", prev " << e.prev << "}, " << w.topic << "#" << w.key << " gives {" << w.hash << ", "
                      << w.phy << ", " << diff << ", " << prev << "}; later entries not compared";
        entries_match = false;
        break;
      }
      slots[static_cast<size_t>(slot)] = static_cast<int32_t>(j);
    }
    if (!entries_match) continue;  // the rest would only repeat it
    EXPECT_EQ(f.slots, slots) << "each slot holds its newest entry";
    EXPECT_EQ(f.slot_count, static_cast<int32_t>(kSlots - std::count(slots.begin(), slots.end(), 0)))
        << "hashSlotCount = used slots";
    const size_t entries_at = 40 + 4 * size_t{kSlots};
    EXPECT_TRUE(AllZero(f.bytes, entries_at, entries_at + 20)) << "entry 0 is never used";
    EXPECT_TRUE(AllZero(f.bytes, entries_at + 20 * (n + 1), f.bytes.size())) << "nothing after the last entry";

    // Every key of the file is reachable from its slot: abs(hash) % slots.
    for (size_t j = 1; j <= n; ++j) {
      const ExpectedEntry& w = want[first + j - 1];
      bool found = false;
      for (int32_t cur = f.slots[static_cast<size_t>(w.hash % kSlots)], steps = 0; cur > 0 && steps < kMaxIndex && !found;
           cur = f.entries[static_cast<size_t>(cur)].prev, ++steps)
        found = f.entries[static_cast<size_t>(cur)].hash == w.hash && f.entries[static_cast<size_t>(cur)].phy == w.phy;
      EXPECT_TRUE(found) << w.topic << "#" << w.key << " -> " << w.phy << " is not on its slot's chain";
    }
  }
  return files;
}

// IndexService.queryOffset over the decoded files, then the
// client's real-key check: what `mqstore query` must print.
std::vector<int64_t> SpecQuery(const std::vector<IndexFile>& files, const std::vector<Rec>& recs,
                               const std::string& topic, const std::string& key, size_t max_num, int64_t begin,
                               int64_t end) {
  max_num = std::min<size_t>(max_num, 64);
  const int32_t hash = KeyHash(topic, key);
  std::vector<int64_t> offsets;
  for (auto it = files.rbegin(); it != files.rend(); ++it) {
    const IndexFile& f = *it;
    if (f.slots.empty()) continue;  // a file of the wrong size, reported elsewhere
    const bool overlaps = (begin < f.begin_ts && end > f.end_ts) || (begin >= f.begin_ts && begin <= f.end_ts) ||
                          (end >= f.begin_ts && end <= f.end_ts);
    if (overlaps && f.index_count > 1) {
      for (int32_t cur = f.slots[static_cast<size_t>(hash % kSlots)]; cur > 0 && cur <= f.index_count;) {
        if (offsets.size() >= max_num) break;
        const Entry& e = f.entries[static_cast<size_t>(cur)];
        if (e.time_diff < 0) break;
        const int64_t t = f.begin_ts + int64_t{e.time_diff} * 1000;
        if (e.hash == hash && t >= begin && t <= end) offsets.push_back(e.phy);
        if (e.prev <= 0 || e.prev > f.index_count || e.prev == cur || t < begin) break;
        cur = e.prev;
      }
    }
    if (f.begin_ts < begin || offsets.size() >= max_num) break;
  }
  std::sort(offsets.begin(), offsets.end());
  offsets.erase(std::unique(offsets.begin(), offsets.end()), offsets.end());
  std::vector<int64_t> real;
  for (int64_t o : offsets)
    for (const Rec& r : recs)
      if (r.offset == o && r.topic == topic && r.HasKey(key)) real.push_back(o);
  return real;
}

std::vector<int64_t> ModelQuery(const std::vector<Rec>& recs, const std::string& topic, const std::string& key) {
  std::vector<int64_t> out;
  for (const Rec& r : recs)
    if (r.topic == topic && r.HasKey(key)) out.push_back(r.offset);
  return out;
}

std::vector<int64_t> CliQuery(const std::string& root, const std::string& topic, const std::string& key,
                              std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"query", root, "--topic", topic, "--key", key, "--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  const CliResult r = Cli(args);
  EXPECT_EQ(r.code, 0) << topic << "#" << key << ": " << r.err;
  std::vector<int64_t> out;
  for (const auto& line : r.Lines()) {
    EXPECT_EQ(line["topic"].s, topic);
    const auto props = line["properties"].StringMap();
    bool has = props.count("UNIQ_KEY") && props.at("UNIQ_KEY") == key;
    if (props.count("KEYS"))
      for (const auto& k : SplitKeys(props.at("KEYS"))) has = has || k == key;
    EXPECT_TRUE(has) << topic << "#" << key << " printed a record without the key at " << line["commitLogOffset"].i;
    out.push_back(line["commitLogOffset"].i);
  }
  return out;
}

std::string Props(const std::vector<std::pair<std::string, std::string>>& props) {
  std::string s;
  for (const auto& [k, v] : props) s += k + '\x01' + v + '\x02';
  return s;
}

// ---------------------------------------------------------------------------
// The store, written once for every test of this file.

struct EngineStore {
  test::TempDir tmp;
  std::string root = tmp.path() + "/store";
  std::string conf = tmp.path() + "/broker.conf";
  std::vector<Rec> recs;
  int64_t second_half_ts = 0;  // store time of the first record put after the pause
  std::string error;
};

constexpr const char* kTagsCycle[] = {"TagA", "TagOrderCreated", "Tag-\xE5\x95\x86\xE5\x93\x81-\xF0\x9F\x98\x80", ""};
constexpr int kNormalMessages = 360;

void WriteEngineStore(EngineStore& s) {
  std::ofstream(s.conf) << kBrokerConf;
  StoreConfig config;
  config.storePathRootDir = s.root;
  if (Status st = config.LoadPropertiesFile(s.conf); !st.ok()) {
    s.error = st.ToString();
    return;
  }
  config.maxMessageSize = 16 * 1024;
  config.flushIntervalCommitLog = 10;
  config.flushIntervalConsumeQueue = 10;
  config.prefaultAheadBytes = 16 << 10;
  SetLogSink([](LogLevel, std::string_view) {});
  // Store times from a FakeClock (the CLI only reads the files they are in).
  FakeClock clock;
  auto opened = MessageStore::Open(config, Env::WithClock(clock));
  if (!opened.ok()) {
    SetLogSink({});
    s.error = opened.error().ToString();
    return;
  }
  MessageStore& store = **opened;
  std::map<QueueName, int64_t> next_qoffset;
  auto put = [&](Rec rec, const std::vector<std::pair<std::string, std::string>>& props, size_t body_size,
                 int64_t prepared_offset = 0) {
    if (!s.error.empty()) return rec;
    const std::string properties = Props(props);
    std::vector<uint8_t> body(body_size);
    for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<uint8_t>('a' + (i + s.recs.size()) % 26);
    Message m;
    m.topic = rec.topic;
    m.queue_id = rec.queue_id;
    m.body = body;
    m.properties = properties;
    m.sys_flag = rec.sys_flag;
    m.prepared_transaction_offset = prepared_offset;
    m.born_timestamp = 1700000000000 + static_cast<int64_t>(s.recs.size());
    m.born_host = SocketAddress::V4(10, 0, 0, 7, 40000);
    m.store_host = SocketAddress::V4(127, 0, 0, 1, 10911);
    const PutResult r = store.Put(m);
    if (!r.ok()) {
      s.error = "put " + std::to_string(s.recs.size()) + ": " + r.reason;
      return rec;
    }
    rec.offset = r.wrote_offset;
    rec.size = r.wrote_bytes;
    rec.store_ts = r.store_timestamp;
    rec.queue_offset = r.queue_offset;
    const int64_t want_qoffset = rec.HasUnit() ? next_qoffset[{rec.topic, rec.queue_id}]++ : 0;
    if (r.queue_offset != want_qoffset)
      s.error = "record " + std::to_string(s.recs.size()) + " got queue offset " + std::to_string(r.queue_offset);
    for (const auto& [k, v] : props) {
      if (k == "TAGS") rec.tags = v;
      if (k == "UNIQ_KEY") rec.uniq = v;
      if (k == "KEYS") rec.keys = v;
      if (k == "DELAY") rec.delay_level = std::stoi(v);
    }
    s.recs.push_back(rec);
    return rec;
  };
  int64_t prepared_offset = 0;
  for (int i = 0; i < kNormalMessages; ++i) {
    if (i == kNormalMessages / 2) {
      // 20 ms pass, so the second half's store times are later than the
      // first's and a time window can tell them apart.
      clock.Advance(20);
    }
    Rec rec;
    rec.topic = i % 2 ? "EngineTopicB" : "EngineTopicA";
    rec.queue_id = (i / 2) % 3;
    char uniq[32];
    std::snprintf(uniq, sizeof uniq, "UNIQ-%05d", i);
    std::string keys = "order-" + std::to_string(i) + " biz-" + std::to_string(i % 7);
    if (i == 7) keys = "order-7  biz-0";  // two spaces: an empty token, skipped
    if (i == 8) keys += " ";              // a trailing space
    std::vector<std::pair<std::string, std::string>> props = {{"UNIQ_KEY", uniq}, {"KEYS", keys}};
    if (i % 5 != 4) props.push_back({"TAGS", kTagsCycle[i % 5]});  // every fifth: no TAGS at all
    const Rec put_rec = put(rec, props, 40 + static_cast<size_t>(i % 97));
    if (i == kNormalMessages / 2) s.second_half_ts = put_rec.store_ts;
    if (i == 60) {
      Rec sched;
      sched.topic = kScheduleTopic;
      sched.queue_id = 1;  // level - 1
      put(sched,
          {{"DELAY", "2"}, {"REAL_TOPIC", "EngineTopicA"}, {"REAL_QID", "0"}, {"TAGS", "TagA"},
           {"UNIQ_KEY", "UNIQ-SCHEDULED"}, {"KEYS", "sched-1 sched-2"}},
          64);
    }
    if (i == 100) {
      Rec prepared;
      prepared.topic = "EngineTopicA";
      prepared.queue_id = 0;
      prepared.sys_flag = 0x4;
      prepared_offset =
          put(prepared, {{"UNIQ_KEY", "UNIQ-TX-PREPARED"}, {"KEYS", "tx-order-1 tx-shared"}, {"TAGS", "TagA"}}, 32)
              .offset;
      Rec rollback = prepared;
      rollback.sys_flag = 0xC;
      put(rollback, {{"UNIQ_KEY", "UNIQ-TX-ROLLBACK"}, {"KEYS", "tx-order-2 tx-shared"}, {"TAGS", "TagA"}}, 32);
    }
    if (i == 120) {
      Rec commit;
      commit.topic = "EngineTopicA";
      commit.queue_id = 0;
      commit.sys_flag = 0x8;
      put(commit, {{"UNIQ_KEY", "UNIQ-TX-COMMIT"}, {"KEYS", "tx-order-1 tx-shared"}, {"TAGS", "TagOrderCreated"}}, 32,
          prepared_offset);
    }
  }
  if (Status st = store.Shutdown(); !st.ok() && s.error.empty()) s.error = "shutdown: " + st.ToString();
  opened->reset();
  SetLogSink({});
}

const EngineStore& Store() {
  static EngineStore store;  // removed at exit
  static const bool written = (WriteEngineStore(store), true);
  (void)written;
  return store;
}

#define REQUIRE_STORE(s)            \
  const EngineStore& s = Store();   \
  ASSERT_EQ(s.error, "") << "writing the store failed"

// A copy of the store that a test may damage.
struct StoreCopy {
  test::TempDir tmp;
  std::string root = tmp.path() + "/store";
  explicit StoreCopy(const std::string& from) { test::CopyTree(from, root); }
};

// ---------------------------------------------------------------------------

TEST(EngineStoreCli, TheTestsJavaHashAgreesWithJava) {
  EXPECT_EQ(JavaHash("TagA"), 2598919);  // the golden store's TagA units
  EXPECT_EQ(JavaHash("TagOrderCreated"), -2082041772) << "a negative hash: tagsCode is sign-extended";
  EXPECT_EQ(JavaHash(kTagsCycle[2]), 1887254562) << "UTF-16 code units, a surrogate pair included";
  EXPECT_EQ(SplitKeys("a  b "), (std::vector<std::string>{"a", "b"}));
}

TEST(EngineStoreCli, EveryNotAndCommitRecordHasItsUnitAndPreparedAndRollbackHaveNone) {
  REQUIRE_STORE(s);
  ASSERT_EQ(s.recs.size(), kNormalMessages + 4u);
  const auto queues = ExpectedQueues(s.recs);
  ASSERT_EQ(queues.size(), 7u) << "2 topics x 3 queues and the schedule queue";
  EXPECT_EQ(queues.at({"EngineTopicA", 0}).size(), 61u) << "60 messages and the COMMIT";
  EXPECT_EQ(queues.at({kScheduleTopic, 1}).size(), 1u);
  const auto units = CheckConsumeQueues(s.root, s.recs);
  // The schedule unit holds the delivery time: store time + level 2 (5 s).
  const Rec& sched = *queues.at({kScheduleTopic, 1})[0];
  ASSERT_EQ(units.at({kScheduleTopic, 1}).size(), 1u);
  EXPECT_EQ(units.at({kScheduleTopic, 1})[0].tags_code, sched.store_ts + 5000);
  // Tags codes that only come out right when done as Java does.
  std::set<int64_t> codes;
  for (const auto& [q, us] : units)
    for (const Unit& u : us) codes.insert(u.tags_code);
  EXPECT_TRUE(codes.count(-2082041772)) << "sign-extended negative hashCode";
  EXPECT_TRUE(codes.count(1887254562)) << "non-ASCII TAGS hashed over UTF-16";
  EXPECT_TRUE(codes.count(0)) << "empty or missing TAGS";
}

TEST(EngineStoreCli, EveryKeyIsOnItsSlotChainAndIndexFilesRollWhenFull) {
  REQUIRE_STORE(s);
  const auto entries = ExpectedEntries(s.recs);
  // 360 x (UNIQ_KEY + two KEYS tokens), the schedule, PREPARED and COMMIT
  // records' three keys each; nothing of the ROLLBACK record.
  EXPECT_EQ(entries.size(), 360u * 3 + 3 * 3);
  for (const ExpectedEntry& e : entries) EXPECT_NE(e.key, "UNIQ-TX-ROLLBACK");
  const auto files = CheckIndexFiles(s.root, s.recs);
  EXPECT_EQ(files.size(), 9u) << "1089 keys in files of 127";
}

TEST(EngineStoreCli, DumpCqJsonMatchesTheIndependentDecodingUnitByUnit) {
  REQUIRE_STORE(s);
  const auto units = CheckConsumeQueues(s.root, s.recs);
  for (const auto& [queue, want] : units) {
    SCOPED_TRACE(queue.first + "/" + std::to_string(queue.second));
    // No layout flags: the CQ file size comes from the files.
    const CliResult r = Cli({"dump", "cq", s.root, queue.first, std::to_string(queue.second), "--json"});
    ASSERT_EQ(r.code, 0) << r.err;
    const auto got = r.Lines();
    ASSERT_EQ(got.size(), want.size());
    for (size_t n = 0; n < got.size(); ++n) {
      EXPECT_EQ(got[n]["queueOffset"].i, static_cast<int64_t>(n));
      EXPECT_EQ(got[n]["commitLogOffset"].i, want[n].offset) << n;
      EXPECT_EQ(got[n]["size"].i, want[n].size) << n;
      EXPECT_EQ(got[n]["tagsCode"].i, want[n].tags_code) << n;
      EXPECT_FALSE(got[n]["blankPad"].b) << n;
    }
    // The broker.conf says the same.
    EXPECT_EQ(Cli({"dump", "cq", s.root, queue.first, std::to_string(queue.second), "--json", "--config", s.conf}).out,
              r.out);
  }
}

TEST(EngineStoreCli, DumpIndexJsonMatchesTheIndependentDecodingEntryByEntry) {
  REQUIRE_STORE(s);
  const auto files = DecodeIndexFiles(s.root);
  ASSERT_FALSE(files.empty());
  for (const IndexFile& f : files) {
    SCOPED_TRACE(f.name);
    // No layout flags: 32 slots / 128 entries is inferred (4 entries a slot).
    const CliResult r = Cli({"dump", "index", f.path, "--json"});
    ASSERT_EQ(r.code, 0) << r.err;
    const auto lines = r.Lines();
    ASSERT_EQ(lines.size(), static_cast<size_t>(f.index_count)) << "the header and indexCount - 1 entries";
    const test::Json& h = lines[0];
    EXPECT_EQ(h["type"].s, "header");
    EXPECT_EQ(h["file"].s, f.path);
    EXPECT_EQ(h["beginTimestamp"].i, f.begin_ts);
    EXPECT_EQ(h["endTimestamp"].i, f.end_ts);
    EXPECT_EQ(h["beginPhyOffset"].i, f.begin_phy);
    EXPECT_EQ(h["endPhyOffset"].i, f.end_phy);
    EXPECT_EQ(h["hashSlotCount"].i, f.slot_count);
    EXPECT_EQ(h["indexCount"].i, f.index_count);
    EXPECT_EQ(h["maxHashSlotNum"].i, kSlots);
    EXPECT_EQ(h["maxIndexNum"].i, kMaxIndex);
    for (size_t n = 1; n < lines.size(); ++n) {
      const test::Json& e = lines[n];
      const Entry& want = f.entries[n];
      EXPECT_EQ(e["type"].s, "entry");
      EXPECT_EQ(e["entry"].i, static_cast<int64_t>(n));
      EXPECT_EQ(e["slot"].i, want.hash % kSlots) << n;
      EXPECT_EQ(e["keyHash"].i, want.hash) << n;
      EXPECT_EQ(e["phyOffset"].i, want.phy) << n;
      EXPECT_EQ(e["timeDiff"].i, want.time_diff) << n;
      EXPECT_EQ(e["prevIndex"].i, want.prev) << n;
    }
    EXPECT_EQ(Cli({"dump", "index", f.path, "--json", "--config", s.conf}).out, r.out);
  }
}

TEST(EngineStoreCli, QueryFindsExactlyTheRecordsCarryingTheKeyInTheTopicAndWindow) {
  REQUIRE_STORE(s);
  const auto files = DecodeIndexFiles(s.root);
  const std::string A = "EngineTopicA", B = "EngineTopicB";
  const std::vector<std::pair<std::string, std::string>> queries = {
      {A, "UNIQ-00000"},       {B, "UNIQ-00359"},     {B, "UNIQ-00007"},    {A, "UNIQ-00180"},
      {A, "order-100"},        {B, "order-7"},        {A, "biz-0"},         {B, "biz-0"},
      {B, "biz-3"},            {A, "order-8"},        {kScheduleTopic, "UNIQ-SCHEDULED"},
      {kScheduleTopic, "sched-2"}, {A, "tx-shared"},  {A, "tx-order-1"},    {A, "UNIQ-TX-PREPARED"},
      {A, "UNIQ-TX-COMMIT"},   {A, "UNIQ-TX-ROLLBACK"}, {A, "tx-order-2"},  {A, "UNIQ-00001"},
      {B, "order-100"},        {A, "no-such-key"}};
  const int64_t first_ts = s.recs.front().store_ts, last_ts = s.recs.back().store_ts;
  const std::string tm = std::to_string(s.second_half_ts);
  for (const auto& [topic, key] : queries) {
    SCOPED_TRACE(topic + "#" + key);
    const std::vector<int64_t> want = ModelQuery(s.recs, topic, key);
    EXPECT_EQ(CliQuery(s.root, topic, key), want) << "by key";
    EXPECT_EQ(SpecQuery(files, s.recs, topic, key, 64, 0, INT64_MAX), want) << "the decoded index agrees";
    EXPECT_EQ(CliQuery(s.root, topic, key, {"--begin", std::to_string(first_ts), "--end", std::to_string(last_ts)}),
              want)
        << "a window around every store time";
    EXPECT_TRUE(CliQuery(s.root, topic, key, {"--begin", std::to_string(last_ts + 1001)}).empty())
        << "a window after the last store time";
    EXPECT_TRUE(CliQuery(s.root, topic, key, {"--end", std::to_string(first_ts - 1)}).empty())
        << "a window before the first";
    // Windows that cut the store in two: exactly what RocketMQ's walk
    // (second-granular entry times) finds.
    EXPECT_EQ(CliQuery(s.root, topic, key, {"--begin", tm}),
              SpecQuery(files, s.recs, topic, key, 64, s.second_half_ts, INT64_MAX));
    EXPECT_EQ(CliQuery(s.root, topic, key, {"--end", std::to_string(s.second_half_ts - 1)}),
              SpecQuery(files, s.recs, topic, key, 64, 0, s.second_half_ts - 1));
  }
  // What the answers above mean.
  EXPECT_EQ(CliQuery(s.root, A, "UNIQ-00000").size(), 1u);
  EXPECT_TRUE(CliQuery(s.root, A, "UNIQ-00001").empty()) << "message 1 is in the other topic";
  EXPECT_TRUE(CliQuery(s.root, A, "UNIQ-TX-ROLLBACK").empty()) << "ROLLBACK records are not indexed";
  EXPECT_TRUE(CliQuery(s.root, A, "tx-order-2").empty());
  EXPECT_EQ(CliQuery(s.root, A, "tx-shared").size(), 2u) << "PREPARED and COMMIT";
  EXPECT_EQ(CliQuery(s.root, A, "tx-order-1").size(), 2u);
  EXPECT_EQ(CliQuery(s.root, B, "order-7").size(), 1u) << "KEYS with two spaces";
  EXPECT_EQ(CliQuery(s.root, A, "order-8").size(), 1u) << "KEYS with a trailing space";
  const auto biz_a = CliQuery(s.root, A, "biz-0"), biz_b = CliQuery(s.root, B, "biz-0");
  EXPECT_GT(biz_a.size(), 20u);
  EXPECT_GT(biz_b.size(), 20u);
  for (int64_t o : biz_a) EXPECT_EQ(std::count(biz_b.begin(), biz_b.end(), o), 0) << "the topic scopes the key";
  EXPECT_TRUE(CliQuery(s.root, A, "UNIQ-00000", {"--begin", tm}).empty()) << "first half, window after it";
  EXPECT_EQ(CliQuery(s.root, B, "UNIQ-00359", {"--begin", tm}).size(), 1u) << "the newest file";
  EXPECT_EQ(CliQuery(s.root, A, "UNIQ-00000", {"--end", std::to_string(s.second_half_ts - 1)}).size(), 1u);
  EXPECT_TRUE(CliQuery(s.root, B, "UNIQ-00359", {"--end", std::to_string(s.second_half_ts - 1)}).empty());
  // --max caps the candidates: the newest ones, as the walk goes newest first.
  const auto capped = CliQuery(s.root, B, "biz-3", {"--max", "3"});
  EXPECT_EQ(capped, SpecQuery(files, s.recs, B, "biz-3", 3, 0, INT64_MAX));
  const auto all = ModelQuery(s.recs, B, "biz-3");
  ASSERT_GE(all.size(), 3u);
  EXPECT_EQ(capped, std::vector<int64_t>(all.end() - 3, all.end()));
  // The text form counts the files it searched.
  const CliResult text = Cli({"query", s.root, "--topic", A, "--key", "tx-shared"});
  EXPECT_NE(text.out.find("EngineTopicA#tx-shared: 2 message(s) (2 index candidate(s) in " +
                          std::to_string(files.size()) + " index file(s))"),
            std::string::npos)
      << text.out;
}

TEST(EngineStoreCli, VerifyFindsNoProblemAndCountsEveryUnitAndEntry) {
  REQUIRE_STORE(s);
  size_t units = 0;
  for (const auto& [q, us] : ExpectedQueues(s.recs)) units += us.size();
  const size_t entries = ExpectedEntries(s.recs).size();
  const std::vector<std::vector<std::string>> layouts = {
      {}, {"--config", s.conf}, {"--cq-file-size", "1000", "--index-slots", "32", "--index-entries", "128"}};
  for (const std::vector<std::string>& flags : layouts) {
    std::vector<std::string> args = {"verify", s.root, "--json"};
    args.insert(args.end(), flags.begin(), flags.end());
    const CliResult r = Cli(args);
    EXPECT_EQ(r.code, 0) << r.out << r.err;
    const auto lines = r.Lines();
    ASSERT_EQ(lines.size(), 1u) << r.out;
    EXPECT_EQ(lines[0]["problems"].i, 0);
    EXPECT_EQ(lines[0]["records"].i, static_cast<int64_t>(s.recs.size()));
    EXPECT_EQ(lines[0]["consumeQueues"].i, 7);
    EXPECT_EQ(lines[0]["cqUnits"].i, static_cast<int64_t>(units));
    EXPECT_EQ(lines[0]["indexFiles"].i, 9);
    EXPECT_EQ(lines[0]["indexEntries"].i, static_cast<int64_t>(entries));
    EXPECT_EQ(lines[0]["indexKeys"].i, static_cast<int64_t>(entries)) << "every key checked, each has its entry";
  }
  EXPECT_NE(Cli({"verify", s.root}).out.find("0 problem(s)"), std::string::npos);
  EXPECT_EQ(Cli({"inspect", s.root}).code, 0);
}

std::vector<test::Json> Problems(const CliResult& r) {
  std::vector<test::Json> out;
  for (const auto& line : r.Lines())
    if (line["type"].s == "problem") out.push_back(line);
  return out;
}

TEST(EngineStoreCli, VerifyNamesTheQueueWhoseLastUnitsAreMissing) {
  REQUIRE_STORE(s);
  StoreCopy copy(s.root);
  const auto queues = ExpectedQueues(s.recs);
  ASSERT_EQ(queues.at({"EngineTopicB", 2}).size(), 60u);
  ASSERT_EQ(queues.at({"EngineTopicA", 1}).size(), 60u);
  // EngineTopicB/2 loses its second file (units 50..59); EngineTopicA/1's
  // unit 59 is zeroed.
  const std::string b2 = CqDir(copy.root, {"EngineTopicB", 2}), a1 = CqDir(copy.root, {"EngineTopicA", 1});
  ASSERT_TRUE(fs::remove(b2 + "/" + Name20(1000)));
  {
    std::fstream f(a1 + "/" + Name20(1000), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(59 * 20 - 1000);
    f.write(std::string(20, '\0').data(), 20);
    ASSERT_TRUE(f.good());
  }
  const CliResult r = Cli({"verify", copy.root, "--json", "--config", s.conf});
  EXPECT_EQ(r.code, 1);
  const auto problems = Problems(r);
  ASSERT_EQ(problems.size(), 2u) << r.out;
  std::map<std::string, test::Json> by_file;
  for (const auto& p : problems) by_file[p["file"].s] = p;
  ASSERT_TRUE(by_file.count(b2)) << r.out;
  ASSERT_TRUE(by_file.count(a1)) << r.out;
  EXPECT_EQ(by_file[b2]["offset"].i, 50 * 20);
  EXPECT_EQ(by_file[b2]["problem"].s,
            "consume queue EngineTopicB/2 ends at unit 50 but the commit log has its records up to queue offset 59");
  EXPECT_EQ(by_file[a1]["offset"].i, 59 * 20);
  EXPECT_EQ(by_file[a1]["problem"].s,
            "consume queue EngineTopicA/1 ends at unit 59 but the commit log has its records up to queue offset 59");
  const CliResult text = Cli({"verify", copy.root});
  EXPECT_EQ(text.code, 1);
  EXPECT_NE(text.out.find("2 problem(s)"), std::string::npos) << text.out;
}

TEST(EngineStoreCli, VerifyNamesTheIndexFileAndEntryWhosePhyOffsetIsWrong) {
  REQUIRE_STORE(s);
  StoreCopy copy(s.root);
  const auto files = DecodeIndexFiles(copy.root);
  ASSERT_GE(files.size(), 2u);
  const IndexFile& f = files[1];
  const int32_t n = 5;
  const Entry& e = f.entries[n];
  // Point the entry at the schedule record, none of whose keys has its hash.
  const Rec* sched = nullptr;
  for (const Rec& r : s.recs)
    if (r.topic == kScheduleTopic) sched = &r;
  ASSERT_NE(sched, nullptr);
  for (const std::string& k : sched->IndexKeys()) ASSERT_NE(KeyHash(sched->topic, k), e.hash);
  const int64_t pos = 40 + 4 * int64_t{kSlots} + 20 * int64_t{n};
  {
    std::fstream out(f.path, std::ios::in | std::ios::out | std::ios::binary);
    char be[8];
    for (int k = 0; k < 8; ++k) be[k] = static_cast<char>(static_cast<uint64_t>(sched->offset) >> (56 - 8 * k));
    out.seekp(pos + 4);
    out.write(be, 8);
    ASSERT_TRUE(out.good());
  }
  ASSERT_EQ(DecodeIndexFile(f.path).entries[n].phy, sched->offset);
  const CliResult r = Cli({"verify", copy.root, "--json", "--config", s.conf});
  EXPECT_EQ(r.code, 1);
  const auto problems = Problems(r);
  // The log is checked first: the record that lost its entry lacks that key.
  ASSERT_EQ(problems.size(), 2u) << r.out;
  EXPECT_EQ(problems[0]["offset"].i, e.phy);
  EXPECT_NE(problems[0]["problem"].s.find("(keyHash " + std::to_string(e.hash) + ") has no index entry"),
            std::string::npos)
      << problems[0]["problem"].s;
  EXPECT_EQ(problems[1]["file"].s, f.path);
  EXPECT_EQ(problems[1]["offset"].i, pos);
  EXPECT_NE(problems[1]["problem"].s.find("no key of the record hashes to " + std::to_string(e.hash)),
            std::string::npos)
      << problems[1]["problem"].s;
}

// Queries walk hash slot chains: with the slots of one file zeroed none of
// its keys is found, and verify says so (it used to report 0 problems).
TEST(EngineStoreCli, VerifyReportsAnIndexFileWhoseHashSlotsAreZeroed) {
  REQUIRE_STORE(s);
  StoreCopy copy(s.root);
  const auto files = DecodeIndexFiles(copy.root);
  ASSERT_GE(files.size(), 2u);
  const IndexFile& f = files[1];
  {
    std::fstream out(f.path, std::ios::in | std::ios::out | std::ios::binary);
    out.seekp(40);
    out.write(std::string(4 * kSlots, '\0').data(), 4 * kSlots);
    ASSERT_TRUE(out.good());
  }
  const CliResult r = Cli({"verify", copy.root, "--json", "--config", s.conf});
  EXPECT_EQ(r.code, 1);
  const auto problems = Problems(r);
  ASSERT_EQ(problems.size(), 1u) << r.out;
  EXPECT_EQ(problems[0]["file"].s, f.path);
  EXPECT_EQ(problems[0]["offset"].i, 40 + 4 * int64_t{kSlots} + 20);
  EXPECT_EQ(problems[0]["problem"].s, "entries 1..127 (127) are reached from no hash slot: no query finds them");
  const CliResult text = Cli({"verify", copy.root, "--config", s.conf});
  EXPECT_NE(text.out.find("1 problem(s)"), std::string::npos) << text.out;
}

// `mqstore gen` takes the geometry from --config (a broker.conf), so its
// stores roll small CQ and index files too; they decode the same way, with
// the records taken from `mqstore dump commitlog`.
TEST(EngineStoreCli, GenWithABrokerConfWritesSmallQueuesAndIndexFilesThatDecodeIndependently) {
  test::TempDir tmp;
  const std::string root = tmp.path() + "/gen", conf = tmp.path() + "/broker.conf";
  std::ofstream(conf) << kBrokerConf;
  const CliResult gen = Cli({"gen", root, "--messages", "310", "--body-size", "64", "--topics", "2", "--queues", "3",
                             "--segment-size", "64k", "--config", conf});
  ASSERT_EQ(gen.code, 0) << gen.err;
  std::vector<Rec> recs;
  const CliResult dump = Cli({"dump", "commitlog", root, "--json"});
  ASSERT_EQ(dump.code, 0) << dump.err;
  for (const auto& line : dump.Lines()) {
    if (line.Has("blank")) continue;
    Rec r;
    r.offset = line["commitLogOffset"].i;
    r.size = static_cast<int32_t>(line["storeSize"].i);
    r.topic = line["topic"].s;
    r.queue_id = static_cast<int32_t>(line["queueId"].i);
    r.queue_offset = line["queueOffset"].i;
    r.sys_flag = static_cast<int32_t>(line["sysFlag"].i);
    r.store_ts = line["storeTimestamp"].i;
    const auto props = line["properties"].StringMap();
    if (props.count("TAGS")) r.tags = props.at("TAGS");
    if (props.count("UNIQ_KEY")) r.uniq = props.at("UNIQ_KEY");
    if (props.count("KEYS")) r.keys = props.at("KEYS");
    recs.push_back(r);
  }
  ASSERT_EQ(recs.size(), 310u);
  const auto units = CheckConsumeQueues(root, recs);
  EXPECT_EQ(units.size(), 6u);
  EXPECT_EQ(units.at({"GenTopic0", 0}).size(), 52u) << "two CQ files";
  const auto files = CheckIndexFiles(root, recs);
  EXPECT_EQ(files.size(), 8u) << "930 keys in files of 127";
  const CliResult verify = Cli({"verify", root, "--config", conf});
  EXPECT_EQ(verify.code, 0) << verify.out;
  EXPECT_EQ(CliQuery(root, "GenTopic1", "key-309"), ModelQuery(recs, "GenTopic1", "key-309"));
  EXPECT_EQ(CliQuery(root, "GenTopic0", "group-0").size(), ModelQuery(recs, "GenTopic0", "group-0").size());
}

}  // namespace
}  // namespace mqstore
