#include "tools/inspect_timers.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "format/delay_offset_json.h"
#include "storage/io/config_file.h"
#include "storage/offline/consume_queue_reader.h"
#include "storage/offline/timer_files_reader.h"
#include "storage/offline/timer_pending.h"
#include "tools/commands.h"
#include "tools/display_text.h"
#include "tools/json_writer.h"
#include "tools/table.h"

namespace mqstore::cli {
namespace {

constexpr char kScheduleTopic[] = "SCHEDULE_TOPIC_XXXX";
const char* const kDueJsonKeys[kDueBuckets] = {"overdue", "lt1m", "lt10m", "lt1h", "lt1d", "ge1d"};

// The delay levels' progress as the store would load it: delayOffset.json,
// else its .bak; a file that does not parse is a problem, never an error.
std::map<int32_t, int64_t> ReadDelayProgress(FileSystem& fs, const StorePaths& paths, TimerOverview& t) {
  const std::string path = JoinPath(JoinPath(paths.root, "config"), "delayOffset.json");
  for (const std::string& candidate : {path, ConfigBackupPath(path)}) {
    auto text = ReadConfigFile(fs, candidate, kMaxConfigFileBytes, "a delay offset table");
    if (!text.ok()) {
      t.problems.push_back(text.error().ToString());
      continue;
    }
    if (!*text || (*text)->empty()) continue;
    auto table = ParseDelayOffsetJson(**text);
    if (!table.ok()) {
      t.problems.push_back(candidate + ": " + table.error().message());
      continue;
    }
    t.delay_progress_source = candidate == path ? "config/delayOffset.json" : "config/delayOffset.json.bak";
    return table->offset_table;
  }
  return {};
}

Status AddDelayLevels(FileSystem& fs, const StorePaths& paths, const StoreReadOptions& options, int64_t now_ms,
                      TimerOverview& t) {
  const std::map<int32_t, int64_t> progress = ReadDelayProgress(fs, paths, t);
  auto queues = ListConsumeQueues(fs, paths);
  if (!queues.ok()) return queues.error();
  for (const ConsumeQueueLocation& loc : *queues) {
    if (loc.topic != kScheduleTopic) continue;
    auto reader = ConsumeQueueReader::Open(fs, loc, options.consume_queue_file_size);
    if (!reader.ok()) {
      t.problems.push_back(reader.error().message());
      continue;
    }
    DelayLevelQueue q;
    q.queue_id = loc.queue_id;
    if (auto it = progress.find(loc.queue_id + 1); it != progress.end()) q.delivered_to = it->second;
    Status st = reader->ForEachUnit([&](int64_t queue_offset, const ConsumeQueueUnit& u) {
      ++q.messages;
      if (queue_offset < q.delivered_to) return;
      ++q.pending;
      AddDue(q.due, u.tags_code, now_ms);
    });
    if (!st.ok()) t.problems.push_back(st.message());
    t.delay_levels.push_back(q);
  }
  return Status::Ok();
}

std::string Histogram(const DueHistogram& h) {
  std::string s;
  for (size_t i = 0; i < kDueBuckets; ++i) s += std::string(i ? "  " : "") + kDueBucketNames[i] + " " + std::to_string(h[i]);
  return s;
}

// One '#' per share of the largest bucket, 30 at most.
std::string Bar(uint64_t n, uint64_t max) { return std::string(max == 0 ? 0 : (n * 30 + max - 1) / max, '#'); }

std::string HistogramJson(const DueHistogram& h) {
  JsonLine j;
  for (size_t i = 0; i < kDueBuckets; ++i) j.UInt(kDueJsonKeys[i], h[i]);
  return j.Done();
}

}  // namespace

const char* const kDueBucketNames[kDueBuckets] = {"due", "<1m", "<10m", "<1h", "<1d", ">=1d"};

void AddDue(DueHistogram& h, int64_t due_ms, int64_t reference_ms) {
  const int64_t in = due_ms - reference_ms;
  const int64_t limits[] = {0, 60000, 600000, 3600000, 86400000};
  size_t b = 0;
  while (b < 5 && in >= limits[b]) ++b;
  ++h[b];
}

Result<TimerOverview> OverviewTimers(FileSystem& fs, const StorePaths& paths, const StoreReadOptions& options,
                                     int64_t now_ms) {
  TimerOverview t;
  MQ_RETURN_IF_ERROR(AddDelayLevels(fs, paths, options, now_ms, t));
  auto reader = TimerFilesReader::Open(fs, paths, options);
  if (!reader.ok()) return reader.error();
  t.timer_files = reader->HasTimerFiles();
  if (!t.timer_files) return t;
  auto pending = ComputePendingTimers(fs, paths, options);
  if (!pending.ok()) {
    t.problems.push_back(pending.error().message());
    return t;
  }
  t.last_read_time_ms = pending->last_read_time_ms;
  t.slots = pending->slots;
  t.pending = pending->timers.size();
  t.recalled = pending->recalled;
  for (const PendingTimer& p : pending->timers)
    if (!p.recalled) AddDue(t.due, p.deliver_ms, t.last_read_time_ms);
  for (const std::string& p : pending->problems) t.problems.push_back(p);
  return t;
}

void PrintTimerOverviewText(const TimerOverview& t, int64_t now_ms, std::ostream& out) {
  if (t.timer_files) {
    out << "\ntimers (5.x wheel): " << t.pending << " pending in " << t.slots << " slot(s), " << t.recalled
        << " of them recalled; due after lastReadTimeMs " << FormatMillis(t.last_read_time_ms) << ":\n";
    const uint64_t max = *std::max_element(t.due.begin(), t.due.end());
    for (size_t i = 0; i < kDueBuckets; ++i) {
      char row[64];
      std::snprintf(row, sizeof row, "  %-5s %8llu  ", kDueBucketNames[i], static_cast<unsigned long long>(t.due[i]));
      out << row << Bar(t.due[i], max) << "\n";
    }
  }
  if (!t.delay_levels.empty()) {
    out << "\ndelay levels (" << kScheduleTopic << "), delivered up to "
        << (t.delay_progress_source.empty() ? "nothing yet (no config/delayOffset.json)" : t.delay_progress_source)
        << "; pending due by tagsCode against now " << FormatMillis(now_ms) << ":\n";
    Table table({"QUEUE", "LEVEL", "MESSAGES", "DELIVERED", "PENDING", "DUE"});
    for (const DelayLevelQueue& q : t.delay_levels)
      table.AddRow({std::to_string(q.queue_id), std::to_string(q.queue_id + 1), std::to_string(q.messages),
                    std::to_string(q.delivered_to), std::to_string(q.pending), Histogram(q.due)});
    table.Print(out);
  }
  for (const std::string& p : t.problems) out << "  timer problem: " << DisplayText(p) << "\n";
}

void PrintTimerOverviewJson(const TimerOverview& t, int64_t now_ms, std::ostream& out) {
  if (t.timer_files) {
    JsonLine line;
    line.Str("type", "timers").Int("lastReadTimeMs", t.last_read_time_ms).UInt("pending", t.pending)
        .UInt("recalled", t.recalled).UInt("slots", t.slots).Raw("due", HistogramJson(t.due));
    out << line.Done() << '\n';
  }
  for (const DelayLevelQueue& q : t.delay_levels)
    out << JsonLine().Str("type", "delayLevelQueue").Int("queueId", q.queue_id).Int("level", q.queue_id + 1)
               .UInt("messages", q.messages).Int("deliveredTo", q.delivered_to).UInt("pending", q.pending)
               .Str("progress", t.delay_progress_source).Int("now", now_ms).Raw("due", HistogramJson(q.due)).Done()
        << '\n';
  for (const std::string& p : t.problems) out << JsonLine().Str("type", "timerProblem").Str("error", p).Done() << '\n';
}

}  // namespace mqstore::cli
