// The proxies a client can connect through (HTTP CONNECT, SOCKS5) and their URLs. Not to be
// confused with core/proxy_protocol.h, which is what a load balancer in front of a server sends.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "wspeer/core/error.h"

namespace wsp {

enum class ProxyKind : uint8_t {
  kHttp,     ///< http://: an HTTP proxy asked for a tunnel with CONNECT (RFC 9110 §9.3.6)
  kSocks5,   ///< socks5://: SOCKS5 (RFC 1928); we resolve the server's name
  kSocks5h,  ///< socks5h://: SOCKS5, and the proxy resolves the server's name
};

struct ProxyUrl {
  ProxyKind kind = ProxyKind::kHttp;
  std::string host;  ///< lowercased; an IPv6 literal without its brackets
  bool host_is_ipv6 = false;
  uint16_t port = 0;     ///< explicit, or 1080 (curl's default for every kind)
  std::string username;  ///< percent-decoded; empty without credentials
  std::string password;
  bool has_credentials = false;

  /// scheme://host:port, without the credentials: for messages and logs.
  std::string to_string() const;
};

inline constexpr uint16_t kDefaultProxyPort = 1080;

/// Parses "[scheme://][user[:password]@]host[:port][/]". The scheme is http (the default, as in
/// curl), socks5 or socks5h; https:// and SOCKS4 proxies are refused with a sentence saying so,
/// as are paths, queries and (for SOCKS5) names or passwords longer than 255 bytes (RFC 1929).
Error parse_proxy_url(std::string_view text, ProxyUrl* proxy, std::string* error);

}  // namespace wsp
