#include "tools/commands.h"

#include <ctime>

#include "format/delay_levels.h"
#include "format/message_id.h"
#include "storage/io/file_system.h"
#include "storage/store_config.h"
#include "tools/cli.h"
#include "tools/json_writer.h"

namespace mqstore::cli {

const std::set<std::string> kStoreValueFlags = {"config",        "commitlog-size",   "cq-file-size", "index-slots",
                                                "index-entries", "max-message-size", "delay-levels"};

const char kStoreFlagsHelp[] =
    "Store layout (what the writer's broker.conf said; inferred from file sizes when omitted):\n"
    "  --config FILE             the broker's .properties file (broker.conf); the flags below override it\n"
    "  --commitlog-size BYTES    mappedFileSizeCommitLog (default: the segment files' size)\n"
    "  --cq-file-size BYTES      mappedFileSizeConsumeQueue (default: the CQ files' size)\n"
    "  --index-slots N           maxHashSlotNum (default 5000000, or inferred)\n"
    "  --index-entries N         maxIndexNum (default 20000000, or inferred)\n"
    "  --max-message-size BYTES  maxMessageSize (default 4m)\n"
    "  --delay-levels SPEC       messageDelayLevel (default \"1s 5s 10s 30s 1m ... 2h\")\n";

// The layout a broker.conf describes: its values, or RocketMQ's defaults
// for what it leaves out.
static Result<StoreReadOptions> OptionsFromConfigFile(const std::string& path) {
  StoreConfig config;
  MQ_RETURN_IF_ERROR(config.LoadPropertiesFile(path));
  auto levels = ParseDelayLevels(config.messageDelayLevel);
  if (!levels.ok()) return levels.error().WithContext(path + ": messageDelayLevel");
  StoreReadOptions o;
  o.commit_log_file_size = config.mappedFileSizeCommitLog;
  o.consume_queue_file_size = config.ConsumeQueueFileSize();
  o.index_geometry = IndexGeometry{config.maxHashSlotNum, config.maxIndexNum};
  o.max_record_size = config.maxMessageSize + 65536;
  o.delay_level_millis = std::move(*levels);
  return o;
}

Status ApplySetFlag(StoreConfig& config, const std::string& key_value) {
  const size_t eq = key_value.find('=');
  if (eq == std::string::npos || eq == 0)
    return Status::InvalidArgument("--set expects key=value, not '" + key_value + "'");
  Status st = config.Set(key_value.substr(0, eq), key_value.substr(eq + 1));
  return st.ok() ? st : Status::InvalidArgument("--set " + st.message());
}

Result<StoreReadOptions> StoreOptionsFromArgs(const Args& args) {
  StoreReadOptions o;
  if (auto path = args.Get("config")) {
    auto from_file = OptionsFromConfigFile(*path);
    if (!from_file.ok()) return from_file.error();
    o = std::move(*from_file);
  }
  auto cl = args.GetInt("commitlog-size", o.commit_log_file_size);
  if (!cl.ok()) return cl.error();
  o.commit_log_file_size = *cl;
  auto cq = args.GetInt("cq-file-size", o.consume_queue_file_size);
  if (!cq.ok()) return cq.error();
  o.consume_queue_file_size = *cq;
  auto slots = args.GetInt("index-slots", 0);
  if (!slots.ok()) return slots.error();
  auto entries = args.GetInt("index-entries", 0);
  if (!entries.ok()) return entries.error();
  if (*slots > 0 || *entries > 0) {
    IndexGeometry g = o.index_geometry.value_or(IndexGeometry{});
    if (*slots > 0) g.max_hash_slot_num = static_cast<int32_t>(*slots);
    if (*entries > 0) g.max_index_num = static_cast<int32_t>(*entries);
    o.index_geometry = g;
  }
  auto max_msg = args.GetInt("max-message-size", o.max_record_size - 65536);
  if (!max_msg.ok()) return max_msg.error();
  if (*max_msg <= 0 || *max_msg > INT32_MAX - 65536)
    return Status::InvalidArgument("--max-message-size out of range");
  o.max_record_size = static_cast<int32_t>(*max_msg + 65536);
  if (auto spec = args.Get("delay-levels")) {
    auto levels = ParseDelayLevels(*spec);
    if (!levels.ok()) return levels.error();
    o.delay_level_millis = std::move(*levels);
  }
  return o;
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
  auto options = StoreOptionsFromArgs(command.args);
  if (!options.ok()) {
    io.err << "mqstore " << name << ": " << options.error().message() << "\n";
    return false;
  }
  command.options = std::move(*options);
  command.root = command.args.positional()[0];
  if (!FileSystem::Default().Exists(command.root)) {
    io.err << "mqstore " << name << ": " << command.root << " does not exist\n";
    return false;
  }
  return true;
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
