// SocketAddress and its conversions for the seam: the same calls (inet_ntop, inet_pton, byte
// order) on every platform.
#include "wspeer/platform/native/socket_address.h"

#include <cstring>

#include "wspeer/platform/native/net.h"

#ifndef _WIN32
#include <arpa/inet.h>
#endif

namespace wsp {

// The public header cannot see the platform's types: check here that they fit its storage.
static_assert(sizeof(sockaddr_in6) <= SocketAddress::kNativeCapacity);
static_assert(sizeof(sockaddr_in) <= SocketAddress::kNativeCapacity);
static_assert(alignof(sockaddr_in6) <= 8);

namespace {

int stored_family(const SocketAddress& address) {
  decltype(sockaddr_in6::sin6_family) family;
  std::memcpy(&family,
              static_cast<const unsigned char*>(address.native_bytes()) +
                  offsetof(sockaddr_in6, sin6_family),
              sizeof(family));
  return family;
}

}  // namespace

std::optional<SocketAddress> SocketAddress::from_ip(const std::string& ip, int port) {
  if (port < 0 || port > 65535) return std::nullopt;
  SocketAddress address;
  sockaddr_in v4{};
  if (inet_pton(AF_INET, ip.c_str(), &v4.sin_addr) == 1) {
    v4.sin_family = AF_INET;
    v4.sin_port = htons(static_cast<uint16_t>(port));
    std::memcpy(address.bytes_, &v4, sizeof(v4));
    return address;
  }
  sockaddr_in6 v6{};
  if (inet_pton(AF_INET6, ip.c_str(), &v6.sin6_addr) == 1) {
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons(static_cast<uint16_t>(port));
    std::memcpy(address.bytes_, &v6, sizeof(v6));
    return address;
  }
  return std::nullopt;
}

int SocketAddress::ip_version() const {
  switch (stored_family(*this)) {
    case AF_INET:
      return 4;
    case AF_INET6:
      return 6;
    default:
      return 0;
  }
}

std::string SocketAddress::host() const {
  char text[INET6_ADDRSTRLEN] = {};
  const native::NativeAddress address = native::to_native(*this);
  if (address.storage.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(address.storage);
    inet_ntop(AF_INET, &v4.sin_addr, text, sizeof(text));
  } else if (address.storage.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(address.storage);
    if (IN6_IS_ADDR_V4MAPPED(&v6.sin6_addr)) {
      // A dual-stack listener sees IPv4 clients as ::ffff:a.b.c.d; report the IPv4 address.
      inet_ntop(AF_INET, &v6.sin6_addr.s6_addr[12], text, sizeof(text));
    } else {
      inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof(text));
    }
  }
  return text;
}

int SocketAddress::port() const {
  const native::NativeAddress address = native::to_native(*this);
  if (address.storage.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<const sockaddr_in&>(address.storage).sin_port);
  }
  if (address.storage.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6&>(address.storage).sin6_port);
  }
  return 0;
}

std::string SocketAddress::text() const {
  const std::string numeric_host = host();
  const std::string port_text = std::to_string(port());
  return numeric_host.find(':') != std::string::npos ? "[" + numeric_host + "]:" + port_text
                                                     : numeric_host + ":" + port_text;
}

std::string SocketAddress::network(int ipv6_prefix_length) const {
  const native::NativeAddress address = native::to_native(*this);
  if (address.storage.ss_family != AF_INET6) return host();
  sockaddr_in6 v6 = reinterpret_cast<const sockaddr_in6&>(address.storage);
  const int prefix = ipv6_prefix_length < 0 ? 0 : ipv6_prefix_length;
  if (IN6_IS_ADDR_V4MAPPED(&v6.sin6_addr) || prefix >= 128) return host();
  for (int bit = prefix; bit < 128; ++bit) {
    v6.sin6_addr.s6_addr[bit / 8] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
  }
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof(text));
  return std::string(text) + "/" + std::to_string(prefix);
}

namespace native {

NativeAddress to_native(const SocketAddress& address) {
  NativeAddress result{};
  std::memcpy(&result.storage, address.native_bytes(), SocketAddress::kNativeCapacity);
  result.length = result.storage.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  return result;
}

SocketAddress from_native(const sockaddr_storage& address) {
  SocketAddress result;
  if (address.ss_family == AF_INET || address.ss_family == AF_INET6) {
    const size_t size = address.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
    std::memcpy(result.native_bytes(), &address, size);
  }
  return result;
}

}  // namespace native
}  // namespace wsp
