// mqstore follow MASTER ROOT: a standby replica of a live master (RocketMQ
// or mqstore) kept in ROOT by the HA protocol, with the store's dispatcher.
// mqstore serve ROOT --ha-port P: an existing store's commit log served to
// slaves, read-only. Both stop cleanly on SIGINT/SIGTERM or after --seconds.
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "storage/message_store.h"
#include "tools/cli.h"
#include "tools/commands.h"

namespace mqstore::cli {
namespace {

const char kFollowHelp[] =
    "usage: mqstore follow MASTER_HOST:PORT ROOT [--config F] [--set k=v ...] [--seconds S]\n"
    "\n"
    "Keeps ROOT a replica of the master's commit log over RocketMQ's HA\n"
    "protocol (the master's haListenPort, 10912 on a RocketMQ broker), and\n"
    "builds ROOT's consume queues and index from it. ROOT is created when\n"
    "missing; an existing replica resumes at its own end. Prints progress\n"
    "(offset, lag, MB/s) each second on a terminal; stops on SIGINT/SIGTERM\n"
    "or after S seconds, with exit 0. --config/--set: store knobs (e.g.\n"
    "mappedFileSizeCommitLog, which must be the master's).\n";

const char kServeHelp[] =
    "usage: mqstore serve ROOT --ha-port P [--config F] [--set k=v ...] [--seconds S]\n"
    "\n"
    "Serves the commit log of a store that was shut down cleanly to slaves\n"
    "on port P (0: the OS picks; printed), read-only: no byte of ROOT\n"
    "changes and no put is taken. A fresh slave gets the whole log with\n"
    "--set haTransferWholeHistory=true (else RocketMQ's rule: the last file).\n"
    "Stops on SIGINT/SIGTERM or after S seconds, with exit 0.\n";

// An atomic rather than a volatile sig_atomic_t: lock-free, so a signal
// handler may set it, and two commands run in one process (the tests run
// `serve` and `follow` side by side) read and reset it without a race.
std::atomic<int> g_stop{0};
static_assert(std::atomic<int>::is_always_lock_free);
extern "C" void OnStopSignal(int) { g_stop.store(1, std::memory_order_relaxed); }

// SIGINT and SIGTERM set g_stop while it lives.
class StopSignals {
 public:
  StopSignals() {
    g_stop.store(0, std::memory_order_relaxed);
    struct sigaction sa {};
    sa.sa_handler = OnStopSignal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
  }
  ~StopSignals() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }

