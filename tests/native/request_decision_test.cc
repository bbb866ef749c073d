// The application decides on a request before any response is sent (manual_accept): it reads the
// request, then accepts (sub-protocol, extra headers) or refuses with an HTTP status, at once or
// at a later poll() round, and the decision waits no longer than handshake_timeout.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/native/raw_peer.h"
#include "tests/native/test_certs.h"
#include "tests/native/test_util.h"
#include "wspeer/core/handshake.h"
#include "wspeer/platform/native/peer_poller.h"
#include "wspeer/platform/native/stream_peer_tls.h"

namespace wsp {
namespace {

using test::poll_until;
using test::RawSocket;

struct Decision {
  std::unique_ptr<test::LoopbackServer> listener = std::make_unique<test::LoopbackServer>();
  std::unique_ptr<WebSocketPeer> client = WebSocketPeer::create();
  std::unique_ptr<WebSocketPeer> server;
};

// A native client (with `client_headers`) whose request waits on a manual-accept server peer.
Decision pending_request(const std::vector<std::string>& client_headers = {},
                         const std::vector<std::string>& client_protocols = {}) {
  Decision d;
  d.client->set_handshake_headers(client_headers);
  d.client->set_supported_protocols(client_protocols);
  d.client->connect_to_url(d.listener->url("/room/7?token=abc"));
  d.server = d.listener->accept(d.client.get(), [](WebSocketPeer& peer) {
    peer.set_manual_accept(true);
    peer.set_supported_protocols({"chat"});
  });
  if (d.server)
    poll_until({d.client.get(), d.server.get()}, [&] { return d.server->is_request_pending(); });
  return d;
}

bool both_settled(const Decision& d) {
  return d.client->get_ready_state() != WebSocketPeer::STATE_CONNECTING &&
         d.server->get_ready_state() != WebSocketPeer::STATE_CONNECTING;
}

TEST(RequestDecision, TheApplicationReadsTheRequestBeforeAnyResponse) {
  Decision d =
      pending_request({"Origin: https://game.example", "Cookie: session=42"}, {"v2.chat", "chat"});
  ASSERT_TRUE(d.server->is_request_pending());
  EXPECT_EQ(d.server->get_ready_state(), WebSocketPeer::STATE_CONNECTING);
  EXPECT_EQ(d.server->get_handshake_status(), 0) << "nothing was sent yet";
  EXPECT_EQ(d.server->get_request_path(), "/room/7?token=abc");
  EXPECT_EQ(find_header(d.server->get_request_headers(), "Origin"), "https://game.example");
  EXPECT_EQ(find_header(d.server->get_request_headers(), "Cookie"), "session=42");
  EXPECT_EQ(d.server->get_requested_protocols(), (std::vector<std::string>{"v2.chat", "chat"}));
  EXPECT_EQ(d.server->get_connected_host(), "127.0.0.1");
  // The client is still waiting for an answer.
  poll_until(
      {d.client.get(), d.server.get()}, [] { return false; }, 0.2);
  EXPECT_EQ(d.client->get_ready_state(), WebSocketPeer::STATE_CONNECTING);
  EXPECT_TRUE(d.server->is_request_pending());
}

TEST(RequestDecision, AcceptChoosesTheProtocolAndAddsHeaders) {
  Decision d = pending_request({}, {"v2.chat", "chat"});
  ASSERT_TRUE(d.server->is_request_pending());
  ASSERT_EQ(d.server->accept_request("v2.chat", {"Set-Cookie: seen=1"}), OK);
  EXPECT_FALSE(d.server->is_request_pending());
  ASSERT_TRUE(poll_until({d.client.get(), d.server.get()}, [&] { return both_settled(d); }));
  ASSERT_EQ(d.client->get_ready_state(), WebSocketPeer::STATE_OPEN) << d.client->get_last_error();
  EXPECT_EQ(d.server->get_ready_state(), WebSocketPeer::STATE_OPEN);
  EXPECT_EQ(d.client->get_selected_protocol(), "v2.chat");
  EXPECT_EQ(d.server->get_selected_protocol(), "v2.chat");
  EXPECT_EQ(d.server->get_handshake_status(), 101);
  EXPECT_EQ(find_header(d.client->get_handshake_response_headers(), "Set-Cookie"), "seen=1");

  ASSERT_EQ(d.client->send_text("after the decision"), OK);
  ASSERT_TRUE(poll_until({d.client.get(), d.server.get()},
                         [&] { return d.server->get_available_packet_count() == 1; }));
  EXPECT_EQ(test::drain_text(*d.server), std::vector<std::string>{"after the decision"});
}

TEST(RequestDecision, AnEmptyProtocolSelectsFromSupportedProtocols) {
  Decision d = pending_request({}, {"other", "chat"});
  ASSERT_EQ(d.server->accept_request(), OK);
  ASSERT_TRUE(poll_until({d.client.get(), d.server.get()}, [&] { return both_settled(d); }));
  EXPECT_EQ(d.client->get_selected_protocol(), "chat");
}

TEST(RequestDecision, RejectSendsTheStatusHeadersAndBodyThenCloses) {
  Decision d = pending_request({"Origin: http://evil.example"});
  ASSERT_EQ(d.server->reject_request(403, {"X-Reason: origin"}, "cross-site requests refused\n"),
            OK);
  ASSERT_TRUE(poll_until({d.client.get(), d.server.get()}, [&] { return both_settled(d); }));
  EXPECT_EQ(d.server->get_ready_state(), WebSocketPeer::STATE_CLOSED);
  EXPECT_EQ(d.server->get_close_code(), -1);
  EXPECT_EQ(d.server->get_handshake_status(), 403);
  EXPECT_NE(d.server->get_last_error().find("rejected by the application"), std::string::npos);
  EXPECT_EQ(d.client->get_ready_state(), WebSocketPeer::STATE_CLOSED);
  EXPECT_EQ(d.client->get_handshake_status(), 403);
  EXPECT_NE(d.client->get_last_error().find("403 Forbidden"), std::string::npos)
      << d.client->get_last_error();
  EXPECT_EQ(find_header(d.client->get_handshake_response_headers(), "X-Reason"), "origin");
}

TEST(RequestDecision, ARawClientSeesExactlyTheRefusal) {
  test::LoopbackServer listener;
  RawSocket raw;
  ASSERT_TRUE(raw.connect("127.0.0.1", listener.port()));
  raw.send_all(test::upgrade_request("/", "Authorization: Bearer wrong\r\n"));
  auto server = listener.accept(nullptr, [](WebSocketPeer& peer) { peer.set_manual_accept(true); });
  ASSERT_TRUE(server);
  ASSERT_TRUE(poll_until({server.get()}, [&] { return server->is_request_pending(); }));
  EXPECT_EQ(find_header(server->get_request_headers(), "Authorization"), "Bearer wrong");
  ASSERT_EQ(
      server->reject_request(401, {"WWW-Authenticate: Bearer", "Content-Type: application/json"},
                             "{\"error\":\"bad token\"}"),
      OK);
  poll_until({server.get()},
             [&] { return server->get_ready_state() == WebSocketPeer::STATE_CLOSED; });
  bool eof = false;
  const std::string response = raw.read_until_eof(5.0, &eof);
  EXPECT_TRUE(eof);
  EXPECT_EQ(response.rfind("HTTP/1.1 401 Unauthorized\r\n", 0), 0u) << response;
  EXPECT_NE(response.find("\r\nWWW-Authenticate: Bearer\r\n"), std::string::npos);
  EXPECT_NE(response.find("\r\nContent-Type: application/json\r\n"), std::string::npos);
  EXPECT_EQ(response.find("text/plain"), std::string::npos) << "one Content-Type only";
  EXPECT_NE(response.find("\r\nContent-Length: 21\r\n"), std::string::npos);
  EXPECT_EQ(response.substr(response.size() - 21), "{\"error\":\"bad token\"}");
}

TEST(RequestDecision, ALaterDecisionWorksWithPeerPoller) {
  Decision d = pending_request({"Authorization: Bearer t0k3n"});
  ASSERT_TRUE(d.server->is_request_pending());
  PeerPoller poller;
  poller.add(d.server.get());
  // An asynchronous check: several rounds pass before the answer comes.
  const auto decide_at = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
  bool decided = false;
  ASSERT_TRUE(poll_until(
      {d.client.get()},
      [&] {
        for (WebSocketPeer* peer : poller.wait(10)) peer->poll();
        if (!decided && std::chrono::steady_clock::now() >= decide_at) {
          EXPECT_TRUE(d.server->is_request_pending());
          EXPECT_EQ(d.server->accept_request(), OK);
          poller.update(d.server.get());  // acted on outside wait(): tell the poller
          decided = true;
        }
        return d.client->get_ready_state() == WebSocketPeer::STATE_OPEN &&
               d.server->get_ready_state() == WebSocketPeer::STATE_OPEN;
      },
      5.0));
  ASSERT_EQ(d.client->send_text("hello"), OK);
  ASSERT_TRUE(poll_until({d.client.get()}, [&] {
    for (WebSocketPeer* peer : poller.wait(10)) peer->poll();
    return d.server->get_available_packet_count() == 1;
  }));
  poller.remove(d.server.get());
}

TEST(RequestDecision, FramesSentEarlyAreKeptForAfterTheAccept) {
  test::LoopbackServer listener;
  RawSocket raw;
  ASSERT_TRUE(raw.connect("127.0.0.1", listener.port()));
  // An impatient client: its first message follows the request without waiting for the 101.
  raw.send_all(test::upgrade_request() + test::client_frame(1, "early"));
  auto server = listener.accept(nullptr, [](WebSocketPeer& peer) { peer.set_manual_accept(true); });
  ASSERT_TRUE(poll_until({server.get()}, [&] { return server->is_request_pending(); }));
  poll_until(
      {server.get()}, [] { return false; }, 0.1);
  raw.send_all(test::client_frame(1, "while pending"));
  PeerPoller poller;
  poller.add(server.get());
  ASSERT_EQ(server->accept_request(), OK);
  poller.update(server.get());
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (server->get_available_packet_count() < 2 && std::chrono::steady_clock::now() < until) {
    for (WebSocketPeer* peer : poller.wait(50)) peer->poll();
  }
  EXPECT_EQ(test::drain_text(*server), (std::vector<std::string>{"early", "while pending"}));
  EXPECT_EQ(raw.read_http_head().rfind("HTTP/1.1 101", 0), 0u);
  poller.remove(server.get());
}

TEST(RequestDecision, NoDecisionWithinTheHandshakeTimeoutDropsTheConnection) {
  test::LoopbackServer listener;
  RawSocket raw;
  ASSERT_TRUE(raw.connect("127.0.0.1", listener.port()));
  raw.send_all(test::upgrade_request());
  auto server = listener.accept(nullptr, [](WebSocketPeer& peer) {
    peer.set_manual_accept(true);
    peer.set_handshake_timeout(0.3);
  });
  ASSERT_TRUE(poll_until({server.get()}, [&] { return server->is_request_pending(); }));
  ASSERT_TRUE(poll_until(
      {server.get()}, [&] { return server->get_ready_state() == WebSocketPeer::STATE_CLOSED; }, 3));
  EXPECT_FALSE(server->is_request_pending());
  EXPECT_NE(server->get_last_error().find("waited for accept_request()"), std::string::npos)
      << server->get_last_error();
  bool eof = false;
  EXPECT_EQ(raw.read_until_eof(2.0, &eof), "");
  EXPECT_TRUE(eof);
  EXPECT_EQ(server->accept_request(), FAILED) << "too late";
}

TEST(RequestDecision, AClientThatLeavesWhilePendingIsNoticed) {
  test::LoopbackServer listener;
  RawSocket raw;
  ASSERT_TRUE(raw.connect("127.0.0.1", listener.port()));
  raw.send_all(test::upgrade_request());
  auto server = listener.accept(nullptr, [](WebSocketPeer& peer) { peer.set_manual_accept(true); });
  ASSERT_TRUE(poll_until({server.get()}, [&] { return server->is_request_pending(); }));
  PeerPoller poller;
  poller.add(server.get());
  raw.close();
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (server->get_ready_state() != WebSocketPeer::STATE_CLOSED &&
         std::chrono::steady_clock::now() < until) {
    for (WebSocketPeer* peer : poller.wait(50)) peer->poll();
  }
  poller.remove(server.get());
  EXPECT_EQ(server->get_ready_state(), WebSocketPeer::STATE_CLOSED)
      << "the request waited for a client that had left";
  EXPECT_NE(server->get_last_error().find("client left"), std::string::npos)
      << server->get_last_error();
}

TEST(RequestDecision, WorksWithRequestBytesReadByTheApplication) {
  test::LoopbackServer listener;
  RawSocket raw;
  ASSERT_TRUE(raw.connect("127.0.0.1", listener.port()));
  const std::string request = test::upgrade_request("/ws", "Origin: http://127.0.0.1\r\n");
  raw.send_all(request);
  auto tcp = listener.take();
  ASSERT_TRUE(tcp);
  // The application read the whole request itself (to route pages and upgrades on one port).
  std::string pre_read;
  ASSERT_TRUE(poll_until({}, [&] {
    uint8_t buffer[4096];
    int received = 0;
    tcp->get_partial_data(buffer, sizeof(buffer), &received);
    pre_read.append(reinterpret_cast<char*>(buffer), static_cast<size_t>(received));
    return pre_read.size() == request.size();
  }));
  auto server = WebSocketPeer::create();
  server->set_manual_accept(true);
  ASSERT_EQ(server->accept_stream(tcp, pre_read), OK);
  ASSERT_TRUE(poll_until({server.get()}, [&] { return server->is_request_pending(); }));
  EXPECT_EQ(server->get_request_path(), "/ws");
  EXPECT_EQ(find_header(server->get_request_headers(), "Origin"), "http://127.0.0.1");
  ASSERT_EQ(server->accept_request(), OK);
  EXPECT_EQ(raw.read_http_head().rfind("HTTP/1.1 101", 0), 0u);
}

TEST(RequestDecision, WorksOverTls) {
  const test::KeyAndCert ca = test::make_ca("decision CA");
  const test::KeyAndCert leaf = test::make_leaf(ca, "localhost", {"IP:127.0.0.1"});
  auto key = std::make_shared<CryptoKey>();
  auto cert = std::make_shared<X509Certificate>();
  auto trusted = std::make_shared<X509Certificate>();
  ASSERT_EQ(key->load_from_string(leaf.key_pem), OK);
  ASSERT_EQ(cert->load_from_string(leaf.cert_pem), OK);
  ASSERT_EQ(trusted->load_from_string(ca.cert_pem), OK);
  auto server_tls = TLSOptions::server(key, cert);
  test::LoopbackServer listener;
  auto client = WebSocketPeer::create();
  ASSERT_EQ(client->connect_to_url("wss://127.0.0.1:" + std::to_string(listener.port()) + "/",
                                   TLSOptions::client(trusted)),
            OK);
  auto tcp = listener.take(client.get());
  auto tls = std::make_shared<StreamPeerTLS>();
  ASSERT_EQ(tls->accept_stream(tcp, server_tls), OK);
  auto server = WebSocketPeer::create();
  server->set_manual_accept(true);
  ASSERT_EQ(server->accept_stream(tls), OK);
  ASSERT_TRUE(poll_until({client.get(), server.get()}, [&] {
    return server->is_request_pending();
  })) << server->get_last_error();
  EXPECT_EQ(server->get_requested_url().rfind("wss://", 0), 0u);
  ASSERT_EQ(server->reject_request(503, {"Retry-After: 7"}), OK);
  ASSERT_TRUE(poll_until({client.get(), server.get()},
                         [&] { return client->get_ready_state() == WebSocketPeer::STATE_CLOSED; }));
  EXPECT_EQ(client->get_handshake_status(), 503);
  EXPECT_EQ(find_header(client->get_handshake_response_headers(), "Retry-After"), "7");
}

TEST(RequestDecision, RefusesWrongCallsAndKeepsTheRequestPending) {
  auto idle = WebSocketPeer::create();
  EXPECT_EQ(idle->accept_request(), FAILED);
  EXPECT_EQ(idle->reject_request(403), FAILED);

  Decision d = pending_request({}, {"chat"});
  ASSERT_TRUE(d.server->is_request_pending());
  EXPECT_EQ(d.server->accept_request("not-offered"), ERR_INVALID_PARAMETER);
  EXPECT_NE(d.server->get_last_error().find("did not offer"), std::string::npos);
  EXPECT_EQ(d.server->accept_request("", {"X-Injected: a\r\nSet-Cookie: b"}),
            ERR_INVALID_PARAMETER);
  EXPECT_EQ(d.server->accept_request("", {"Sec-WebSocket-Accept: forged"}), ERR_INVALID_PARAMETER);
  EXPECT_EQ(d.server->reject_request(200), ERR_INVALID_PARAMETER);
  EXPECT_EQ(d.server->reject_request(101), ERR_INVALID_PARAMETER);
  EXPECT_EQ(d.server->reject_request(600), ERR_INVALID_PARAMETER);
  EXPECT_EQ(d.server->reject_request(403, {"Bad header"}), ERR_INVALID_PARAMETER);
  EXPECT_TRUE(d.server->is_request_pending()) << "a refused call decides nothing";
  EXPECT_EQ(d.server->accept_request("chat"), OK);
  EXPECT_EQ(d.server->reject_request(403), FAILED) << "already decided";
  ASSERT_TRUE(poll_until({d.client.get(), d.server.get()}, [&] { return both_settled(d); }));
  EXPECT_EQ(d.client->get_ready_state(), WebSocketPeer::STATE_OPEN);
}

TEST(RequestDecision, OffByDefaultEveryValidRequestIsAcceptedAtOnce) {
  auto pair = test::open_pair();
  EXPECT_FALSE(pair.server->get_manual_accept());
  EXPECT_EQ(pair.server->get_ready_state(), WebSocketPeer::STATE_OPEN);
  EXPECT_FALSE(pair.server->is_request_pending());
}

}  // namespace
}  // namespace wsp
