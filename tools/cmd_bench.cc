// mqstore bench: the harness for disk and flush tuning. Parses the command
// line into one BenchSpec per point (one, or one per --sweep value), runs
// each in its store directory (bench_workloads.h) and prints a table, JSON
// or an SVG plot of the sweep.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "storage/store_log.h"
#include "tools/bench_workloads.h"
#include "tools/cli.h"
#include "tools/commands.h"
#include "tools/json_writer.h"
#include "tools/svg_plot.h"
#include "tools/table.h"

namespace mqstore::cli {
namespace {

using bench::BenchResult;
using bench::BenchSpec;

const char kHelp[] =
    "usage: mqstore bench --workload put|put-sync|read|recover|dispatch|timer [options]\n"
    "\n"
    "Measures the engine on this machine: throughput, latency percentiles, the\n"
    "flush service's group commits, and ceilings (what plain memcpy, write and\n"
    "fdatasync achieve on the same directory) with the ratio to them.\n"
    "\n"
    "workloads:\n"
    "  put        producers store messages (ASYNC_FLUSH unless --flush sync)\n"
    "  put-sync   the same with SYNC_FLUSH: each put waits for its group commit\n"
    "  read       writes a store (unless --dir holds one), reopens it and reads the\n"
    "             whole log through a cursor; checks the count. Then one thread\n"
    "             pulls every queue with GetMessage, 32 per pull, twice\n"
    "             (get_message_msgs_per_s: the second pass), pulls tag \"Rare\"\n"
    "             (1 message in 1000) through the tag bitmaps and by scanning\n"
    "             (filtered_bitmap_msgs_per_s, filtered_scan_msgs_per_s,\n"
    "             bitmap_speedup) and looks up to 100000 sampled UNIQ_KEYs up with\n"
    "             QueryMessage (query_p50_us, query_p99_us); checks every count\n"
    "  recover    writes a store (unless --dir holds one), leaves the abort file\n"
    "             and reopens it: abnormal recovery, reported in MB/s\n"
    "  dispatch   puts with dispatchOnOwnThread=false (put_msgs_per_s), then\n"
    "             dispatches the whole log with DispatchOnce: consume queues and\n"
    "             index (dispatch_msgs_per_s, dispatch_to_put); checks the counts\n"
    "  timer      puts --timers N timer messages due over N/200000 s, then reopens:\n"
    "             the wheel's enqueue rate (enqueue_timers_per_sec, pending_max),\n"
    "             delivery (deliver_timers_per_sec, lateness_ms p50/p99/max), and\n"
    "             the same pairs into a binary heap and a std::multimap\n"
    "             (heap_inserts_per_sec, ordered_set_inserts_per_sec); rss_mb\n"
    "\n"
    "options:\n"
    "  --producers N        producer threads (default 1; put-sync: 64)\n"
    "  --msg-size B         body bytes per message (default 1024)\n"
    "  --messages M         messages in all (default 100000)\n"
    "  --seconds S          produce for S seconds instead of --messages\n"
    "  --topics T           topics BenchTopic0..T-1 (default 1)\n"
    "  --queues Q           queue ids 0..Q-1 per topic (default 8)\n"
    "  --inflight N         PutAsync with at most N outstanding puts per producer\n"
    "                       (default: blocking Put)\n"
    "  --flush async|sync   flushDiskType (put-sync implies sync)\n"
    "  --backend mmap|write writeWithoutMmap=false|true (default: the store's default)\n"
    "  --config FILE        a broker .properties file, applied first\n"
    "  --set key=value      any store knob (repeatable; overrides --config)\n"
    "  --dir D              the store root (kept; read/recover reuse a store there);\n"
    "                       default: a new directory under $TMPDIR or /tmp, removed\n"
    "  --keep               keep the temporary store and print where it is\n"
    "  --json               one JSON object on stdout (an array with --sweep)\n"
    "  --ack-log FILE       append \"commitLogOffset uniqKey\" per acknowledged put,\n"
    "                       written before the producer's next put\n"
    "  --sweep key=v1,v2    one run per value; key: a store knob or producers,\n"
    "                       inflight, backend, flush, msg-size\n"
    "  --plot FILE.svg      with --sweep: msgs/s and p99 latency over the values\n"
    "  --ceiling-seconds S  time budget of each ceiling (default 1; 0 = none). Put\n"
    "                       runs measure fresh-page memcpy (the async ceiling) and\n"
    "                       the first-touch rate just before and after the run:\n"
    "                       memory_state warm or cold; with --seconds >= 60 also\n"
    "                       the disk's sequential write (durable_to_seq_write)\n"
    "  --replica            put-sync: brokerRole=SYNC_MASTER with an in-process slave\n"
    "                       over loopback, after the same run without it\n"
    "                       (ratio_to_unreplicated, p99_to_unreplicated_p99,\n"
    "                       replication_lag_max_bytes)\n"
    "  --replica-root DIR   with --replica: the slave's store in a new directory\n"
    "                       made in DIR, removed afterwards unless --keep (default:\n"
    "                       beside the master's, sharing its disk; a real slave\n"
    "                       writes to a disk of its own)\n"
    "  --replica-nice N     with --replica: the slave's threads at nice N (0-19,\n"
    "                       default 10): a real slave has CPUs of its own, the\n"
    "                       in-process one takes what the master leaves\n"
    "  --timers N           timer: timers in all (default 1000000; 100-byte bodies\n"
    "                       unless --msg-size)\n"
    "  --precision-ms P     timer: timerPrecisionMs (default 1000)\n"
    "  --dedup              put, put-sync: duplicate suppression off and on\n"
    "                       (dedupWindowSeconds=3600 unless --set) as four runs of\n"
    "                       half the messages (or seconds) each, in the order off,\n"
    "                       on, on, off after an uncounted warm-up, in\n"
    "                       <dir>/dedup-off-1, dedup-on-1, dedup-on-2, dedup-off-2;\n"
    "                       each run's store is synced and dropped from the page\n"
    "                       cache before the next run starts, and as much memory\n"
    "                       as a run will fill is written and freed just before\n"
    "                       it (runs[].warm_up_touch_mb_per_sec). The put rate\n"
    "                       of each mode over its two runs (dedup_off_msgs_per_s,\n"
    "                       dedup_on_to_off), and the duplicates answered and\n"
    "                       suppressed, checked against the repeats sent\n"
    "  --dup-fraction F     with --dedup: the share of each producer's puts that\n"
    "                       repeat one of its messages ~1000 puts back (default 0.1;\n"
    "                       0 to 0.99)\n"
    "\n"
    "Exit codes: 0 success, 1 failed puts, a read or dispatch mismatch or an error,\n"
    "2 usage error.\n";

const std::set<std::string> kValueFlags = {"workload", "producers", "msg-size", "messages", "seconds", "topics",
                                           "queues",   "inflight",  "flush",    "backend",  "config",  "set",
                                           "dir",      "ack-log",   "sweep",    "plot",     "ceiling-seconds",
                                           "timers",   "precision-ms", "dup-fraction", "replica-root", "replica-nice"};
const std::set<std::string> kSweepFlags = {"producers", "inflight", "backend", "flush", "msg-size"};

// The value one point of a sweep gives a knob.
struct SweepPoint {
  std::string key, value;
};

std::optional<std::string> FlagValue(const Args& args, const SweepPoint* point, const std::string& flag) {
  if (point != nullptr && point->key == flag) return point->value;
  return args.Get(flag);
}

Result<int64_t> IntFlag(const Args& args, const SweepPoint* point, const std::string& flag, int64_t def, int64_t min,
                        int64_t max) {
  const auto text = FlagValue(args, point, flag);
  if (!text) return def;
  const auto v = ParseSize(*text);
  if (!v || *v < min || *v > max)
    return Status::InvalidArgument("--" + flag + " must be an integer in [" + std::to_string(min) + ", " +
                                   std::to_string(max) + "], not '" + *text + "'");
  return *v;
}

Result<double> SecondsFlag(const Args& args, const std::string& flag, double def) {
  const auto text = args.Get(flag);
  if (!text) return def;
  char* end = nullptr;
  const double v = std::strtod(text->c_str(), &end);
  if (text->empty() || *end != '\0' || !std::isfinite(v) || v < 0 || v > 1e6)
    return Status::InvalidArgument("--" + flag + " must be a number of seconds, not '" + *text + "'");
  return v;
}

// --config (`from_file`), then --set, then the sweep's knob, then --flush
// and --backend.
Result<StoreConfig> ConfigFromArgs(const Args& args, const SweepPoint* point, bench::Workload workload,
                                   const StoreConfig& from_file) {
  StoreConfig c = from_file;
  for (const std::string& kv : args.GetAll("set")) MQ_RETURN_IF_ERROR(ApplySetFlag(c, kv));
  if (point != nullptr && !kSweepFlags.count(point->key)) {
    Status st = c.Set(point->key, point->value);
    if (st.code() == StatusCode::kNotFound)
      return Status::InvalidArgument("--sweep " + st.message() +
                                     " (nor one of producers, inflight, backend, flush, msg-size)");
    if (!st.ok()) return Status::InvalidArgument("--sweep " + st.message());
  }
  if (auto flush = FlagValue(args, point, "flush")) {
    if (*flush != "async" && *flush != "sync")
      return Status::InvalidArgument("--flush must be async or sync, not '" + *flush + "'");
    if (*flush == "async" && workload == bench::Workload::kPutSync)
      return Status::InvalidArgument("--flush async contradicts --workload put-sync");
    c.flushDiskType = *flush == "sync" ? FlushDiskType::kSyncFlush : FlushDiskType::kAsyncFlush;
  }
  if (workload == bench::Workload::kPutSync) c.flushDiskType = FlushDiskType::kSyncFlush;
  if (auto backend = FlagValue(args, point, "backend")) {
    if (*backend != "mmap" && *backend != "write")
      return Status::InvalidArgument("--backend must be mmap or write, not '" + *backend + "'");
    c.writeWithoutMmap = *backend == "write";
  }
  if (auto precision = args.Get("precision-ms")) MQ_RETURN_IF_ERROR(c.Set("timerPrecisionMs", *precision));
  c.storePathCommitLog.clear();  // the bench places the store
  return c;
}

Status CountsFromArgs(const Args& args, const SweepPoint* point, BenchSpec& s) {
  struct Knob { const char* name; int64_t def, min, max; int64_t* out; };
  int64_t producers = 0, topics = 0, queues = 0, inflight = 0;
  const int64_t default_producers = s.workload == bench::Workload::kPutSync ? 64 : 1;
  const bool timer = s.workload == bench::Workload::kTimer;
  const Knob knobs[] = {
      {"producers", default_producers, 1, 4096, &producers},
      {"msg-size", timer ? 100 : 1024, 0, s.config.maxMessageSize, &s.msg_size},
      {timer ? "timers" : "messages", timer ? 1000000 : 100000, 1, int64_t{1} << 40, &s.messages},
      {"topics", 1, 1, 10000, &topics},
      {"queues", 8, 1, 10000, &queues},
      {"inflight", 0, 1, 1 << 20, &inflight},
  };
  for (const Knob& k : knobs) {
    auto v = IntFlag(args, point, k.name, k.def, k.min, k.max);
    if (!v.ok()) return v.error();
    *k.out = *v;
  }
  s.producers = static_cast<int>(producers);
  s.topics = static_cast<int>(topics);
  s.queues = static_cast<int>(queues);
  s.inflight = static_cast<int>(inflight);
  return Status::Ok();
}

Status DedupFromArgs(const Args& args, BenchSpec& s) {
  s.dedup = args.Has("dedup");
  const bool put = s.workload == bench::Workload::kPut || s.workload == bench::Workload::kPutSync;
  if (s.dedup && !put) return Status::InvalidArgument("--dedup is for --workload put or put-sync");
  const auto fraction = args.Get("dup-fraction");
  if (!fraction) return Status::Ok();
  if (!s.dedup) return Status::InvalidArgument("--dup-fraction needs --dedup");
  char* end = nullptr;
  const double f = std::strtod(fraction->c_str(), &end);
  if (fraction->empty() || *end != '\0' || !(f >= 0 && f <= 0.99))
    return Status::InvalidArgument("--dup-fraction must be a number in [0, 0.99], not '" + *fraction + "'");
  s.dup_fraction = f;
  return Status::Ok();
}

Result<BenchSpec> SpecFromArgs(const Args& args, const SweepPoint* point, const StoreConfig& from_file) {
  BenchSpec s;
  const auto name = args.Get("workload");
  if (!name) return Status::InvalidArgument("--workload is required: put, put-sync, read, recover, dispatch or timer");
  const auto workload = bench::ParseWorkload(*name);
  if (!workload)
    return Status::InvalidArgument("unknown workload '" + *name + "' (put, put-sync, read, recover, dispatch, timer)");
  s.workload = *workload;
  auto config = ConfigFromArgs(args, point, s.workload, from_file);
  if (!config.ok()) return config.error();
  s.config = std::move(*config);
  MQ_RETURN_IF_ERROR(CountsFromArgs(args, point, s));
  if (args.Has("messages") && args.Has("seconds"))
    return Status::InvalidArgument("--messages and --seconds exclude each other");
  const bool timer = s.workload == bench::Workload::kTimer;
  for (const char* flag : {"timers", "precision-ms"})
    if (!timer && args.Has(flag)) return Status::InvalidArgument(std::string("--") + flag + " is for --workload timer");
  if (timer && (args.Has("messages") || args.Has("seconds")))
    return Status::InvalidArgument("--workload timer counts --timers, not --messages or --seconds");
  auto seconds = SecondsFlag(args, "seconds", 0);
  auto ceiling = SecondsFlag(args, "ceiling-seconds", 1);
  if (!seconds.ok() || !ceiling.ok()) return seconds.ok() ? ceiling.error() : seconds.error();
  if (args.Has("seconds") && *seconds <= 0) return Status::InvalidArgument("--seconds must be positive");
  s.seconds = *seconds;
  s.ceiling_seconds = *ceiling;
  s.ack_log = args.Get("ack-log").value_or("");
  s.replica = args.Has("replica");
  if (s.replica && s.workload != bench::Workload::kPutSync)
    return Status::InvalidArgument("--replica is for --workload put-sync");
  s.replica_root = args.Get("replica-root").value_or("");
  if (args.Has("replica-root") && !s.replica) return Status::InvalidArgument("--replica-root is for --replica");
  std::error_code ec;
  if (args.Has("replica-root") && !std::filesystem::is_directory(s.replica_root, ec))
    return Status::InvalidArgument("--replica-root " + s.replica_root + " is not a directory");
  if (args.Has("replica-nice") && !s.replica) return Status::InvalidArgument("--replica-nice is for --replica");
  auto nice = IntFlag(args, nullptr, "replica-nice", s.replica_nice, 0, 19);
  if (!nice.ok()) return nice.error();
  s.replica_nice = static_cast<int>(*nice);
  MQ_RETURN_IF_ERROR(DedupFromArgs(args, s));
  return s;
}

// Everything the command line asks for, checked before anything runs.
struct Plan {
  std::string sweep_key;
  std::vector<std::string> sweep_values;
  std::vector<BenchSpec> specs;
  std::optional<std::string> dir;
  std::optional<std::string> plot;
  bool keep = false;
  bool json = false;
};

Status ParseSweep(const std::string& text, Plan& plan) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size())
    return Status::InvalidArgument("--sweep expects key=v1,v2,..., not '" + text + "'");
  plan.sweep_key = text.substr(0, eq);
  for (size_t at = eq + 1; at <= text.size();) {
    const size_t comma = std::min(text.find(',', at), text.size());
    if (comma == at) return Status::InvalidArgument("--sweep: an empty value in '" + text + "'");
    plan.sweep_values.push_back(text.substr(at, comma - at));
    at = comma + 1;
  }
  return Status::Ok();
}