 private:
  struct sigaction old_int_ {}, old_term_ {};
};

Result<double> Seconds(const Args& args) {
  const auto text = args.Get("seconds");
  if (!text) return 0.0;  // until a signal
  char* end = nullptr;
  const double v = std::strtod(text->c_str(), &end);
  if (text->empty() || *end != '\0' || !std::isfinite(v) || v <= 0 || v > 1e7)
    return Status::InvalidArgument("--seconds must be a positive number of seconds, not '" + *text + "'");
  return v;
}

Result<StoreConfig> ReplicaConfig(const Args& args, const std::string& name, Io io) {
  auto config = ConfigFromFlag(args, name, io);
  if (!config.ok()) return config.error();
  for (const std::string& kv : args.GetAll("set")) MQ_RETURN_IF_ERROR(ApplySetFlag(*config, kv));
  return config;
}

// Runs `tick` about every `period_ms` until a signal or `seconds` (0: no limit).
template <typename F>
void RunUntilStopped(double seconds, int period_ms, F tick) {
  const auto start = std::chrono::steady_clock::now();
  auto next = start;
  while (g_stop.load(std::memory_order_relaxed) == 0) {
    const auto now = std::chrono::steady_clock::now();
    if (seconds > 0 && now - start >= std::chrono::duration<double>(seconds)) break;
    if (now >= next) {
      tick(std::chrono::duration<double>(now - start).count());
      next = now + std::chrono::milliseconds(period_ms);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

int Fail(const std::string& name, const Status& st, Io io, int code) {
  io.err << "mqstore " << name << ": " << st.message() << "\n";
  return code;
}

}  // namespace

int RunFollow(const std::vector<std::string>& argv, Io io) {
  Args args;
  int code = 0;
  if (!ParseOrUsage(argv, {"config", "set", "seconds"}, {}, kFollowHelp, io, args, code)) return code;
  if (args.positional().size() != 2) {
    io.err << "mqstore follow: expected MASTER_HOST:PORT ROOT\n\n" << kFollowHelp;
    return kExitUsage;
  }
  auto seconds = Seconds(args);
  if (!seconds.ok()) return Fail("follow", seconds.error(), io, kExitUsage);
  auto config = ReplicaConfig(args, "follow", io);
  if (!config.ok()) return Fail("follow", config.error(), io, kExitUsage);
  config->storePathRootDir = args.positional()[1];
  config->storePathCommitLog.clear();
  config->brokerRole = BrokerRole::kSlave;
  if (Status st = config->Set("haMasterAddress", args.positional()[0]); !st.ok())
    return Fail("follow", st, io, kExitUsage);
  if (Status st = config->Validate(); !st.ok()) return Fail("follow", st, io, kExitUsage);
  StopSignals signals;
  auto store = MessageStore::Open(*config);
  if (!store.ok()) return Fail("follow", store.error(), io, kExitDataProblem);
  const bool tty = ::isatty(STDOUT_FILENO) == 1;
  const int64_t first = (*store)->commit_log().WroteOffset();
  auto line = [&](double elapsed) {
    const ReplicationStats r = (*store)->Stats().replication;
    const double mb_s = elapsed > 0 ? static_cast<double>(r.applied_offset - first) / elapsed / 1e6 : 0;
    char buf[256];
    std::snprintf(buf, sizeof buf, "offset %lld  lag %lld bytes %lld ms  %.1f MB/s  %s",
                  static_cast<long long>(r.applied_offset), static_cast<long long>(r.lag_bytes),
                  static_cast<long long>(r.lag_millis), mb_s, r.connected ? "connected" : "not connected");
    return std::string(buf) + (r.connected || r.error.empty() ? "" : " (" + r.error + ")");
  };
  io.out << "following " << args.positional()[0] << " into " << args.positional()[1] << " from offset " << first
         << "\n";
  double elapsed = 0;
  RunUntilStopped(*seconds, 1000, [&](double t) {
    elapsed = t;
    if (tty) io.out << "\r" << line(t) << "\x1b[K" << std::flush;
  });
  const bool diverged = (*store)->Stats().replication.diverged;
  if (tty) io.out << "\n";
  io.out << line(elapsed) << "\n";
  if (Status st = (*store)->Shutdown(); !st.ok()) return Fail("follow", st, io, kExitDataProblem);
  if (diverged) {
    io.err << "mqstore follow: the replica diverged from the master: " << (*store)->Stats().replication.error << "\n";
    return kExitDataProblem;
  }
  return kExitOk;
}

int RunServe(const std::vector<std::string>& argv, Io io) {
  Args args;
  int code = 0;
  if (!ParseOrUsage(argv, {"config", "set", "seconds", "ha-port"}, {}, kServeHelp, io, args, code)) return code;
  if (args.positional().size() != 1 || !args.Has("ha-port")) {
    io.err << "mqstore serve: expected ROOT --ha-port P\n\n" << kServeHelp;
    return kExitUsage;
  }
  auto port = args.GetInt("ha-port", 0, 0, 65535);
  if (!port.ok()) return Fail("serve", port.error(), io, kExitUsage);
  auto seconds = Seconds(args);
  if (!seconds.ok()) return Fail("serve", seconds.error(), io, kExitUsage);
  auto config = ReplicaConfig(args, "serve", io);
  if (!config.ok()) return Fail("serve", config.error(), io, kExitUsage);
  config->storePathRootDir = args.positional()[0];
  if (Status st = config->Validate(); !st.ok()) return Fail("serve", st, io, kExitUsage);
  StopSignals signals;
  auto store = MessageStore::OpenReadOnly(*config);
  if (!store.ok()) return Fail("serve", store.error(), io, kExitDataProblem);
  HaMasterOptions o;
  o.listen_port = static_cast<int32_t>(*port);
  o.transfer_batch_size = config->haTransferBatchSize;
  o.heartbeat_interval_ms = config->haSendHeartbeatInterval;
  o.housekeeping_interval_ms = config->haHousekeepingInterval;
  o.whole_history = config->haTransferWholeHistory;
  HaService service((*store)->commit_log(), o);
  if (Status st = service.Start(); !st.ok()) return Fail("serve", st, io, kExitUsage);
  io.out << "serving " << args.positional()[0] << " [" << (*store)->commit_log().MinOffset() << ", "
         << (*store)->commit_log().MaxOffset() << ") on port " << service.port() << "\n"
         << std::flush;
  RunUntilStopped(*seconds, 1000, [](double) {});
  const ReplicationStats r = service.Stats();
  service.Stop();
  io.out << "served: " << r.slaves << " slave(s) connected at the end, furthest ack " << r.slave_ack_offset << "\n";
  return kExitOk;
}

}  // namespace mqstore::cli
