// A listener behind a load balancer (TCPServer::set_proxy_protocol()) over real sockets: the
// PROXY header (v1 or v2, in pieces) is taken off the stream before the request, the peer sees
// the client's address, the per-address limit counts clients rather than the balancer, and
// anything else (an untrusted sender, no header, a broken one) is closed without an answer.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/native/limited_server.h"
#include "tests/native/raw_peer.h"
#include "tests/native/test_util.h"

namespace wsp {
namespace {

using test::LimitedServer;
using test::RawSocket;
using test::run_until;

std::string v1(const std::string& client, int port) {
  return "PROXY TCP4 " + client + " 127.0.0.1 " + std::to_string(port) + " 80\r\n";
}

std::string v2_ipv4(uint8_t last_octet, uint16_t port) {
  std::string header("\x0D\x0A\x0D\x0A\x00\x0D\x0A\x51\x55\x49\x54\x0A\x21\x11\x00\x0C", 16);
  header += std::string{'\xCB', '\x00', '\x71', static_cast<char>(last_octet)};  // 203.0.113.N
  header += std::string{'\x7F', '\x00', '\x00', '\x01'};
  header += static_cast<char>(port >> 8);
  header += static_cast<char>(port & 0xFF);
  header += std::string("\x00\x50", 2);
  return header;
}

// The server's peer whose client is `host` (nullptr when none).
WebSocketPeer* peer_from(LimitedServer& server, const std::string& host) {
  for (WebSocketPeer* peer : server.peers()) {
    if (peer->get_connected_host() == host) return peer;
  }
  return nullptr;
}

TEST(ProxyListener, TheClientsAddressComesFromTheHeaderInEveryPiece) {
  LimitedServer server(PeerPoller::Limits{});
  ASSERT_EQ(server.listener().set_proxy_protocol({"127.0.0.1"}), OK);
  const std::vector<std::string> headers = {v1("198.51.100.20", 40000), v2_ipv4(9, 51234)};
  const std::vector<std::string> clients = {"198.51.100.20", "203.0.113.9"};
  for (size_t i = 0; i < headers.size(); ++i) {
    RawSocket raw;
    ASSERT_TRUE(raw.connect("127.0.0.1", server.port()));
    // The header and the request in three pieces, cut inside the header.
    const std::string bytes = headers[i] + test::upgrade_request("/");
    ASSERT_TRUE(raw.send_all(bytes.substr(0, 7)));
    run_until(
        server, {}, [] { return false; }, 0.05);
    ASSERT_TRUE(raw.send_all(bytes.substr(7, headers[i].size())));
    run_until(
        server, {}, [] { return false; }, 0.05);
    ASSERT_TRUE(raw.send_all(bytes.substr(7 + headers[i].size())));
    std::string head;
    ASSERT_TRUE(run_until(server, {}, [&] {
      head += raw.read_n(1, 0.001);
      return head.find("\r\n\r\n") != std::string::npos;
    }));
    EXPECT_EQ(head.rfind("HTTP/1.1 101", 0), 0u) << head;
    WebSocketPeer* peer = peer_from(server, clients[i]);
    ASSERT_NE(peer, nullptr) << "the peer sees the client, not the balancer";
    EXPECT_EQ(peer->get_connected_port(), i == 0 ? 40000 : 51234);
  }
}

TEST(ProxyListener, OnlyTrustedBalancersAndOnlyValidHeadersAreServed) {
  {
    LimitedServer server(PeerPoller::Limits{});
    ASSERT_EQ(server.listener().set_proxy_protocol({"10.1.2.3"}), OK);
    RawSocket raw;
    ASSERT_TRUE(raw.connect("127.0.0.1", server.port()));
    ASSERT_TRUE(raw.send_all(v1("198.51.100.20", 1) + test::upgrade_request("/")));
    bool eof = false;
    ASSERT_TRUE(run_until(server, {}, [&] {
      raw.read_until_eof(0.01, &eof);
      return eof;
    }));
    EXPECT_EQ(server.listener().get_untrusted_refused(), 1u);
    EXPECT_NE(server.listener().get_last_error().find("trusted proxies only"), std::string::npos);
  }
  const std::vector<std::string> unwelcome = {
      test::upgrade_request("/"),                                             // no header at all
      "PROXY TCP4 999.0.0.1 127.0.0.1 1 2\r\n" + test::upgrade_request("/"),  // broken
      "PROXY UNKNOWN " + std::string(200, 'x'),  // no end within 107 bytes
  };
  for (const std::string& bytes : unwelcome) {
    LimitedServer server(PeerPoller::Limits{});
    ASSERT_EQ(server.listener().set_proxy_protocol({"127.0.0.1"}), OK);
    RawSocket raw;
    ASSERT_TRUE(raw.connect("127.0.0.1", server.port()));
    ASSERT_TRUE(raw.send_all(bytes));
    std::string answer;
    bool eof = false;
    ASSERT_TRUE(run_until(server, {}, [&] {
      answer += raw.read_until_eof(0.01, &eof);
      return eof;
    })) << bytes.substr(0, 20);
    EXPECT_EQ(answer, "") << "no answer at all, not even an HTTP error";
  }
  EXPECT_EQ(TCPServer().set_proxy_protocol({"not-an-ip"}), ERR_INVALID_PARAMETER);
}

TEST(ProxyListener, ThePerAddressLimitCountsClientsNotTheBalancer) {
  PeerPoller::Limits limits;
  limits.max_peers_per_address = 1;
  LimitedServer server(limits);
  ASSERT_EQ(server.listener().set_proxy_protocol({"127.0.0.1"}), OK);
  const std::vector<std::string> sources = {"198.51.100.1", "198.51.100.2", "198.51.100.1"};
  std::vector<RawSocket> raws(sources.size());
  std::vector<std::string> heads(sources.size());
  for (size_t i = 0; i < sources.size(); ++i) {
    ASSERT_TRUE(raws[i].connect("127.0.0.1", server.port()));
    ASSERT_TRUE(
        raws[i].send_all(v1(sources[i], 1000 + static_cast<int>(i)) + test::upgrade_request("/")));
    ASSERT_TRUE(run_until(server, {}, [&] {
      heads[i] += raws[i].read_n(1, 0.001);
      return heads[i].find("\r\n\r\n") != std::string::npos;
    }));
  }
  EXPECT_EQ(heads[0].rfind("HTTP/1.1 101", 0), 0u) << heads[0];
  EXPECT_EQ(heads[1].rfind("HTTP/1.1 101", 0), 0u) << "another client: " << heads[1];
  EXPECT_EQ(heads[2].rfind("HTTP/1.1 503", 0), 0u) << "the first client again: " << heads[2];
}

}  // namespace
}  // namespace wsp
