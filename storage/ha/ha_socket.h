// The few TCP calls the HA protocol needs (RocketMQ's HA uses plain
// non-blocking NIO sockets with TCP_NODELAY): an owned descriptor, a
// listener, a connect with a deadline, and non-blocking reads and writes
// that say "would block" instead of blocking. Errors are Status values
// naming the peer and the call.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "mqstore/status.h"

namespace mqstore {

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { Close(); }
  Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Fd& operator=(Fd&& o) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void Close();

 private:
  int fd_ = -1;
};

// A listening socket on all interfaces, `port` (0: the OS picks; see
// LocalPort), non-blocking, SO_REUSEADDR.
Result<Fd> ListenTcp(int port);
int LocalPort(const Fd& fd);
// An accepted connection, non-blocking with TCP_NODELAY; an invalid Fd when
// none is waiting.
Result<Fd> AcceptTcp(const Fd& listener, std::string* peer);
// "host:port" (a name or an IPv4/IPv6 literal; [v6]:port too), connected
// within `timeout_ms`, non-blocking with TCP_NODELAY. `send_buffer_bytes`
// > 0 sets SO_SNDBUF (the OS rounds it up to its minimum) before
// connecting; 0 leaves the OS's autotuned size.
Result<Fd> ConnectTcp(std::string_view address, int timeout_ms, int send_buffer_bytes = 0);

// Bytes read into `into` (0: nothing there now); EOF and errors are
// statuses naming `peer`, and `*closed` (when given) says it was EOF: the
// peer closed its end.
Result<size_t> ReadSome(const Fd& fd, std::span<uint8_t> into, const std::string& peer, bool* closed = nullptr);
// Bytes written from `from` (0: the socket buffer is full).
Result<size_t> WriteSome(const Fd& fd, std::span<const uint8_t> from, const std::string& peer);

// poll() on up to two descriptors (`wake` may be -1) for `timeout_ms`:
// whether `fd` is readable / writable (per `want_write`); a readable `wake`
// (an eventfd) is drained.
struct PollResult {
  bool readable = false, writable = false, woken = false;
};
Result<PollResult> PollFd(const Fd& fd, bool want_write, int wake, int timeout_ms);

// An eventfd other threads write to end a PollFd early.
class WakeFd {
 public:
  WakeFd();
  int get() const { return fd_.get(); }
  void Wake() const;

 private:
  Fd fd_;
};

}  // namespace mqstore
