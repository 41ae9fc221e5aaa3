// HaClient: the slave side of replication (RocketMQ's HAClient). One
// connection to haMasterAddress at a time, on its own thread:
//   - on connect it reports its log's end at once (4.9.8 waits up to
//     haSendHeartbeatInterval first; the report is what starts the
//     transfer, so mqstore does not wait), then after every frame that
//     grew the log and every haSendHeartbeatInterval;
//   - every frame must start exactly where the replica's bytes end (a
//     brand-new, empty replica takes the first frame's offset, which must
//     be a file start); otherwise the connection is dropped and made again;
//   - the bytes are checked record by record (TOTALSIZE, magic, lengths,
//     PHYSICALOFFSET = position, a blank record exactly filling its file)
//     and appended with CommitLog::AppendReplica. A record split between
//     frames waits in memory (at most one record) until its tail comes, so
//     the log, and so the dispatcher and recovery, only ever see whole
//     records; the reported offset (the ack) is therefore a record end.
//   - anything wrong (a bad header, a header at the wrong offset, judged
//     before its body is waited for, bad record bytes, a master silent for
//     haHousekeepingInterval, an I/O error) drops the connection with
//     nothing of the bad frame appended, and it reconnects after a pause.
//   - so does a frame whose body has not all arrived within
//     haHousekeepingInterval of its header (on the store's clock): after a
//     reconnect, stale bytes of the old connection can read as a header
//     announcing megabytes, and the master's heartbeats, taken as body
//     bytes, would keep such a connection alive forever.
//   - a heartbeat naming an offset below this replica's end, as the first
//     bytes of a connection that the master then closes (what an mqstore
//     master sends before it closes on a diverged report), means the
//     master's log ends before the replica's (diverged), logged at ERROR
//     with both offsets: by default the client stops and says so
//     (Stats().error, diverged) and nothing is cut; with the cut_diverged
//     option (haDivergencePolicy=truncate) the log is cut back to the
//     master's end and the client reconnects and follows. Such a heartbeat
//     after other frames, or followed by more bytes, is stale or garbage
//     bytes: the connection is dropped and nothing is cut.
//   - writes never block: a report that does not fit in the socket's
//     buffer (a master that does not read them) drops the connection.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "format/ha_frame.h"
#include "mqstore/clock.h"
#include "mqstore/stats.h"
#include "storage/ha/ha_socket.h"
#include "storage/log/commit_log.h"

namespace mqstore {

struct HaSlaveOptions {
  std::string master_address;                 // haMasterAddress, host:port
  int64_t heartbeat_interval_ms = 5000;       // haSendHeartbeatInterval
  int64_t housekeeping_interval_ms = 20000;   // haHousekeepingInterval (5.x: since the last read)
  int64_t reconnect_wait_ms = 1000;           // between connection attempts
  int32_t max_frame_body = 4 << 20;           // HAClient's 4 MiB read buffer
  // SO_SNDBUF of the connection; 0: the OS's, autotuned to megabytes of
  // 8-byte reports. Tests shrink it so that a master that never reads
  // fills it within a few dozen reports.
  int send_buffer_bytes = 0;
  // The store's clock: a frame's body must arrive within
  // housekeeping_interval_ms of its header, on this clock.
  Clock* clock = &Clock::System();
  // haDivergencePolicy=truncate: called on the client's thread, with no
  // append under way, when the master's log ends at `master_end`, before
  // this replica's end; Ok = the log was cut back there, and replication
  // goes on. Unset (refuse): replication stops.
  std::function<Status(int64_t master_end)> cut_diverged;
};

class HaClient {
 public:
  // `on_append` runs on the client's thread after bytes went into the log
  // (the store wakes its flush service).
  HaClient(CommitLog& log, HaSlaveOptions options, std::function<void()> on_append = {});
  ~HaClient();
  HaClient(const HaClient&) = delete;
  HaClient& operator=(const HaClient&) = delete;

  void Start();
  void Stop();  // closes the connection, joins the thread

  ReplicationStats Stats() const;
  bool diverged() const { return diverged_.load(std::memory_order_acquire); }
  // The most bytes this client ever held received but not yet appended
  // (a partial frame plus a record's head): bounded by one frame
  // (max_frame_body) and one read, whatever the master sends.
  size_t buffered_peak() const { return buffered_peak_.load(std::memory_order_relaxed); }
  // How many times the log was cut back to a diverged master's end.
  uint64_t divergence_cuts() const { return cuts_.load(std::memory_order_relaxed); }

 private:
  void Run();
  Status Session(Fd& fd);
  Status Report(const Fd& fd, int64_t offset);
  Status TakeFrames(const Fd& fd);
  Status CheckFrameStart(const HaFrameHeader& header) const;
  Status CheckFrameDeadline() const;
  Status Apply(const HaFrameHeader& header, std::span<const uint8_t> body);
  // A brand-new, empty replica: it takes the first frame's offset.
  bool Fresh() const;
  // The master's log ends at `master_end`, before this replica's: sets the
  // error and the flag; the session ends with the returned status.
  Status Diverged(int64_t master_end);
  Status NotADivergenceNotice(int64_t offset, const std::string& why) const;
  // Appends the whole records at the front of pending_ (per file).
  Status AppendWhole();
  void SetError(const std::string& why);
  void Pause(int64_t ms);
  // After a session ended on divergence: the policy's answer.
  void OnDiverged();

  CommitLog& log_;
  const HaSlaveOptions options_;
  const std::function<void()> on_append_;
  std::string peer_;

  std::vector<uint8_t> in_;       // received, not yet a whole frame
  std::vector<uint8_t> pending_;  // frame bytes not yet appended (a record's head)
  int64_t pending_at_ = 0;        // log offset of pending_[0]
  int64_t blank_left_ = 0;        // bytes of a blank record still to come
  int64_t last_report_ms_ = 0, last_read_ms_ = 0, reported_ = -1;
  // The frame whose header is at in_'s front and whose body is still
  // coming, and when (options_.clock, ms) that header was read; -1: none.
  HaFrameHeader open_frame_;
  int64_t frame_started_ms_ = -1;
  // A heartbeat below the replica's end came first on this connection: the
  // master's end if the connection now ends with nothing more; -1: none.
  int64_t claimed_end_ = -1;
  uint64_t session_frames_ = 0;  // whole frames taken on this connection

  std::atomic<bool> stop_{false}, connected_{false}, diverged_{false};
  std::atomic<int64_t> master_end_{0};  // the furthest end a frame showed
  std::atomic<int64_t> caught_up_ms_{0};
  int64_t master_log_end_ = -1;  // a diverged master's end, from its heartbeat
  std::atomic<uint64_t> cuts_{0};
  std::atomic<size_t> buffered_peak_{0};
  std::atomic<uint64_t> frames_{0}, connects_{0};
  mutable std::mutex mu_;  // guards error_; with cv_, the pause between attempts
  std::condition_variable cv_;
  std::string error_;
  WakeFd wake_;
  std::thread thread_;
};

}  // namespace mqstore
