#include "tools/cli.h"

#include <string>
#include <vector>

#include "tools/commands.h"

namespace mqstore::cli {

static const char kUsage[] =
    "usage: mqstore <command> [options]\n"
    "\n"
    "Reads, verifies and queries RocketMQ-format store directories offline.\n"
    "\n"
    "commands:\n"
    "  inspect ROOT                     summary of a store root\n"
    "  dump commitlog ROOT              every record in physical order\n"
    "  dump cq ROOT TOPIC QUEUE_ID      units of one consume queue\n"
    "  dump index FILE                  an index file's header and entries\n"
    "  dump checkpoint ROOT             the checkpoint file\n"
    "  verify ROOT                      check every record, CQ unit and index entry\n"
    "  query ROOT --topic T --key K     find messages by key through the index\n"
    "  repair ROOT --policy P           cut (truncate) or skip damage a normal open refuses\n"
    "  gen ROOT                         write a sample commit log\n"
    "  bench --workload W               measure the engine: put, put-sync, read, recover, dispatch\n"
    "  follow MASTER_HOST:PORT ROOT     keep ROOT a replica of a live master (HA protocol)\n"
    "  serve ROOT --ha-port P           serve a store's commit log to slaves, read-only\n"
    "\n"
    "Run 'mqstore <command> --help' for a command's options.\n"
    "ROOT is a store root: the directory holding commitlog/ (or, with --config,\n"
    "the one whose commit log storePathCommitLog moved).\n"
    "Exit codes: 0 success, 1 the data has problems, 2 usage error (a bad flag,\n"
    "a number out of range, a ROOT that is not a store root).\n";

int Run(int argc, char** argv, std::ostream& out, std::ostream& err) {
  std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  if (args.empty()) {
    err << kUsage;
    return kExitUsage;
  }
  const std::string command = args.front();
  args.erase(args.begin());
  const Io io{out, err};
  if (command == "inspect") return RunInspect(args, io);
  if (command == "dump") return RunDump(args, io);
  if (command == "verify") return RunVerify(args, io);
  if (command == "query") return RunQuery(args, io);
  if (command == "gen") return RunGen(args, io);
  if (command == "repair") return RunRepair(args, io);
  if (command == "bench") return RunBench(args, io);
  if (command == "follow") return RunFollow(args, io);
  if (command == "serve") return RunServe(args, io);
  if (command == "--help" || command == "-h" || command == "help") {
    out << kUsage;
    return kExitOk;
  }
  err << "mqstore: unknown command '" << command << "'\n\n" << kUsage;
  return kExitUsage;
}

}  // namespace mqstore::cli
