#include "tools/commands.h"

#include <ctime>

#include "format/delay_levels.h"
#include "format/message_id.h"
#include "storage/io/file_system.h"
#include "storage/store_config.h"
#include "tools/cli.h"
#include "tools/display_text.h"
#include "tools/json_writer.h"

namespace mqstore::cli {

const std::set<std::string> kStoreValueFlags = {"config",        "commitlog-size",   "cq-file-size", "index-slots",
                                                "index-entries", "max-message-size", "delay-levels"};

const char kStoreFlagsHelp[] =
    "Store layout (what the writer's broker.conf said; inferred from file sizes when omitted):\n"
    "  --config FILE             the broker's .properties file (broker.conf); the flags below override it.\n"
    "                            Its storePathCommitLog says where the commit log is; keys that are not\n"
    "                            store settings are listed on stderr\n"
    "  --commitlog-size BYTES    mappedFileSizeCommitLog (default: the segment files' size)\n"
    "  --cq-file-size BYTES      mappedFileSizeConsumeQueue (default: the CQ files' size)\n"
    "  --index-slots N           maxHashSlotNum (default 5000000, or inferred)\n"
    "  --index-entries N         maxIndexNum (default 20000000, or inferred)\n"
    "  --max-message-size BYTES  maxMessageSize (default 4m)\n"
    "  --delay-levels SPEC       messageDelayLevel (default \"1s 5s 10s 30s 1m ... 2h\")\n";

Result<StoreConfig> ConfigFromFlag(const Args& args, const std::string& name, Io io) {
  StoreConfig config;
  const auto path = args.Get("config");
  if (!path) return config;
  // Checked first: an ifstream reads a directory as an empty file, and
  // would wait on a FIFO for a writer.
  auto info = FileSystem::Default().Stat(*path);
  if (!info.ok()) return Status::InvalidArgument("--config " + *path + ": cannot read it (" + info.error().message() + ")");
  if (!info->is_regular)
    return Status::InvalidArgument("--config " + *path + ": " + (info->is_directory ? "a directory" : "not a regular file") +
                                   ", not a broker .properties file");
  std::vector<std::string> foreign;
  MQ_RETURN_IF_ERROR(config.LoadPropertiesFile(*path, &foreign));
  if (!foreign.empty()) {
    io.err << "mqstore " << name << ": " << *path << ": not store settings, left to the broker:";
    for (size_t i = 0; i < foreign.size(); ++i) io.err << (i == 0 ? " " : ", ") << DisplayText(foreign[i]);
    io.err << "\n";
  }
  return config;
}

Status ApplySetFlag(StoreConfig& config, const std::string& key_value) {
  const size_t eq = key_value.find('=');
  if (eq == std::string::npos || eq == 0)
    return Status::InvalidArgument("--set expects key=value, not '" + key_value + "'");
  Status st = config.Set(key_value.substr(0, eq), key_value.substr(eq + 1));
  return st.ok() ? st : Status::InvalidArgument("--set " + st.message());
}

Result<StoreReadOptions> StoreOptionsFromArgs(const Args& args, const StoreConfig& config) {
  StoreReadOptions o;
  if (args.Has("config")) {
    // What the broker ran with: the file's values, RocketMQ's defaults for
    // what it leaves out.
    auto levels = ParseDelayLevels(config.messageDelayLevel);
    if (!levels.ok()) return levels.error().WithContext(*args.Get("config") + ": messageDelayLevel");
    o.commit_log_file_size = config.mappedFileSizeCommitLog;
    o.consume_queue_file_size = config.ConsumeQueueFileSize();
    o.index_geometry = IndexGeometry{config.maxHashSlotNum, config.maxIndexNum};
    o.max_record_size = config.maxMessageSize + 65536;
    o.delay_level_millis = std::move(*levels);
    o.timer_log_file_size = config.mappedFileSizeTimerLog;
    o.timer_precision_ms = config.timerPrecisionMs;
  }
  auto cl = args.GetInt("commitlog-size", o.commit_log_file_size, 1, int64_t{1} << 40);
  if (!cl.ok()) return cl.error();
  o.commit_log_file_size = *cl;
  auto cq = args.GetInt("cq-file-size", o.consume_queue_file_size, 20, INT32_MAX);
  if (!cq.ok()) return cq.error();
  o.consume_queue_file_size = *cq;
  auto slots = args.GetInt("index-slots", 0, 1, INT32_MAX);
  if (!slots.ok()) return slots.error();
  auto entries = args.GetInt("index-entries", 0, 2, INT32_MAX);
  if (!entries.ok()) return entries.error();
  if (args.Has("index-slots") || args.Has("index-entries")) {
    IndexGeometry g = o.index_geometry.value_or(IndexGeometry{});
    if (args.Has("index-slots")) g.max_hash_slot_num = static_cast<int32_t>(*slots);
    if (args.Has("index-entries")) g.max_index_num = static_cast<int32_t>(*entries);
    o.index_geometry = g;
  }
  auto max_msg = args.GetInt("max-message-size", o.max_record_size - 65536, 1, INT32_MAX - 65536);
  if (!max_msg.ok()) return max_msg.error();
  o.max_record_size = static_cast<int32_t>(*max_msg + 65536);
  if (auto spec = args.Get("delay-levels")) {
    auto levels = ParseDelayLevels(*spec);
    if (!levels.ok()) return levels.error();
    o.delay_level_millis = std::move(*levels);
  }
  return o;
}

Status ApplyTimerSetFlags(const Args& args, StoreConfig config, StoreReadOptions& options,
                          const std::set<std::string>& also) {
  bool timer_set = false;
  for (const std::string& kv : args.GetAll("set")) {
    const std::string key = kv.substr(0, kv.find('='));
    const bool timer_key = key == "timerPrecisionMs" || key == "mappedFileSizeTimerLog";
    if (!timer_key && also.count(key) == 0) {
      std::string allowed = "timerPrecisionMs, mappedFileSizeTimerLog";
      for (const std::string& k : also) allowed += ", " + k;
      return Status::InvalidArgument("--set " + kv + ": this command reads only " + allowed);
    }
    MQ_RETURN_IF_ERROR(ApplySetFlag(config, kv));
    timer_set |= timer_key;
  }
  if (timer_set || args.Has("config")) {
    options.timer_log_file_size = config.mappedFileSizeTimerLog;
    options.timer_precision_ms = config.timerPrecisionMs;
  }
  return Status::Ok();
}

bool ParseOrUsage(const std::vector<std::string>& argv, std::set<std::string> value_flags,
                  std::set<std::string> bool_flags, const char* help, Io io, Args& args, int& exit_code) {
  bool_flags.insert("help");
  auto parsed = Args::Parse(argv, value_flags, bool_flags);
  if (!parsed.ok()) {
    io.err << "mqstore: " << parsed.error().message() << "\n\n" << help;
    exit_code = kExitUsage;
    return false;
  }
  if (parsed->Has("help")) {
    io.out << help;
    exit_code = 0;
    return false;
  }
  args = std::move(*parsed);
  return true;
}

Status CheckStoreRoot(FileSystem& fs, const StorePaths& paths) {
  const std::string& root = paths.root;
  auto info = fs.Stat(root);
  if (!info.ok() && info.error().code() == StatusCode::kNotFound) return Status::InvalidArgument(root + " does not exist");
  if (!info.ok()) return Status::InvalidArgument(info.error().message());
  if (!info->is_directory)
    return Status::InvalidArgument(root + " is not a directory (a store root is the directory holding commitlog/)");
  const std::string dir = paths.CommitLogDir();
  auto cl = fs.Stat(dir);
  if (cl.ok() && cl->is_directory) return Status::Ok();
  if (cl.ok()) return Status::InvalidArgument(dir + " is not a directory");
  if (!paths.commit_log_dir.empty())
    return Status::InvalidArgument("no commit-log directory " + dir + " (storePathCommitLog of --config) for " + root);
  // A folder inside a store root (commitlog/, consumequeue/, index/) is a
  // likely slip: name the root it belongs to.
  const std::string parent = ParentPath(root);
  const bool inside_a_root = parent != root && fs.Exists(JoinPath(parent, "commitlog"));
  return Status::InvalidArgument("no commitlog/ under " + root + ": not a store root" +
                                 (inside_a_root ? " (it lies inside the store root " + parent + ")" : ""));
}

// Where --config's storePathCommitLog puts the commit log of `root`; empty
// for <root>/commitlog. A path under the file's storePathRootDir moves with
// the root (a store copied elsewhere keeps its layout); any other is used
// as it is.
static Result<std::string> CommitLogDirFor(const StoreConfig& config, const std::string& root) {
  const std::string& dir = config.storePathCommitLog;
  if (dir.empty()) return std::string();
  if (dir.find(',') != std::string::npos)
    return Status::InvalidArgument("--config: several commit-log directories (storePathCommitLog '" + dir +
                                   "') are not supported");
  std::string base = config.storePathRootDir;
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  if (dir == base + "/commitlog") return std::string();
  if (dir.size() > base.size() + 1 && dir.compare(0, base.size() + 1, base + "/") == 0)
    return JoinPath(root, dir.substr(base.size() + 1));
  return dir;
}

bool PrepareStoreCommand(const std::string& name, const std::string& root, Io io, StoreCommand& command) {
  auto fail = [&](const Status& st) {
    io.err << "mqstore " << name << ": " << DisplayText(st.message()) << "\n";
    return false;
  };
  auto config = ConfigFromFlag(command.args, name, io);
  if (!config.ok()) return fail(config.error());
  command.config = std::move(*config);
  auto options = StoreOptionsFromArgs(command.args, command.config);
  if (!options.ok()) return fail(options.error());
  command.options = std::move(*options);
  auto commit_log_dir = CommitLogDirFor(command.config, root);
  if (!commit_log_dir.ok()) return fail(commit_log_dir.error());
  command.root = root;
  command.paths = StorePaths{root, *commit_log_dir};
  FileSystem& fs = FileSystem::Default();
  if (Status st = CheckStoreRoot(fs, command.paths); !st.ok()) return fail(st);
  // Probed, not taken: a reader must not stop the broker from starting.
  auto live = fs.IsLockedElsewhere(command.paths.LockFile());
  if (live.ok() && *live)
    io.err << "mqstore " << name << ": " << DisplayText(root)
           << " is open in another process (its lock file is held): the store may change while it is read, so "
              "what is found at the end of the log may be a write in flight\n";
  return true;
}

bool ParseStoreCommand(const char* name, const std::vector<std::string>& argv, std::set<std::string> value_flags,
                       std::set<std::string> bool_flags, const std::string& help, Io io, StoreCommand& command,
                       int& exit_code) {
  value_flags.insert(kStoreValueFlags.begin(), kStoreValueFlags.end());
  if (!ParseOrUsage(argv, value_flags, bool_flags, help.c_str(), io, command.args, exit_code)) return false;
  exit_code = kExitUsage;
  if (command.args.positional().size() != 1) {
    io.err << "mqstore " << name << ": expected one ROOT\n\n" << help;
    return false;
  }
  return PrepareStoreCommand(name, command.args.positional()[0], io, command);
}

std::string FormatMillis(int64_t ms) {
  if (ms == 0) return "-";
  const time_t secs = static_cast<time_t>(ms / 1000);
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char buf[64];
  const size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(ms % 1000 < 0 ? 0 : ms % 1000));
  return buf;
}

