// What a client says to an HTTP proxy (CONNECT) and a SOCKS5 proxy, and how it reads their
// answers: fed whole and byte by byte, never past the end of the reply.
#include "wspeer/core/proxy/proxy_handshake.h"

#include <gtest/gtest.h>

#include <string>

#include "wspeer/core/base64.h"

namespace wsp {
namespace {

ProxyUrl proxy_url(const std::string& text) {
  ProxyUrl proxy;
  EXPECT_EQ(parse_proxy_url(text, &proxy, nullptr), OK);
  return proxy;
}

ProxyTarget target(const std::string& host, uint16_t port, bool ipv6 = false) {
  return ProxyTarget{host, ipv6, port, std::nullopt};
}

std::string take_output(ProxyHandshake& handshake) {
  std::string out = std::move(handshake.output());
  handshake.output().clear();
  return out;
}

// Feeds `reply` in pieces of `piece` bytes; returns how many bytes were taken in all.
size_t feed(ProxyHandshake& handshake, const std::string& reply, size_t piece) {
  size_t taken = 0;
  for (size_t at = 0; at < reply.size(); at += piece) {
    const std::string part = reply.substr(at, piece);
    const size_t used =
        handshake.receive(reinterpret_cast<const uint8_t*>(part.data()), part.size());
    taken += used;
    if (used < part.size()) break;
  }
  return taken;
}

TEST(HttpConnect, AsksForATunnelWithBasicCredentials) {
  auto handshake = start_proxy_handshake(proxy_url("http://al%40ice:pw@proxy:3128"),
                                         target("2001:db8::1", 443, true));
  const std::string pair = "al@ice:pw";
  EXPECT_EQ(take_output(*handshake),
            "CONNECT [2001:db8::1]:443 HTTP/1.1\r\nHost: [2001:db8::1]:443\r\n"
            "Proxy-Authorization: Basic " +
                base64_encode(reinterpret_cast<const uint8_t*>(pair.data()), pair.size()) +
                "\r\n\r\n");
  auto plain = start_proxy_handshake(proxy_url("proxy"), target("example.com", 80));
  EXPECT_EQ(take_output(*plain), "CONNECT example.com:80 HTTP/1.1\r\nHost: example.com:80\r\n\r\n");
}

TEST(HttpConnect, AnyTwoHundredOpensAndNothingPastTheHeadIsTaken) {
  for (size_t piece : {size_t{1}, size_t{7}, size_t{4096}}) {
    for (const std::string status :
         {"HTTP/1.1 200 Connection established", "HTTP/1.0 200 OK", "HTTP/1.1 204 No Content"}) {
      auto handshake = start_proxy_handshake(proxy_url("proxy:3128"), target("h", 80));
      const std::string head = status + "\r\nProxy-Agent: test\r\n\r\n";
      EXPECT_EQ(feed(*handshake, head + "SERVER BYTES", piece), head.size());
      EXPECT_EQ(handshake->status(), ProxyHandshake::Status::kOpen) << status;
      EXPECT_EQ(handshake->http_status(), std::stoi(status.substr(9, 3)));
    }
  }
}

std::string refused(const std::string& reply, const std::string& proxy = "proxy:3128") {
  auto handshake = start_proxy_handshake(proxy_url(proxy), target("ws.example", 443));
  feed(*handshake, reply, 3);
  EXPECT_EQ(handshake->status(), ProxyHandshake::Status::kFailed) << reply;
  return handshake->error();
}

TEST(HttpConnect, RefusalsSayTheStatusAndWhatToDo) {
  const std::string no_credentials = refused(
      "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=x\r\n\r\n");
  EXPECT_NE(no_credentials.find("http://proxy:3128 refused the tunnel to ws.example:443: HTTP 407 "
                                "Proxy Authentication Required."),
            std::string::npos)
      << no_credentials;
  EXPECT_NE(no_credentials.find("asks for credentials"), std::string::npos);

  // tinyproxy answers bad credentials with 401.
  const std::string bad = refused("HTTP/1.0 401 Unauthorized\r\n\r\n", "http://u:wrong@proxy");
  EXPECT_NE(bad.find("HTTP 401"), std::string::npos) << bad;
  EXPECT_NE(bad.find("did not accept the user name and password"), std::string::npos) << bad;
  EXPECT_EQ(bad.find("wrong"), std::string::npos) << "the password must not be shown: " << bad;

  const std::string negotiate =
      refused("HTTP/1.1 407 Auth\r\nProxy-Authenticate: Negotiate\r\n\r\n");
  EXPECT_NE(negotiate.find("only Basic"), std::string::npos) << negotiate;
  EXPECT_EQ(refused("HTTP/1.1 407 Auth\r\nProxy-Authenticate: NTLM, Basic realm=\"r\"\r\n\r\n")
                .find("only Basic"),
            std::string::npos);

  EXPECT_NE(refused("HTTP/1.1 403 Forbidden\r\n\r\n").find("HTTP 403 Forbidden."),
            std::string::npos);
  EXPECT_NE(refused("HTTP/1.1 502\r\n\r\n").find("HTTP 502."), std::string::npos);
  EXPECT_NE(refused("SSH-2.0-OpenSSH\r\n\r\n").find("did not answer CONNECT in HTTP"),
            std::string::npos);
  EXPECT_NE(refused("HTTP/1.1 200 OK\r\nX: " + std::string(9000, 'a')).find("longer than"),
            std::string::npos);
}

TEST(HttpConnect, TakesNothingOnceDecided) {
  auto handshake = start_proxy_handshake(proxy_url("proxy"), target("h", 80));
  feed(*handshake, "HTTP/1.1 403 No\r\n\r\n", 100);
  const uint8_t more[] = {'x'};
  EXPECT_EQ(handshake->receive(more, 1), 0u);
}

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int value : values) out.push_back(static_cast<char>(value));
  return out;
}

