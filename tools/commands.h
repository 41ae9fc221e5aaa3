// The subcommands of `mqstore` and what they share.
#pragma once

#include <cstdint>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "format/message_record.h"
#include "storage/store_config.h"
#include "storage/store_options.h"
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

// Flags every store reader accepts: what the writer's broker.conf said.
//   --commitlog-size, --cq-file-size, --index-slots, --index-entries,
//   --max-message-size
extern const std::set<std::string> kStoreValueFlags;
extern const char kStoreFlagsHelp[];
Result<StoreReadOptions> StoreOptionsFromArgs(const Args& args);
// One `--set key=value` applied to `config` (StoreConfig::Set); the error
// names the flag.
Status ApplySetFlag(StoreConfig& config, const std::string& key_value);

// Parses argv against the flags; prints the error and returns false on a
// usage problem. `--help` is always accepted: prints `help`, sets *exit_code.
bool ParseOrUsage(const std::vector<std::string>& argv, std::set<std::string> value_flags,
                  std::set<std::string> bool_flags, const char* help, Io io, Args& args, int& exit_code);

// A command of the form "mqstore NAME ROOT [flags]".
struct StoreCommand {
  Args args;
  StoreReadOptions options;
  std::string root;
};

// Parses such a command: exactly one ROOT, which must exist, the store layout
// flags plus `value_flags` and `bool_flags`. On --help or a usage problem it
// prints what is due, sets *exit_code and returns false.
bool ParseStoreCommand(const char* name, const std::vector<std::string>& argv, std::set<std::string> value_flags,
                       std::set<std::string> bool_flags, const std::string& help, Io io, StoreCommand& command,
                       int& exit_code);

// "2026-11-25T00:49:53.249Z" (UTC); "-" for 0.
std::string FormatMillis(int64_t ms);

// A record as one JSON line with the golden files' field names, plus msgId.
std::string RecordJson(int64_t offset, const MessageRecordView& m);

}  // namespace mqstore::cli
