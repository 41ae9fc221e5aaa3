#include "format/socket_address.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstdio>
#include <cstring>

#include "format/big_endian.h"

namespace mqstore {

std::string SocketAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN + 16];
  char addr[INET6_ADDRSTRLEN];
  if (ipv6) {
    inet_ntop(AF_INET6, ip.data(), addr, sizeof addr);
    std::snprintf(buf, sizeof buf, "[%s]:%d", addr, port);
  } else {
    std::snprintf(buf, sizeof buf, "%u.%u.%u.%u:%d", ip[0], ip[1], ip[2], ip[3], port);
  }
  return buf;
}

SocketAddress SocketAddress::V4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, int32_t port) {
  SocketAddress s;
  s.ip[0] = a;
  s.ip[1] = b;
  s.ip[2] = c;
  s.ip[3] = d;
  s.port = port;
  return s;
}

Result<SocketAddress> SocketAddress::Parse(std::string_view text) {
  const auto bad = [&](const char* why) {
    return Status::InvalidArgument("bad host address '" + std::string(text) + "': " + why);
  };
  std::string_view host;
  std::string_view port;
  bool bracketed = !text.empty() && text.front() == '[';
  if (bracketed) {
    const size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return bad("expected [address]:port");
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return bad("expected address:port");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  SocketAddress s;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), s.port);
  if (ec != std::errc() || end != port.data() + port.size() || port.empty()) return bad("bad port");
  const std::string h(host);
  if (!bracketed && inet_pton(AF_INET, h.c_str(), s.ip.data()) == 1) return s;
  if (inet_pton(AF_INET6, h.c_str(), s.ip.data()) != 1) return bad("bad address");
  static constexpr uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
  if (std::memcmp(s.ip.data(), kMappedPrefix, 12) == 0) {
    std::memmove(s.ip.data(), s.ip.data() + 12, 4);
    std::memset(s.ip.data() + 4, 0, 12);
    return s;
  }
  s.ipv6 = true;
  return s;
}

SocketAddress SocketAddress::Load(const uint8_t* p, bool is_v6) {
  SocketAddress s;
  s.ipv6 = is_v6;
  const uint32_t n = is_v6 ? 16 : 4;
  std::memcpy(s.ip.data(), p, n);
  s.port = LoadI32(p + n);
  return s;
}

void SocketAddress::Store(uint8_t* p) const {
  const uint32_t n = AddressSize();
  std::memcpy(p, ip.data(), n);
  StoreI32(p + n, port);
}

}  // namespace mqstore
