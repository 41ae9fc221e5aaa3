#include "storage/ha/ha_socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace mqstore {
namespace {

Status Errno(const std::string& what) { return Status::IOError(what + ": " + std::strerror(errno)); }

void Tune(int fd) {
  const int one = 1;
  (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  (void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

std::string PeerName(const sockaddr_storage& a) {
  char host[INET6_ADDRSTRLEN] = {};
  int port = 0;
  if (a.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&a);
    inet_ntop(AF_INET, &v4->sin_addr, host, sizeof host);
    port = ntohs(v4->sin_port);
    return std::string(host) + ":" + std::to_string(port);
  }
  const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&a);
  inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof host);
  port = ntohs(v6->sin6_port);
  return "[" + std::string(host) + "]:" + std::to_string(port);
}

}  // namespace

Fd& Fd::operator=(Fd&& o) noexcept {
  if (this != &o) {
    Close();
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

void Fd::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Result<Fd> ListenTcp(int port) {
  Fd fd(::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
  bool v6 = fd.valid();
  if (!v6) fd = Fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return Errno("HA listener: socket");
  const int one = 1, zero = 0;
  (void)setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  int rc;
  if (v6) {
    (void)setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);  // IPv4 too
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_any;
    a.sin6_port = htons(static_cast<uint16_t>(port));
    rc = ::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a);
  } else {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_ANY);
    a.sin_port = htons(static_cast<uint16_t>(port));
    rc = ::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a);
  }
  if (rc != 0) return Errno("HA listener: bind to port " + std::to_string(port) + " (haListenPort)");
  if (::listen(fd.get(), 64) != 0) return Errno("HA listener: listen on port " + std::to_string(port));
  (void)fcntl(fd.get(), F_SETFL, fcntl(fd.get(), F_GETFL) | O_NONBLOCK);
  return fd;
}

int LocalPort(const Fd& fd) {
  sockaddr_storage a{};
  socklen_t len = sizeof a;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&a), &len) != 0) return -1;
  if (a.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&a)->sin_port);
  return ntohs(reinterpret_cast<sockaddr_in6*>(&a)->sin6_port);
}

Result<Fd> AcceptTcp(const Fd& listener, std::string* peer) {
  sockaddr_storage a{};
  socklen_t len = sizeof a;
  Fd fd(::accept4(listener.get(), reinterpret_cast<sockaddr*>(&a), &len, SOCK_CLOEXEC));
  if (!fd.valid()) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED) return Fd();
    return Errno("HA listener: accept");
  }
  Tune(fd.get());
  if (peer) *peer = PeerName(a);
  return fd;
}

Result<Fd> ConnectTcp(std::string_view address, int timeout_ms, int send_buffer_bytes) {
  const std::string text(address);
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size())
    return Status::InvalidArgument("HA master address '" + text + "' is not host:port (haMasterAddress)");
  std::string host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const std::string port = text.substr(colon + 1);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0)
    return Status::InvalidArgument("HA master address '" + text + "': " + gai_strerror(rc));
  Status last = Status::IOError("HA master " + text + ": no address to connect to");
  for (addrinfo* ai = found; ai; ai = ai->ai_next) {
    Fd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol));
    if (!fd.valid()) continue;
    Tune(fd.get());
    if (send_buffer_bytes > 0)
      (void)setsockopt(fd.get(), SOL_SOCKET, SO_SNDBUF, &send_buffer_bytes, sizeof send_buffer_bytes);
    if (::connect(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
      last = Errno("HA master " + text + ": connect");
      continue;
    }
    pollfd p{fd.get(), POLLOUT, 0};
    if (::poll(&p, 1, timeout_ms) != 1) {
      last = Status::IOError("HA master " + text + ": connect timed out");
      continue;
    }
    int err = 0;
    socklen_t len = sizeof err;
    (void)getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      last = Status::IOError("HA master " + text + ": connect: " + std::strerror(err));
      continue;
    }
    ::freeaddrinfo(found);
    return fd;
  }
  ::freeaddrinfo(found);
  return last;
}

Result<size_t> ReadSome(const Fd& fd, std::span<uint8_t> into, const std::string& peer, bool* closed) {
  if (into.empty()) return size_t{0};
  const ssize_t n = ::recv(fd.get(), into.data(), into.size(), 0);
  if (n > 0) return static_cast<size_t>(n);
  if (n == 0) {
    if (closed != nullptr) *closed = true;
    return Status::IOError("HA peer " + peer + " closed the connection");
  }
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return size_t{0};
  return Errno("HA peer " + peer + ": read");
}

Result<size_t> WriteSome(const Fd& fd, std::span<const uint8_t> from, const std::string& peer) {
  if (from.empty()) return size_t{0};
  const ssize_t n = ::send(fd.get(), from.data(), from.size(), MSG_NOSIGNAL);
  if (n >= 0) return static_cast<size_t>(n);
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return size_t{0};
  return Errno("HA peer " + peer + ": write");
}

Result<PollResult> PollFd(const Fd& fd, bool want_write, int wake, int timeout_ms) {
  pollfd p[2] = {{fd.get(), static_cast<short>(POLLIN | (want_write ? POLLOUT : 0)), 0}, {wake, POLLIN, 0}};
  const int n = ::poll(p, wake >= 0 ? 2 : 1, timeout_ms);
  if (n < 0 && errno != EINTR) return Errno("HA: poll");
  PollResult r;
  if (n <= 0) return r;
  r.readable = (p[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0;
  r.writable = (p[0].revents & (POLLOUT | POLLERR)) != 0;
  if (wake >= 0 && (p[1].revents & POLLIN)) {
    uint64_t drained = 0;
    (void)!::read(wake, &drained, sizeof drained);
    r.woken = true;
  }
  return r;
}

WakeFd::WakeFd() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

void WakeFd::Wake() const {
  const uint64_t one = 1;
  (void)!::write(fd_.get(), &one, sizeof one);
}

}  // namespace mqstore