TEST(Socks5, ConnectsWithoutAuthenticationByAddressOrName) {
  for (size_t piece : {size_t{1}, size_t{3}, size_t{64}}) {
    // socks5h://: the proxy resolves the name.
    auto named = start_proxy_handshake(proxy_url("socks5h://proxy"), target("ws.example", 8080));
    EXPECT_EQ(take_output(*named), bytes({5, 1, 0}));
    EXPECT_EQ(feed(*named, bytes({5, 0}), piece), 2u);
    EXPECT_EQ(take_output(*named), bytes({5, 1, 0, 3, 10}) + "ws.example" + bytes({0x1f, 0x90}));
    const std::string reply = bytes({5, 0, 0, 1, 127, 0, 0, 1, 0x30, 0x39});
    EXPECT_EQ(feed(*named, reply + "tail", piece), reply.size());
    EXPECT_EQ(named->status(), ProxyHandshake::Status::kOpen);

    // socks5://: the address we resolved; an IPv6 one, and a reply bound to a name.
    ProxyTarget resolved = target("ws.example", 443);
    resolved.resolved = parse_ip_literal("2001:db8::7");
    auto by_address = start_proxy_handshake(proxy_url("socks5://proxy"), resolved);
    take_output(*by_address);
    feed(*by_address, bytes({5, 0}), piece);
    std::string request = bytes({5, 1, 0, 4, 0x20, 0x01, 0x0d, 0xb8});
    request += std::string(11, '\0') + bytes({7, 1, 0xbb});
    EXPECT_EQ(take_output(*by_address), request);
    const std::string named_reply = bytes({5, 0, 0, 3, 4}) + "host" + bytes({0, 80});
    EXPECT_EQ(feed(*by_address, named_reply + "x", piece), named_reply.size());
    EXPECT_EQ(by_address->status(), ProxyHandshake::Status::kOpen);
  }
  // socks5h:// with an IP literal sends the address.
  auto literal = start_proxy_handshake(proxy_url("socks5h://p"), target("10.0.0.2", 80));
  take_output(*literal);
  feed(*literal, bytes({5, 0}), 2);
  EXPECT_EQ(take_output(*literal), bytes({5, 1, 0, 1, 10, 0, 0, 2, 0, 80}));
}