std::string RecordJson(int64_t offset, const MessageRecordView& m) {
  JsonLine props;
  for (const Property& p : m.properties().ToList()) props.Str(p.name, p.value);
  return JsonLine()
      .Int("commitLogOffset", offset)
      .Int("storeSize", m.total_size)
      .Str("magic", m.version == MessageVersion::kV2 ? "v2" : "v1")
      .Int("bodyCRC", m.body_crc)
      .Bool("crcOk", m.BodyCrcMatches())
      .Int("queueId", m.queue_id)
      .Int("flag", m.flag)
      .Int("queueOffset", m.queue_offset)
      .Int("physicalOffset", m.physical_offset)
      .Int("sysFlag", m.sys_flag)
      .Int("bornTimestamp", m.born_timestamp)
      .Str("bornHost", m.born_host.ToString())
      .Int("storeTimestamp", m.store_timestamp)
      .Str("storeHost", m.store_host.ToString())
      .Int("reconsumeTimes", m.reconsume_times)
      .Int("preparedTransactionOffset", m.prepared_transaction_offset)
      .Int("bodyLength", static_cast<int64_t>(m.body.size()))
      .Str("topic", m.topic)
      .Raw("properties", props.Done())
      .Str("msgId", OffsetMsgId(m.store_host, m.physical_offset))
      .Done();
}

}  // namespace mqstore::cli
