// The subcommands of `mqstore` and what they share.
#pragma once

#include <cstdint>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "format/message_record.h"
#include "storage/io/file_system.h"
#include "storage/store_config.h"
#include "storage/store_layout.h"
#include "storage/offline/store_options.h"
#include "tools/args.h"

namespace mqstore::cli {

struct Io {
  std::ostream& out;
  std::ostream& err;
};

int RunInspect(const std::vector<std::string>& argv, Io io);
int RunDump(const std::vector<std::string>& argv, Io io);
int RunVerify(const std::vector<std::string>& argv, Io io);
int RunQuery(const std::vector<std::string>& argv, Io io);
int RunGen(const std::vector<std::string>& argv, Io io);
int RunRepair(const std::vector<std::string>& argv, Io io);
int RunBench(const std::vector<std::string>& argv, Io io);
int RunFollow(const std::vector<std::string>& argv, Io io);
int RunServe(const std::vector<std::string>& argv, Io io);

// Flags every store reader accepts: what the writer's broker.conf said.
//   --config, --commitlog-size, --cq-file-size, --index-slots,
//   --index-entries, --max-message-size, --delay-levels
extern const std::set<std::string> kStoreValueFlags;
extern const char kStoreFlagsHelp[];

// The --config file (a broker.conf) applied over RocketMQ's defaults, or the
// defaults without the flag. The path must name a regular file. Keys the
// store does not know (brokerName, namesrvAddr, ...) are listed, not
// rejected: one line on io.err, "mqstore NAME: FILE: not store settings,
// left to the broker: brokerName, namesrvAddr".
Result<StoreConfig> ConfigFromFlag(const Args& args, const std::string& name, Io io);
// The layout a reader needs: `config`'s values when --config was given
// (else inferred from the files), then the layout flags, each range-checked.
Result<StoreReadOptions> StoreOptionsFromArgs(const Args& args, const StoreConfig& config);
// One `--set key=value` applied to `config` (StoreConfig::Set); the error
// names the flag.
Status ApplySetFlag(StoreConfig& config, const std::string& key_value);
// The --set flags of a command reading timer files: timerPrecisionMs and
// mappedFileSizeTimerLog (and the keys in `also`) applied over `config`,
// which fills options' timer fields when --config or a timer key was given.
// Any other key is refused, naming the keys the command reads.
Status ApplyTimerSetFlags(const Args& args, StoreConfig config, StoreReadOptions& options,
                          const std::set<std::string>& also = {});

// Parses argv against the flags; prints the error and returns false on a
// usage problem. `--help` is always accepted: prints `help`, sets *exit_code.
bool ParseOrUsage(const std::vector<std::string>& argv, std::set<std::string> value_flags,
                  std::set<std::string> bool_flags, const char* help, Io io, Args& args, int& exit_code);

// A command that reads a store root.
struct StoreCommand {
  Args args;
  StoreConfig config;  // what --config said, or RocketMQ's defaults
  StoreReadOptions options;
  StorePaths paths;    // ROOT, and its commit log (moved by --config's storePathCommitLog)
  std::string root;
};

// OK when `paths` is a store root: a directory holding the commit-log
// directory (<root>/commitlog, which a broker creates at its first start,
// or where storePathCommitLog moved it). Otherwise an InvalidArgument
// saying what the path is instead: "ROOT does not exist", "ROOT is not a
// directory", "no commitlog/ under ROOT" (with a hint when ROOT is a
// folder inside a store root).
Status CheckStoreRoot(FileSystem& fs, const StorePaths& paths);

// For `command.args` already parsed: --config, the layout flags and `root`,
// which must be a store root. On a problem prints it and returns false (the
// exit code is kExitUsage). When another process has the store open (its
// lock is held) says so on io.err first: what is read may be changing.
bool PrepareStoreCommand(const std::string& name, const std::string& root, Io io, StoreCommand& command);

// A command of the form "mqstore NAME ROOT [flags]": exactly one ROOT, the
// store layout flags plus `value_flags` and `bool_flags`, then
// PrepareStoreCommand. On --help or a usage problem it prints what is due,
// sets *exit_code and returns false.
bool ParseStoreCommand(const char* name, const std::vector<std::string>& argv, std::set<std::string> value_flags,
                       std::set<std::string> bool_flags, const std::string& help, Io io, StoreCommand& command,
                       int& exit_code);

// "2026-11-25T00:49:53.249Z" (UTC); "-" for 0.
std::string FormatMillis(int64_t ms);

// A record as one JSON line with the golden files' field names, plus msgId.
std::string RecordJson(int64_t offset, const MessageRecordView& m);

}  // namespace mqstore::cli
