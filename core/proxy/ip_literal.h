// IPv4 and IPv6 addresses written as text, parsed without the platform's inet_pton (the core
// builds for the browser too): for no_proxy's CIDR entries and SOCKS5's address fields.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace wsp {

struct IpLiteral {
  bool is_ipv6 = false;
  std::array<uint8_t, 16> bytes{};  ///< network order; an IPv4 address uses the first 4

  size_t size() const { return is_ipv6 ? 16 : 4; }
};

/// "192.0.2.1" (four decimal parts, each 0-255) or an IPv6 address in RFC 4291 §2.2 text form
/// ("::1", "2001:db8::5", "::ffff:192.0.2.1"), without brackets or zone.
std::optional<IpLiteral> parse_ip_literal(std::string_view text);

/// Whether the first `prefix_bits` bits of `a` and `b` match (same family only).
bool same_prefix(const IpLiteral& a, const IpLiteral& b, int prefix_bits);

}  // namespace wsp