Result<Plan> PlanFromArgs(const Args& args, Io io) {
  if (!args.positional().empty()) return Status::InvalidArgument("unexpected argument '" + args.positional()[0] + "'");
  auto from_file = ConfigFromFlag(args, "bench", io);  // read once, its foreign keys listed once
  if (!from_file.ok()) return from_file.error();
  Plan plan;
  plan.dir = args.Get("dir");
  plan.plot = args.Get("plot");
  plan.keep = args.Has("keep");
  plan.json = args.Has("json");
  if (auto sweep = args.Get("sweep")) MQ_RETURN_IF_ERROR(ParseSweep(*sweep, plan));
  if (plan.plot && plan.sweep_values.empty()) return Status::InvalidArgument("--plot needs --sweep");
  if (plan.sweep_values.empty()) {
    auto spec = SpecFromArgs(args, nullptr, *from_file);
    if (!spec.ok()) return spec.error();
    plan.specs.push_back(std::move(*spec));
  }
  for (const std::string& value : plan.sweep_values) {
    const SweepPoint point{plan.sweep_key, value};
    auto spec = SpecFromArgs(args, &point, *from_file);
    if (!spec.ok()) return spec.error();
    plan.specs.push_back(std::move(*spec));
  }
  return plan;
}

// ---------------------------------------------------------------------------
// Running

