// mqstore gen ROOT: writes messages through the engine (MessageStore), so the
// result is exactly what an embedding broker would leave on disk.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "format/properties.h"
#include "storage/message_store.h"
#include "storage/store_log.h"
#include "storage/io/clock.h"
#include "tools/cli.h"
#include "tools/commands.h"
#include "tools/progress.h"

namespace mqstore::cli {
namespace {

const char kHelp[] =
    "usage: mqstore gen ROOT [--messages N] [--body-size B] [--topics T] [--queues Q]\n"
    "                        [--segment-size S] [--backend write|mmap] [--config FILE]\n"
    "\n"
    "Opens (or creates) the store at ROOT with the engine and puts N messages\n"
    "(default 10000) round-robin over topics GenTopic0..T-1 (default 4) and\n"
    "queues 0..Q-1 (default 4), each with a B-byte body (default 1024), KEYS,\n"
    "TAGS and UNIQ_KEY, then shuts the store down cleanly. An existing store is\n"
    "recovered and appended to. --config reads a broker.conf (flushDiskType,\n"
    "mappedFileSizeCommitLog, ...); --segment-size (default 1g) and --backend\n"
    "(writeWithoutMmap) override it. Sizes take k/m/g suffixes.\n";

struct GenConfig {
  int64_t messages, body_size, topics, queues;
};

Result<GenConfig> ConfigFromArgs(const Args& args) {
  GenConfig c{};
  struct Knob { const char* name; int64_t def, min, max; int64_t* out; };
  const Knob knobs[] = {
      {"messages", 10000, 0, INT64_MAX, &c.messages},
      {"body-size", 1024, 0, kDefaultMaxMessageSize, &c.body_size},
      {"topics", 4, 1, 100000, &c.topics},
      {"queues", 4, 1, 100000, &c.queues},
  };
  for (const Knob& k : knobs) {
    auto v = args.GetInt(k.name, k.def);
    if (!v.ok()) return v.error();
    if (*v < k.min || *v > k.max)
      return Status::InvalidArgument("--" + std::string(k.name) + " must be in [" + std::to_string(k.min) + ", " +
                                     std::to_string(k.max) + "]");
    *k.out = *v;
  }
  return c;
}

Result<StoreConfig> StoreConfigFromArgs(const Args& args, const std::string& root, Io io) {
  auto from_file = ConfigFromFlag(args, "gen", io);
  if (!from_file.ok()) return from_file.error();
  StoreConfig config = std::move(*from_file);
  config.storePathRootDir = root;
  config.storePathCommitLog.clear();
  auto size = args.GetInt("segment-size", config.mappedFileSizeCommitLog);
  if (!size.ok()) return size.error();
  config.mappedFileSizeCommitLog = *size;
  if (auto backend = args.Get("backend")) {
    if (*backend != "write" && *backend != "mmap")
      return Status::InvalidArgument("--backend must be write or mmap, not '" + *backend + "'");
    config.writeWithoutMmap = *backend == "write";
  }
  return config;
}

std::string Hex(uint64_t v, int digits) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%0*llX", digits, static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

int RunGen(const std::vector<std::string>& argv, Io io) {
  Args args;
  int code = 0;
  if (!ParseOrUsage(argv, {"messages", "body-size", "topics", "queues", "segment-size", "backend", "config"}, {},
                    kHelp, io, args, code))
    return code;
  auto config = ConfigFromArgs(args);
  if (args.positional().size() != 1 || !config.ok()) {
    io.err << "mqstore gen: " << (config.ok() ? "expected one ROOT" : config.error().message()) << "\n\n" << kHelp;
    return kExitUsage;
  }
  auto store_config = StoreConfigFromArgs(args, args.positional()[0], io);
  if (!store_config.ok()) {
    io.err << "mqstore gen: " << store_config.error().message() << "\n";
    return kExitUsage;
  }
  const GenConfig& c = *config;
  SetLogSink([&io](LogLevel, std::string_view line) { io.err << "mqstore gen: " << line << "\n"; });
  auto opened = MessageStore::Open(*store_config);
  if (!opened.ok()) {
    SetLogSink({});
    io.err << "mqstore gen: " << opened.error().ToString() << "\n";
    return opened.error().code() == StatusCode::kInvalidArgument ? kExitUsage : kExitDataProblem;
  }
  MessageStore& store = **opened;

  const auto start = std::chrono::steady_clock::now();
  ProgressBar bar(io.err, "gen");
  std::vector<std::string> topics;
  for (int64_t t = 0; t < c.topics; ++t) topics.push_back("GenTopic" + std::to_string(t));
  static const char* kTags[] = {"TagA", "TagB", "TagC"};
  std::vector<uint8_t> body(static_cast<size_t>(c.body_size));
  std::string props;
  uint64_t bytes = 0;
  int exit_code = kExitOk;
  for (int64_t i = 0; i < c.messages; ++i) {
    const int64_t t = i % c.topics, q = (i / c.topics) % c.queues;
    for (size_t j = 0; j < body.size(); ++j) body[j] = static_cast<uint8_t>('a' + (i + static_cast<int64_t>(j)) % 26);
    props = "KEYS\x01key-" + std::to_string(i) + " group-" + std::to_string(i % 97) + "\x02UNIQ_KEY\x01" +
            "7F000001" + Hex(static_cast<uint64_t>(i), 24) + "\x02TAGS\x01" + kTags[i % 3];
    Message m;
    m.topic = topics[static_cast<size_t>(t)];
    m.queue_id = static_cast<int32_t>(q);
    m.born_timestamp = Clock::System().WallMillis();
    m.born_host = SocketAddress::V4(10, 0, 0, static_cast<uint8_t>(1 + i % 250), 50000 + static_cast<int32_t>(i % 1000));
    m.store_host = SocketAddress::V4(127, 0, 0, 1, 10911);
    m.body = body;
    m.properties = props;
    const PutResult r = store.Put(m);
    if (!r.ok()) {
      io.err << "mqstore gen: message " << i << ": " << PutStatusName(r.status) << ": " << r.reason << "\n";
      exit_code = r.status == PutStatus::kMessageIllegal ? kExitUsage : kExitDataProblem;
      break;
    }
    bytes += static_cast<uint64_t>(r.wrote_bytes);
    if ((i & 4095) == 0) bar.Update(static_cast<uint64_t>(i), static_cast<uint64_t>(c.messages));
  }
  if (Status st = store.Shutdown(); !st.ok()) {
    io.err << "mqstore gen: shutdown: " << st.ToString() << "\n";
    exit_code = kExitDataProblem;
  }
  const StoreStats stats = store.Stats();  // after the final flush: everything committed
  SetLogSink({});
  if (exit_code != kExitOk) return exit_code;
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  char rate[64];
  std::snprintf(rate, sizeof rate, "%.2f s, %.0f MB/s", secs, secs > 0 ? bytes / 1e6 / secs : 0.0);
  io.out << "wrote " << stats.puts_ok << " records (" << bytes << " bytes) to " << store_config->CommitLogDir()
         << " in " << rate << "; the log now spans [" << stats.min_offset << ", " << stats.max_offset << ") in "
         << stats.segments << " segment(s) of " << store_config->mappedFileSizeCommitLog << " bytes\n";
  return kExitOk;
}

}  // namespace mqstore::cli
