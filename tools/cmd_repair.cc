// mqstore repair ROOT --policy truncate|skip: opens the store with the
// engine under the chosen recoveryCorruptionPolicy, so that damage that
// valid data follows (which a normal open refuses) is cut or skipped, the
// consume queues and index are rebuilt to match, and the store is shut down
// cleanly. Prints what recovery found and did.
#include <string>
#include <vector>

#include "storage/message_store.h"
#include "storage/store_layout.h"
#include "storage/store_log.h"
#include "tools/cli.h"
#include "tools/commands.h"

namespace mqstore::cli {
namespace {

const char kHelp[] =
    "usage: mqstore repair ROOT --policy truncate|skip [store layout flags]\n"
    "\n"
    "Opens the store at ROOT with the engine as `recoveryCorruptionPolicy=POLICY`\n"
    "would, then shuts it down cleanly, and prints what recovery did:\n"
    "  truncate  cut the commit log at the first damaged record (everything\n"
    "            after it is deleted: RocketMQ's own recovery)\n"
    "  skip      keep the records after each damaged range; the range is\n"
    "            overwritten by filler records (topic MQSTORE_DAMAGED, which\n"
    "            keep the damaged bytes as their body) that every reader steps\n"
    "            over, and is reported by `mqstore verify` from then on\n"
    "Consume queues and index files are rebuilt to match. A torn tail after a\n"
    "crash is cut whatever the policy. Run `mqstore verify ROOT` first to see\n"
    "the damage. Stop the broker first: the store must not be open elsewhere.\n"
    "\n"
    "Exit codes: 0 repaired (or nothing to repair), 1 the store could not be\n"
    "repaired, 2 usage error.\n"
    "\n";

Result<RecoveryCorruptionPolicy> PolicyFrom(const Args& args) {
  const auto policy = args.Get("policy");
  if (!policy) return Status::InvalidArgument("--policy truncate|skip is required");
  if (*policy == "truncate") return RecoveryCorruptionPolicy::kTruncate;
  if (*policy == "skip") return RecoveryCorruptionPolicy::kSkip;
  return Status::InvalidArgument("--policy must be truncate or skip, not '" + *policy + "'");
}

// The engine's config for the store as it is: --config for everything it
// says, the layout flags, and what the files show for the rest (segment,
// consume-queue and index file sizes), so that no file is taken for damaged
// because of a size the writer did not use.
Result<StoreConfig> ConfigFor(const StoreCommand& command) {
  StoreConfig config = command.config;
  config.storePathRootDir = command.root;
  config.storePathCommitLog = command.paths.commit_log_dir;
  FileSystem& fs = FileSystem::Default();
  const StorePaths& paths = command.paths;
  const StoreReadOptions& o = command.options;
  auto segments = ListSegments(fs, paths.CommitLogDir());
  if (!segments.ok()) return segments.error();
  if (o.commit_log_file_size > 0) config.mappedFileSizeCommitLog = o.commit_log_file_size;
  else if (const int64_t inferred = InferSegmentSize(*segments); inferred > 0) config.mappedFileSizeCommitLog = inferred;
  auto queues = ListConsumeQueues(fs, paths);
  if (!queues.ok()) return queues.error();
  if (o.consume_queue_file_size > 0) config.mappedFileSizeConsumeQueue = o.consume_queue_file_size;
  else if (!queues->empty() && !queues->front().segments.empty())
    config.mappedFileSizeConsumeQueue = static_cast<int64_t>(queues->front().segments.front().size);
  std::optional<IndexGeometry> geometry = o.index_geometry;
  if (!geometry) {
    auto index = ListIndexFiles(fs, paths);
    if (!index.ok()) return index.error();
    if (!index->empty()) geometry = IndexGeometry::Infer(index->front().size);
  }
  if (geometry) {
    config.maxHashSlotNum = geometry->max_hash_slot_num;
    config.maxIndexNum = geometry->max_index_num;
  }
  config.maxMessageSize = o.max_record_size - 64 * 1024;
  return config;
}

void PrintReport(const RecoveryReport& r, Io io) {
  if (r.damage.empty()) {
    io.out << "no damage found: " << r.ToString() << "\n";
    return;
  }
  for (const LogDamage& d : r.damage) io.out << d.ToString() << "\n";
  io.out << "the commit log now ends at " << r.end_offset << " (" << r.records_checked << " records checked from "
         << r.start_offset << ")\n";
}

}  // namespace

int RunRepair(const std::vector<std::string>& argv, Io io) {
  StoreCommand command;
  int code = 0;
  const std::string help = std::string(kHelp) + kStoreFlagsHelp;
  if (!ParseStoreCommand("repair", argv, {"policy"}, {}, help, io, command, code)) return code;
  auto policy = PolicyFrom(command.args);
  auto config = policy.ok() ? ConfigFor(command) : Result<StoreConfig>(policy.error());
  if (!config.ok()) {
    io.err << "mqstore repair: " << config.error().message() << "\n";
    return kExitUsage;
  }
  config->recoveryCorruptionPolicy = *policy;
  SetLogSink([&io](LogLevel level, std::string_view line) {
    if (level != LogLevel::kInfo) io.err << "mqstore repair: " << line << "\n";
  });
  auto store = MessageStore::Open(*config);
  if (!store.ok()) {
    SetLogSink({});
    io.err << "mqstore repair: " << store.error().ToString() << "\n";
    return store.error().code() == StatusCode::kInvalidArgument ? kExitUsage : kExitDataProblem;
  }
  const RecoveryReport report = (*store)->recovery();
  const uint64_t redispatched = (*store)->redispatched_at_open();
  const Status shutdown = (*store)->Shutdown();
  SetLogSink({});
  PrintReport(report, io);
  if (redispatched > 0) io.out << "consume queues and index rebuilt from " << redispatched << " records\n";
  if (!shutdown.ok()) {
    io.err << "mqstore repair: shutdown: " << shutdown.ToString() << "\n";
    return kExitDataProblem;
  }
  return kExitOk;
}

}  // namespace mqstore::cli