// Engine warnings and errors, kept until the run is over (the engine's
// threads must not write to the caller's stream while it prints).
class EngineLog {
 public:
  EngineLog() {
    SetLogSink([this](LogLevel level, std::string_view line) {
      if (level == LogLevel::kInfo) return;
      std::lock_guard lock(mu_);
      lines_.emplace_back(line);
    });
  }
  ~EngineLog() { SetLogSink({}); }
  // Prints what arrived since the last call.
  void PrintTo(std::ostream& err) {
    std::vector<std::string> lines;
    {
      std::lock_guard lock(mu_);
      lines.swap(lines_);
    }
    for (const auto& l : lines) err << "mqstore bench: engine: " << l << "\n";
  }

 private:
  std::mutex mu_;
  std::vector<std::string> lines_;
};

Result<std::string> MakeTempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/mqstore-bench-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) return Status::IOError("mkdtemp " + tmpl + ": " + std::strerror(errno));
  return tmpl;
}

// One point in its directory: --dir, or a fresh temporary one removed
// afterwards unless --keep.
Result<BenchResult> RunPoint(const Plan& plan, BenchSpec spec, bench::CeilingCache& cache, Io io) {
  std::string dir;
  if (plan.dir) {
    dir = *plan.dir;
  } else {
    auto temp = MakeTempDir();
    if (!temp.ok()) return temp.error();
    dir = *temp;
  }
  spec.config.storePathRootDir = dir;
  spec.keep_stores = plan.dir.has_value() || plan.keep;
  spec.live_progress = &io.err == &std::cerr && ::isatty(STDERR_FILENO) == 1;
  auto result = bench::RunBenchPoint(spec, cache, io.err);
  if (!plan.dir && !plan.keep) {
    Status st = FileSystem::Default().RemoveAll(dir);
    if (!st.ok()) io.err << "mqstore bench: " << st.ToString() << "\n";
  } else if (!plan.dir) {
    io.err << "mqstore bench: store kept at " << dir << "\n";
  }
  return result;
}