TEST(Socks5, AuthenticatesWithUserNameAndPassword) {
  auto handshake = start_proxy_handshake(proxy_url("socks5h://user:p%40ss@proxy"), target("h", 80));
  EXPECT_EQ(take_output(*handshake), bytes({5, 2, 0, 2}));
  feed(*handshake, bytes({5, 2}), 1);
  EXPECT_EQ(take_output(*handshake), bytes({1, 4}) + "user" + bytes({4}) + "p@ss");
  feed(*handshake, bytes({1, 0}), 1);
  EXPECT_EQ(take_output(*handshake), bytes({5, 1, 0, 3, 1}) + "h" + bytes({0, 80}));
  feed(*handshake, bytes({5, 0, 0, 1, 0, 0, 0, 0, 0, 0}), 1);
  EXPECT_EQ(handshake->status(), ProxyHandshake::Status::kOpen);
}

std::string socks_failure(const std::string& proxy, const std::string& replies) {
  auto handshake = start_proxy_handshake(proxy_url(proxy), target("ws.example", 80));
  feed(*handshake, replies, 1);
  EXPECT_EQ(handshake->status(), ProxyHandshake::Status::kFailed) << proxy;
  return handshake->error();
}

TEST(Socks5, FailuresSayWhatWentWrong) {
  EXPECT_NE(socks_failure("socks5h://p", bytes({5, 0xff})).find("may need a user name"),
            std::string::npos);
  EXPECT_NE(socks_failure("socks5h://u:x@p", bytes({5, 0xff})).find("none of the methods"),
            std::string::npos);
  EXPECT_NE(socks_failure("socks5h://u:x@p", bytes({5, 2, 1, 2})).find("rejected the user name"),
            std::string::npos);
  // A password never offered cannot be chosen.
  EXPECT_NE(socks_failure("socks5h://p", bytes({5, 2})).find("not offered"), std::string::npos);
  EXPECT_NE(socks_failure("socks5h://p", "HTTP/1.1 400 Bad").find("as HTTP does"),
            std::string::npos);
  const std::string refused = socks_failure("socks5h://p", bytes({5, 0, 5, 5, 0, 1}));
  EXPECT_NE(refused.find("could not connect to ws.example:80: connection refused (0x05)"),
            std::string::npos)
      << refused;
  EXPECT_NE(socks_failure("socks5h://p", bytes({5, 0, 5, 2, 0, 1})).find("not allowed by ruleset"),
            std::string::npos);
  EXPECT_NE(socks_failure("socks5h://p", bytes({5, 0, 5, 0, 0, 9})).find("unknown address type"),
            std::string::npos);
  EXPECT_NE(socks_failure("socks5h://p", bytes({5, 0, 4, 0, 0, 1})).find("version 0x04"),
            std::string::npos);
}

TEST(Socks5, ANameLongerThanSocksAllowsFailsAtOnce) {
  auto handshake =
      start_proxy_handshake(proxy_url("socks5h://p"), target(std::string(256, 'a'), 80));
  EXPECT_EQ(handshake->status(), ProxyHandshake::Status::kFailed);
  EXPECT_NE(handshake->error().find("255"), std::string::npos);
}

TEST(Socks5, NeedsLocalResolutionOnlyForSocks5WithAName) {
  EXPECT_TRUE(needs_local_resolution(proxy_url("socks5://p"), target("ws.example", 80)));
  EXPECT_FALSE(needs_local_resolution(proxy_url("socks5://p"), target("::1", 80, true)));
  EXPECT_FALSE(needs_local_resolution(proxy_url("socks5h://p"), target("ws.example", 80)));
  EXPECT_FALSE(needs_local_resolution(proxy_url("http://p"), target("ws.example", 80)));
}

}  // namespace
}  // namespace wsp
