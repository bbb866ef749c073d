// SocketAddress: an IP address and port, held without the operating system's socket headers so
// that the native backend's public headers are the same on every platform.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

namespace wsp {

/// An IPv4 or IPv6 address with a port: where a TCP stream connects to or comes from.
class SocketAddress {
 public:
  /// No address (ip_version() is 0).
  SocketAddress() = default;

  /// An IPv4 or IPv6 literal ("127.0.0.1", "::1"; no brackets, no host names) and a port;
  /// nothing when `ip` is not a literal or `port` is outside 0..65535.
  static std::optional<SocketAddress> from_ip(const std::string& ip, int port);

  /// 4 for IPv4, 6 for IPv6, 0 for no address.
  int ip_version() const;
  /// The numeric host; an IPv4 client of a dual-stack listener (an IPv4-mapped IPv6 address) as
  /// IPv4.
  std::string host() const;
  int port() const;
  /// "127.0.0.1:80" or "[::1]:80".
  std::string text() const;
  /// The network a per-address limit counts this address in: an IPv4 address (IPv4-mapped too)
  /// alone, an IPv6 address by its first `ipv6_prefix_length` bits ("2001:db8:0:1::/64"; 128:
  /// the address alone), since one IPv6 host or network usually holds a whole /64 and could
  /// otherwise use a new address for every connection.
  std::string network(int ipv6_prefix_length) const;

  /// The platform's own form (a sockaddr_in or sockaddr_in6), for the platform seam only.
  static constexpr size_t kNativeCapacity = 28;
  const void* native_bytes() const { return bytes_; }
  void* native_bytes() { return bytes_; }

 private:
  alignas(8) unsigned char bytes_[kNativeCapacity] = {};
};

}  // namespace wsp