// ---------------------------------------------------------------------------
// Output

std::string Num(double v, const char* format = "%.3f") {
  if (!std::isfinite(v)) return "null";
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

std::string LatencyJson(const LatencyHistogram::Snapshot& s) {
  return JsonLine()
      .UInt("p50", s.Percentile(0.50))
      .UInt("p99", s.Percentile(0.99))
      .UInt("p999", s.Percentile(0.999))
      .UInt("max", s.max)
      .Raw("mean", Num(s.Mean()))
      .Done();
}

std::string RecoveryJson(const RecoveryReport& r) {
  const double secs = static_cast<double>(r.took.count()) / 1e6;
  return JsonLine()
      .UInt("records_checked", r.records_checked)
      .UInt("bytes_checked", r.bytes_checked)
      .Raw("took_ms", Num(secs * 1e3))
      .Raw("mb_per_sec", Num(secs > 0 ? static_cast<double>(r.bytes_checked) / 1e6 / secs : 0.0))
      .Bool("abnormal", r.abnormal)
      .Int("start_offset", r.start_offset)
      .Int("end_offset", r.end_offset)
      .Str("stop_reason", r.stop_reason)
      .Done();
}

std::string ReadJson(const bench::ReadCheck& c) {
  std::string queues = "[";
  for (const auto& q : c.queues)
    queues += (queues.size() > 1 ? ", " : "") + JsonLine().Str("topic", q.topic).Int("queue", q.queue_id)
                                                   .UInt("messages", q.messages).UInt("bytes", q.bytes).Done();
  return JsonLine().UInt("written", c.written).Bool("count_ok", c.count_ok).UInt("errors", c.errors)
      .Str("first_error", c.first_error).UInt("consumed", c.consumed).Bool("consume_ok", c.consume_ok)
      .UInt("rare", c.rare).UInt("filtered_bitmap", c.filtered_bitmap).UInt("filtered_scan", c.filtered_scan)
      .Bool("filtered_ok", c.filtered_ok).UInt("queries", c.queries).UInt("query_misses", c.query_misses)
      .Str("first_problem", c.first_problem).Raw("queues", queues + "]").Done();
}

std::string DispatchJson(const bench::DispatchCheck& c) {
  return JsonLine().UInt("put", c.put).UInt("dispatched", c.dispatched).UInt("queue_units", c.queue_units)
      .UInt("index_keys", c.index_keys).UInt("index_keys_expected", c.index_keys_expected)
      .Bool("count_ok", c.count_ok).Done();
}

std::string DedupJson(const bench::DedupCheck& c) {
  std::string runs = "[";
  for (const auto& run : c.runs)
    runs += (runs.size() > 1 ? ", " : "") + JsonLine().Str("store", run.store)
                                                .Raw("msgs_per_sec", Num(run.msgs_per_sec, "%.1f"))
                                                .Raw("producer_cpu_ns_per_put", Num(run.producer_cpu_ns_per_put, "%.1f"))
                                                .Raw("warm_up_touch_mb_per_sec", Num(run.warm_up_touch_mb_per_sec, "%.0f"))
                                                .Done();
  return JsonLine().Raw("dup_fraction", Num(c.dup_fraction, "%.10g")).UInt("repeats_sent", c.repeats_sent)
      .UInt("duplicates_answered", c.duplicates_answered).UInt("suppressed", c.suppressed)
      .UInt("entries", c.entries).UInt("evictions", c.evictions)
      .UInt("off_duplicates_answered", c.off_duplicates_answered).Bool("count_ok", c.count_ok)
      .Raw("runs", runs + "]").Done();
}

std::string CpuCoresJson(const BenchResult& r) {
  JsonLine j;
  j.UInt("cpus", r.cpus);
  for (const auto& c : r.cpu_cores) j.Raw(c.name, Num(c.cores, "%.3f"));
  return j.Done();
}

std::string ResultJson(const Plan& plan, size_t i, const BenchResult& r) {
  JsonLine j;
  if (!plan.sweep_values.empty()) j.Str("sweep_key", plan.sweep_key).Str("sweep_value", plan.sweep_values[i]);
  j.Str("workload", r.workload).Str("flush", r.flush).Str("backend", r.backend).Str("io_engine", r.io_engine)
      .Int("producers", r.producers).Int("inflight", r.inflight).Int("msg_size", r.msg_size)
      .UInt("messages", r.messages).UInt("failures", r.failures).Raw("seconds", Num(r.seconds, "%.6f"))
      .Raw("msgs_per_sec", Num(r.msgs_per_sec(), "%.1f")).Raw("mb_per_sec", Num(r.mb_per_sec()))
      .Raw("latency_us", LatencyJson(r.latency_us)).Raw("group_size_avg", Num(r.group_size_avg))
      .UInt("syncs", r.syncs);
  JsonLine ceilings, failures;
  for (const auto& c : r.ceilings) ceilings.Raw(c.name, Num(c.value, "%.1f"));
  for (const auto& [name, n] : r.failures_by_status) failures.UInt(name, n);
  j.Raw("ceiling", ceilings.Done()).Str("ratio_ceiling", r.ratio_ceiling);
  if (!r.memory_state.empty()) j.Str("memory_state", r.memory_state);
  const auto ratio = r.Ratio(bench::kRatioToCeiling);
  j.Raw(bench::kRatioToCeiling, ratio ? Num(*ratio, "%.4f") : "null");
  // Ten significant digits, not fixed decimals: a ratio like 0.0422 must
  // still agree with the rates it was computed from.
  for (const auto& extra : r.ratios)
    if (extra.name != bench::kRatioToCeiling) j.Raw(extra.name, Num(extra.value, "%.10g"));
  for (const auto& v : r.values) j.Raw(v.name, Num(v.value, "%.10g"));
  if (!r.cpu_cores.empty()) j.Raw("cpu_cores", CpuCoresJson(r));
  j.Raw("failures_by_status", failures.Done()).Str("first_failure", r.first_failure).Str("store", r.store_dir);
  if (r.recovery) j.Raw("recovery", RecoveryJson(*r.recovery));
  if (r.read) j.Raw("read", ReadJson(*r.read));
  if (r.dispatch) j.Raw("dispatch", DispatchJson(*r.dispatch));
  if (r.dedup) j.Raw("dedup", DedupJson(*r.dedup));
  if (const auto& late = r.timer_lateness_ms)
    j.Raw("lateness_ms", JsonLine().UInt("p50", late->Percentile(0.50)).UInt("p99", late->Percentile(0.99))
                             .UInt("max", late->max).Done());
  return j.Done();
}

// The names of `values` (r.ceilings or r.values) over all results, in order of appearance.
std::vector<std::string> Columns(const std::vector<BenchResult>& results,
                                 std::vector<bench::NamedValue> BenchResult::*values) {
  std::vector<std::string> names;
  for (const auto& r : results)
    for (const auto& c : r.*values)
      if (std::find(names.begin(), names.end(), c.name) == names.end()) names.push_back(c.name);
  return names;
}

// Rates without decimals, ratios and microseconds with two.
std::string ValueCell(std::string_view name, std::optional<double> v) {
  if (!v) return "-";
  const bool rate = name.size() > 6 && name.substr(name.size() - 6) == "_per_s";
  return Num(*v, rate ? "%.0f" : "%.2f");
}

std::vector<std::string> TableRow(const BenchResult& r, const std::vector<std::string>& ceilings,
                                  const std::vector<std::string>& values) {
  const auto& l = r.latency_us;
  std::vector<std::string> row = {
      r.workload, r.flush, r.backend, r.io_engine.empty() ? "-" : r.io_engine, std::to_string(r.producers),
      r.inflight > 0 ? std::to_string(r.inflight) : "-", std::to_string(r.msg_size), std::to_string(r.messages),
      std::to_string(r.failures), Num(r.seconds, "%.2f"), Num(r.msgs_per_sec(), "%.0f"), Num(r.mb_per_sec(), "%.1f"),
      std::to_string(l.Percentile(0.5)), std::to_string(l.Percentile(0.99)), std::to_string(l.Percentile(0.999)),
      std::to_string(l.max), Num(r.group_size_avg, "%.1f"), std::to_string(r.syncs)};
  for (const auto& name : ceilings) {
    const auto v = r.Ceiling(name);
    row.push_back(v ? Num(*v, "%.0f") : "-");
  }
  const auto ratio = r.Ratio(bench::kRatioToCeiling);
  const auto p99_ratio = r.Ratio(bench::kP99ToFdatasyncP99);
  row.push_back(ratio ? Num(*ratio, "%.3f") : "-");
  row.push_back(p99_ratio ? Num(*p99_ratio, "%.2f") : "-");
  for (const auto& name : values) row.push_back(ValueCell(name, r.Value(name)));
  return row;
}

void PrintReadNotes(const std::string& who, const BenchResult& r, std::ostream& out) {
  const bench::ReadCheck& c = *r.read;
  out << who << "read " << r.messages << " messages from " << c.queues.size() << " queue(s)";
  if (c.written > 0) out << ", written " << c.written << (c.count_ok ? ": count ok" : ": COUNT MISMATCH");
  if (c.errors > 0) out << "; error: " << c.first_error;
  out << "\n" << who << "GetMessage delivered " << c.consumed << (c.consume_ok ? ": count ok" : ": COUNT MISMATCH")
      << "; tag " << bench::kRareTag << ": " << c.filtered_bitmap << " by bitmap, " << c.filtered_scan
      << " by scan, " << c.rare << " in the log" << (c.filtered_ok ? ": counts ok" : ": COUNT MISMATCH")
      << "; QueryMessage: " << c.queries << " keys, " << c.query_misses << " missed\n";
  if (!c.first_problem.empty()) out << who << "first problem: " << c.first_problem << "\n";
}

void PrintNotes(const Plan& plan, size_t i, const BenchResult& r, std::ostream& out) {
  const std::string who = plan.sweep_values.empty() ? "" : plan.sweep_key + "=" + plan.sweep_values[i] + ": ";
  if (r.failures > 0) {
    out << who << r.failures << " failed put(s):";
    for (const auto& [name, n] : r.failures_by_status) out << " " << name << " " << n;
    out << " (first: " << r.first_failure << ")\n";
  }
  if (!r.cpu_cores.empty()) {
    out << who << "CPU while producing, in cores of " << r.cpus << ":";
    int shown = 0;  // the process first, then "; " before the threads
    for (const auto& c : r.cpu_cores) {
      if (shown > 0 && c.cores < 0.005) continue;  // idle threads: in --json only
      out << (shown == 0 ? " " : shown == 1 ? "; " : ", ") << c.name << " " << Num(c.cores, "%.2f");
      ++shown;
    }
    out << "\n";
  }
  if (r.read) PrintReadNotes(who, r, out);
  if (const auto& d = r.dispatch) {
    out << who << "dispatched " << d->dispatched << " of " << d->put << " messages put: " << d->queue_units
        << " consume-queue units, " << d->index_keys << " index keys (expected " << d->index_keys_expected << ")"
        << (d->count_ok ? ": counts ok" : ": COUNT MISMATCH") << "\n";
  }
  if (r.recovery)
    out << who << r.recovery->ToString() << " = " << Num(r.mb_per_sec(), "%.1f") << " MB/s\n";
  if (const auto& d = r.dedup) {
    const auto off = r.Value(bench::kDedupOffMsgsPerS);
    const auto ratio = r.Value(bench::kDedupOnToOff);
    const auto cpu_ratio = r.Value(bench::kDedupCpuOffToOn);
    out << who << "dedup: " << d->repeats_sent << " repeats sent (" << Num(d->dup_fraction, "%.3g") << " of puts), "
        << d->duplicates_answered << " answered duplicate, " << d->suppressed << " suppressed by the store"
        << (d->count_ok ? ": counts ok" : ": COUNT MISMATCH") << "; " << Num(r.msgs_per_sec(), "%.0f")
        << " msgs/s on, " << (off ? Num(*off, "%.0f") : "-") << " off: on/off " << (ratio ? Num(*ratio, "%.3f") : "-")
        << "; producer CPU per put off/on " << (cpu_ratio ? Num(*cpu_ratio, "%.3f") : "-") << "\n";
    out << who << "dedup runs in order:";
    for (const auto& run : d->runs)
      out << " " << run.store << " " << Num(run.msgs_per_sec, "%.0f") << " msgs/s "
          << Num(run.producer_cpu_ns_per_put, "%.0f") << " ns/put (memory warmed at "
          << Num(run.warm_up_touch_mb_per_sec, "%.0f") << " MB/s);";
    out << "\n";
  }
}

void PrintTable(const Plan& plan, const std::vector<BenchResult>& results, std::ostream& out) {
  const auto ceilings = Columns(results, &BenchResult::ceilings);
  const auto values = Columns(results, &BenchResult::values);
  std::vector<std::string> header = {"workload", "flush", "backend", "io", "producers", "inflight", "msg_size",
                                     "messages", "failures", "seconds", "msgs/s", "MB/s", "p50_us", "p99_us",
                                     "p999_us", "max_us", "group_avg", "syncs"};
  header.insert(header.end(), ceilings.begin(), ceilings.end());
  header.insert(header.end(), {"ratio", "p99/fdatasync_p99"});
  header.insert(header.end(), values.begin(), values.end());
  if (!plan.sweep_values.empty()) header.insert(header.begin(), plan.sweep_key);
  Table table(header);
  for (size_t i = 0; i < results.size(); ++i) {
    auto row = TableRow(results[i], ceilings, values);
    if (!plan.sweep_values.empty()) row.insert(row.begin(), plan.sweep_values[i]);
    table.AddRow(std::move(row));
  }
  table.Print(out);
  for (size_t i = 0; i < results.size(); ++i) PrintNotes(plan, i, results[i], out);
  std::set<std::string> ratios;
  for (const auto& r : results)
    if (!r.ratio_ceiling.empty() && ratios.insert(r.ratio_ceiling).second)
      out << "ratio = msgs/s / " << r.ratio_ceiling << "\n";
  for (size_t i = 0; i < results.size(); ++i) {
    const BenchResult& r = results[i];
    if (r.memory_state.empty()) continue;
    const double mb_per_record = static_cast<double>(bench::BenchRecordSize(r.msg_size)) / 1e6;
    out << "run " << i + 1 << ": memory " << r.memory_state << " (first touch "
        << Num(r.Ceiling(bench::kFirstTouchBefore).value_or(0), "%.0f") << " MB/s before, "
        << Num(r.Ceiling(bench::kFirstTouchAfter).value_or(0), "%.0f") << " after; new page-cache pages "
        << Num(r.Ceiling(bench::kFreshPageMemcpyBefore).value_or(0) * mb_per_record, "%.0f") << " MB/s before, "
        << Num(r.Ceiling(bench::kFreshPageMemcpyAfter).value_or(0) * mb_per_record, "%.0f") << " after)\n";
  }
}

void PrintJson(const Plan& plan, const std::vector<BenchResult>& results, std::ostream& out) {
  if (plan.sweep_values.empty()) {
    out << ResultJson(plan, 0, results[0]) << "\n";
    return;
  }
  out << "[";
  for (size_t i = 0; i < results.size(); ++i) out << (i ? ", " : "") << ResultJson(plan, i, results[i]);
  out << "]\n";
}

Status WritePlot(const Plan& plan, const std::vector<BenchResult>& results) {
  TwoSeriesChart chart;
  chart.title = "mqstore bench " + results[0].workload + ": " + plan.sweep_key + " sweep";
  chart.x_title = plan.sweep_key;
  chart.x_labels = plan.sweep_values;
  chart.left.name = "throughput (msgs/s)";
  chart.right.name = "p99 latency (us)";
  for (const auto& r : results) {
    chart.left.values.push_back(r.msgs_per_sec());
    chart.right.values.push_back(static_cast<double>(r.latency_us.Percentile(0.99)));
  }
  const std::string svg = RenderTwoSeriesSvg(chart);
  auto file = FileSystem::Default().NewSequentialFile(*plan.plot);
  if (!file.ok()) return file.error();
  MQ_RETURN_IF_ERROR((*file)->Append({reinterpret_cast<const uint8_t*>(svg.data()), svg.size()}));
  return (*file)->Close();
}

}  // namespace

