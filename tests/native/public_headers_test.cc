// The public headers are the same on every platform: all of them together bring in no
// operating-system header (sockets, epoll, Winsock, windows.h), so an application's own code
// sees no platform macros or types through wspeer. Built and run on Linux and, under Wine, on
// Windows. Also: SocketAddress, the type that keeps sockaddr out of those headers.
#include "tests/native/every_public_header.h"

#if defined(AF_INET) || defined(AF_INET6) || defined(_SYS_SOCKET_H) || defined(_NETINET_IN_H) || \
    defined(_SYS_EPOLL_H) || defined(_ARPA_INET_H) || defined(_NETDB_H)
#error "a public wspeer header includes a socket header"
#endif
#if defined(_WINSOCKAPI_) || defined(_WINSOCK2API_) || defined(_WS2TCPIP_H_) || \
    defined(_WINDOWS_) || defined(_WINDEF_)
#error "a public wspeer header includes a Windows header"
#endif

#include <gtest/gtest.h>

namespace wsp {
namespace {

TEST(SocketAddressTest, ParsesIpv4Literal) {
  const std::optional<SocketAddress> address = SocketAddress::from_ip("127.0.0.1", 8080);
  ASSERT_TRUE(address.has_value());
  EXPECT_EQ(address->ip_version(), 4);
  EXPECT_EQ(address->host(), "127.0.0.1");
  EXPECT_EQ(address->port(), 8080);
  EXPECT_EQ(address->text(), "127.0.0.1:8080");
}

TEST(SocketAddressTest, ParsesIpv6LiteralAndBracketsItsText) {
  const std::optional<SocketAddress> address = SocketAddress::from_ip("::1", 443);
  ASSERT_TRUE(address.has_value());
  EXPECT_EQ(address->ip_version(), 6);
  EXPECT_EQ(address->host(), "::1");
  EXPECT_EQ(address->port(), 443);
  EXPECT_EQ(address->text(), "[::1]:443");
}

TEST(SocketAddressTest, ReportsIpv4MappedClientAsIpv4) {
  const std::optional<SocketAddress> address = SocketAddress::from_ip("::ffff:10.1.2.3", 5);
  ASSERT_TRUE(address.has_value());
  EXPECT_EQ(address->ip_version(), 6);
  EXPECT_EQ(address->host(), "10.1.2.3");
  EXPECT_EQ(address->text(), "10.1.2.3:5");
}

TEST(SocketAddressTest, NetworkGroupsIpv6ByPrefixAndKeepsIpv4Whole) {
  auto network = [](const std::string& ip, int prefix) {
    return SocketAddress::from_ip(ip, 1)->network(prefix);
  };
  EXPECT_EQ(network("203.0.113.7", 64), "203.0.113.7");
  EXPECT_EQ(network("::ffff:203.0.113.7", 64), "203.0.113.7") << "IPv4-mapped counts as IPv4";
  EXPECT_EQ(network("2001:db8:1:2:3:4:5:6", 64), "2001:db8:1:2::/64");
  EXPECT_EQ(network("2001:db8:1:2:ffff::1", 64), "2001:db8:1:2::/64") << "the same /64";
  EXPECT_NE(network("2001:db8:1:3::1", 64), network("2001:db8:1:2::1", 64));
  EXPECT_EQ(network("2001:db8:1:2:3:4:5:6", 56), "2001:db8:1::/56");
  EXPECT_EQ(network("2001:db8:1:2ff::1", 60), "2001:db8:1:2f0::/60") << "a prefix inside a group";
  EXPECT_EQ(network("2001:db8::1", 128), "2001:db8::1") << "128: each address alone";
  EXPECT_EQ(network("::1", 64), "::/64");
}

TEST(SocketAddressTest, RefusesHostNamesBracketsAndBadPorts) {
  EXPECT_FALSE(SocketAddress::from_ip("localhost", 80).has_value());
  EXPECT_FALSE(SocketAddress::from_ip("[::1]", 80).has_value());
  EXPECT_FALSE(SocketAddress::from_ip("", 80).has_value());
  EXPECT_FALSE(SocketAddress::from_ip("127.0.0.1", -1).has_value());
  EXPECT_FALSE(SocketAddress::from_ip("127.0.0.1", 65536).has_value());
  EXPECT_TRUE(SocketAddress::from_ip("127.0.0.1", 0).has_value());
  EXPECT_TRUE(SocketAddress::from_ip("127.0.0.1", 65535).has_value());
}

TEST(SocketAddressTest, EmptyAddressIsNoAddress) {
  const SocketAddress none;
  EXPECT_EQ(none.ip_version(), 0);
  EXPECT_EQ(none.port(), 0);
  EXPECT_EQ(none.host(), "");
}

}  // namespace
}  // namespace wsp
