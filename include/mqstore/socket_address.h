// A born or store host as a record holds it (MessageExt.socketAddress2ByteBuffer):
//
//   IPv4 (8 bytes):   [ address 4 ][ port i32 ]
//   IPv6 (20 bytes):  [ address 16 ][ port i32 ]
//
// The address bytes are in network order. SYSFLAG bits 0x10 / 0x20 say which
// form the born / store host has.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "mqstore/status.h"

namespace mqstore {

struct SocketAddress {
  bool ipv6 = false;
  std::array<uint8_t, 16> ip{};  // first 4 bytes used for IPv4
  int32_t port = 0;

  uint32_t EncodedSize() const { return ipv6 ? 20 : 8; }
  uint32_t AddressSize() const { return ipv6 ? 16 : 4; }

  // "a.b.c.d:port" or "[v6]:port" (RFC 5952 text, e.g. "[2001:db8::1]:40005").
  std::string ToString() const;
  // Parses what ToString prints. An IPv4-mapped IPv6 address becomes IPv4,
  // as Java's InetAddress does.
  static Result<SocketAddress> Parse(std::string_view text);
  static SocketAddress V4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, int32_t port);

  // Reads/writes EncodedSize() bytes at p.
  static SocketAddress Load(const uint8_t* p, bool ipv6);
  void Store(uint8_t* p) const;

  bool operator==(const SocketAddress&) const = default;
};

}  // namespace mqstore