int RunBench(const std::vector<std::string>& argv, Io io) {
  Args args;
  int code = 0;
  if (!ParseOrUsage(argv, kValueFlags, {"keep", "json", "replica", "dedup"}, kHelp, io, args, code)) return code;
  auto plan = PlanFromArgs(args, io);
  if (!plan.ok()) {
    io.err << "mqstore bench: " << plan.error().message() << "\n\n" << kHelp;
    return kExitUsage;
  }
  EngineLog engine_log;
  bench::CeilingCache cache;
  std::vector<BenchResult> results;
  for (const BenchSpec& spec : plan->specs) {
    auto r = RunPoint(*plan, spec, cache, io);
    engine_log.PrintTo(io.err);
    if (!r.ok()) {
      io.err << "mqstore bench: " << r.error().ToString() << "\n";
      return kExitDataProblem;
    }
    results.push_back(std::move(*r));
  }
  plan->json ? PrintJson(*plan, results, io.out) : PrintTable(*plan, results, io.out);
  if (plan->plot) {
    if (Status st = WritePlot(*plan, results); !st.ok()) {
      io.err << "mqstore bench: --plot: " << st.ToString() << "\n";
      return kExitDataProblem;
    }
  }
  for (const auto& r : results)
    if (r.has_problems()) return kExitDataProblem;
  return kExitOk;
}

}  // namespace mqstore::cli
