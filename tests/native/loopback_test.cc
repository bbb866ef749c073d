// The native peer against itself over loopback: every seed behaviour and every decisions.md §2
// rule that applies natively.
#include <gtest/gtest.h>

#include <numeric>
#include <thread>

#include "tests/native/raw_peer.h"
#include "tests/native/test_util.h"
#include "wspeer/core/close_code.h"
#include "wspeer/platform/native/native_websocket_peer.h"

namespace wsp {
namespace {

using test::LoopbackServer;
using test::open_pair;
using test::poll_until;
using test::RawSocket;

std::span<const uint8_t> as_bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

bool both_closed(WebSocketPeer& a, WebSocketPeer& b) {
  return a.get_ready_state() == WebSocketPeer::STATE_CLOSED &&
         b.get_ready_state() == WebSocketPeer::STATE_CLOSED;
}

TEST(Loopback, NewPeerDefaultsMatchTheSeed) {
  auto peer = WebSocketPeer::create();
  EXPECT_EQ(peer->get_ready_state(), WebSocketPeer::STATE_CLOSED);
  EXPECT_EQ(peer->get_close_code(), -1);
  EXPECT_EQ(peer->get_inbound_buffer_size(), 65535);
  EXPECT_EQ(peer->get_outbound_buffer_size(), 65535);
  EXPECT_EQ(peer->get_max_queued_packets(), 4096);
  EXPECT_EQ(peer->get_heartbeat_interval(), 0.0);
  EXPECT_TRUE(peer->get_supported_protocols().empty());
  EXPECT_TRUE(peer->get_handshake_headers().empty());
  EXPECT_EQ(peer->get_handshake_timeout(), 10.0);
  EXPECT_EQ(peer->get_close_timeout(), 5.0);
  EXPECT_EQ(peer->get_available_packet_count(), 0);
  EXPECT_EQ(peer->get_current_outbound_buffered_amount(), 0);
  EXPECT_EQ(WebSocketPeer::STATE_CONNECTING, 0);
  EXPECT_EQ(WebSocketPeer::STATE_CLOSED, 3);
  EXPECT_EQ(WebSocketPeer::WRITE_MODE_TEXT, 0);
  EXPECT_EQ(WebSocketPeer::WRITE_MODE_BINARY, 1);
}

TEST(Loopback, SettingsAreValidatedAndBadValuesRefused) {
  auto peer = WebSocketPeer::create();
  EXPECT_EQ(peer->set_inbound_buffer_size(0), ERR_INVALID_PARAMETER);
  EXPECT_EQ(peer->set_inbound_buffer_size(-5), ERR_INVALID_PARAMETER);
  EXPECT_EQ(peer->get_inbound_buffer_size(), 65535);
  EXPECT_EQ(peer->set_max_queued_packets(0), ERR_INVALID_PARAMETER);
  EXPECT_EQ(peer->get_max_queued_packets(), 4096);
  EXPECT_EQ(peer->set_outbound_buffer_size(-1), ERR_INVALID_PARAMETER);
  EXPECT_EQ(peer->set_outbound_buffer_size(0), OK) << "0 means no limit";
  EXPECT_EQ(peer->set_heartbeat_interval(-1), ERR_INVALID_PARAMETER);
  EXPECT_EQ(peer->set_handshake_timeout(0), ERR_INVALID_PARAMETER);
  EXPECT_EQ(peer->set_close_timeout(-2), ERR_INVALID_PARAMETER);
  EXPECT_EQ(peer->set_supported_protocols({" chat ", "v2.json"}), OK);
  EXPECT_EQ(peer->get_supported_protocols(), (std::vector<std::string>{"chat", "v2.json"}));
  EXPECT_EQ(peer->set_supported_protocols({"has space"}), ERR_INVALID_PARAMETER);
  EXPECT_EQ(peer->set_handshake_headers({"X-Ok: 1", "Bad\r\nInjected: 1"}), ERR_INVALID_PARAMETER);
  EXPECT_TRUE(peer->get_handshake_headers().empty());
  EXPECT_FALSE(peer->get_last_error().empty());
}

TEST(Loopback, IntervalsAndTimeoutsAreKeptInWholeMilliseconds) {
  auto peer = WebSocketPeer::create();
  // Each sets a value (which must be accepted) and answers what the getter gives back.
  auto heartbeat = [&](double seconds) {
    EXPECT_EQ(peer->set_heartbeat_interval(seconds), OK);
    return peer->get_heartbeat_interval();
  };
  auto handshake = [&](double seconds) {
    EXPECT_EQ(peer->set_handshake_timeout(seconds), OK);
    return peer->get_handshake_timeout();
  };
  auto close = [&](double seconds) {
    EXPECT_EQ(peer->set_close_timeout(seconds), OK);
    return peer->get_close_timeout();
  };
  // What a user writes with at most three decimals comes back exactly.
  EXPECT_EQ(heartbeat(0.1), 0.1);
  EXPECT_EQ(handshake(2.345), 2.345);
  for (const double seconds : {0.25, 0.29, 0.57, 1.005, 4.35}) EXPECT_EQ(close(seconds), seconds);
  // Finer is rounded to the nearest millisecond, but never to 0: what is on stays on.
  EXPECT_EQ(heartbeat(0.0004), 0.001);
  EXPECT_EQ(close(1.0004), 1.0);
  EXPECT_EQ(close(1.0006), 1.001);
  EXPECT_EQ(heartbeat(0), 0.0) << "0 still turns the heartbeat off";
  // Longer than 32 bits of milliseconds (49.7 days) is that long.
  EXPECT_EQ(handshake(1e12), 4294967.295);
}

TEST(Loopback, OpenExchangeAndStateSequence) {
  LoopbackServer listener;
  auto client = WebSocketPeer::create();
  const std::string url = listener.url("/room/1?user=ann");
  ASSERT_EQ(client->connect_to_url(url), OK);
  EXPECT_EQ(client->get_ready_state(), WebSocketPeer::STATE_CONNECTING);
  EXPECT_EQ(client->connect_to_url(url), ERR_ALREADY_IN_USE);
  auto server = listener.accept(client.get());
  ASSERT_TRUE(server);
  EXPECT_EQ(server->get_ready_state(), WebSocketPeer::STATE_CONNECTING);
  ASSERT_TRUE(poll_until({client.get(), server.get()}, [&] {
    return client->get_ready_state() == WebSocketPeer::STATE_OPEN &&
           server->get_ready_state() == WebSocketPeer::STATE_OPEN;
  }));
  EXPECT_EQ(client->get_requested_url(), url);
  EXPECT_EQ(server->get_requested_url(),
            "ws://127.0.0.1:" + std::to_string(listener.port()) + "/room/1?user=ann");
  EXPECT_EQ(server->get_request_path(), "/room/1?user=ann");
  EXPECT_TRUE(find_header(server->get_request_headers(), "sec-websocket-key").has_value());
  EXPECT_EQ(client->get_handshake_status(), 101);
  EXPECT_EQ(server->get_handshake_status(), 101);
  EXPECT_EQ(client->get_connected_host(), "127.0.0.1");
  EXPECT_EQ(client->get_connected_port(), listener.port());
  EXPECT_EQ(server->get_connected_host(), "127.0.0.1");
  EXPECT_GT(server->get_connected_port(), 0);

  ASSERT_EQ(client->send_text("héllo"), OK);
  ASSERT_EQ(client->send(as_bytes(std::string("\x00\x01\x02", 3))), OK);
  ASSERT_EQ(server->send_text("back"), OK);
  ASSERT_TRUE(poll_until({client.get(), server.get()}, [&] {
    return server->get_available_packet_count() == 2 && client->get_available_packet_count() == 1;
  }));
  std::vector<uint8_t> first = server->get_packet();
  EXPECT_EQ(std::string(first.begin(), first.end()), "héllo");
  EXPECT_TRUE(server->was_string_packet());
  std::vector<uint8_t> second = server->get_packet();
  EXPECT_EQ(second, (std::vector<uint8_t>{0, 1, 2}));
  EXPECT_FALSE(server->was_string_packet());
  EXPECT_EQ(test::drain_text(*client), std::vector<std::string>{"back"});
  const uint8_t* view;
  int size;
  EXPECT_EQ(server->get_packet(&view, &size), ERR_UNAVAILABLE);
  server->get_packet();
  EXPECT_EQ(server->get_packet_error(), ERR_UNAVAILABLE);
}

TEST(Loopback, EmptyMessagesAndPutPacket) {
  auto pair = open_pair();
  ASSERT_EQ(pair.client->get_ready_state(), WebSocketPeer::STATE_OPEN);
  EXPECT_EQ(pair.client->put_packet(nullptr, 0), OK)
      << "an empty put_packet sends an empty message";
  EXPECT_EQ(pair.client->send_text(""), OK);
  ASSERT_TRUE(poll_until({pair.client.get(), pair.server.get()},
                         [&] { return pair.server->get_available_packet_count() == 2; }));
  EXPECT_TRUE(pair.server->get_packet().empty());
  EXPECT_FALSE(pair.server->was_string_packet());
  EXPECT_TRUE(pair.server->get_packet().empty());
  EXPECT_TRUE(pair.server->was_string_packet());
}

TEST(Loopback, SendErrors) {
  auto idle = WebSocketPeer::create();
  EXPECT_EQ(idle->send_text("x"), FAILED);
  EXPECT_NE(idle->get_last_error().find("STATE_CLOSED"), std::string::npos);
  auto pair = open_pair();
  const std::string bad = "ok\xff";
  EXPECT_EQ(pair.client->send_text(bad), ERR_INVALID_DATA);
  EXPECT_EQ(pair.client->send(as_bytes(bad), WebSocketPeer::WRITE_MODE_TEXT), ERR_INVALID_DATA);
  EXPECT_EQ(pair.client->send(as_bytes(bad), WebSocketPeer::WRITE_MODE_BINARY), OK);
  EXPECT_EQ(pair.client->put_packet(nullptr, -1), ERR_INVALID_PARAMETER);
}

TEST(Loopback, Ipv6AndHostnames) {
  {
    TCPServer probe;
    if (probe.listen(0, "::1") != OK) GTEST_SKIP() << "no IPv6 loopback here";
  }
  LoopbackServer listener("::1");
  auto client = WebSocketPeer::create();
  ASSERT_EQ(client->connect_to_url(listener.url("/v6")), OK);
  auto server = listener.accept(client.get());
  ASSERT_TRUE(server);
  ASSERT_TRUE(poll_until({client.get(), server.get()},
                         [&] { return client->get_ready_state() == WebSocketPeer::STATE_OPEN; }));
  EXPECT_EQ(client->get_connected_host(), "::1");
  EXPECT_NE(find_header(server->get_request_headers(), "host")->find("[::1]"), std::string::npos)
      << "IPv6 literals keep their brackets in the Host header";
}

TEST(Loopback, ResolvesHostNamesWithoutBlocking) {
  LoopbackServer listener;
  auto client = WebSocketPeer::create();
  ASSERT_EQ(client->connect_to_url("ws://localhost:" + std::to_string(listener.port()) + "/"), OK);
  auto server = listener.accept(client.get());
  ASSERT_TRUE(server) << client->get_last_error();
  ASSERT_TRUE(poll_until({client.get(), server.get()},
                         [&] { return client->get_ready_state() == WebSocketPeer::STATE_OPEN; }));
}

TEST(Loopback, StreamPeerTcpConnectsToAnIpAndRefusesNames) {
  LoopbackServer listener;
  StreamPeerTCP tcp;
  EXPECT_EQ(tcp.connect_to_host("localhost", listener.port()), ERR_INVALID_PARAMETER)
      << "connect_to_host takes IP addresses (names go through connect_to_url)";
  EXPECT_EQ(tcp.connect_to_host("127.0.0.1", 0), ERR_INVALID_PARAMETER);
  ASSERT_EQ(tcp.connect_to_host("127.0.0.1", listener.port()), OK);
  ASSERT_TRUE(test::poll_until({}, [&] {
    tcp.poll();
    return tcp.get_status() != StreamPeer::STATUS_CONNECTING;
  }));
  EXPECT_EQ(tcp.get_status(), StreamPeer::STATUS_CONNECTED);
  EXPECT_EQ(tcp.get_connected_host(), "127.0.0.1");
  EXPECT_EQ(tcp.get_connected_port(), listener.port());
  auto accepted = listener.take();
  ASSERT_TRUE(accepted);
  int sent = 0;
  ASSERT_EQ(tcp.put_partial_data(reinterpret_cast<const uint8_t*>("ping"), 4, &sent), OK);
  EXPECT_EQ(sent, 4);
  uint8_t buffer[8];
  int received = 0;
  test::poll_until({}, [&] {
    accepted->get_partial_data(buffer, sizeof(buffer), &received);
    return received > 0;
  });
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buffer), received), "ping");
  tcp.disconnect();
  EXPECT_EQ(tcp.get_status(), StreamPeer::STATUS_NONE);
}

TEST(Loopback, ConnectArgumentErrors) {
  auto peer = WebSocketPeer::create();
  EXPECT_EQ(peer->connect_to_url(""), ERR_INVALID_PARAMETER);
  EXPECT_EQ(peer->connect_to_url("http://example.com"), ERR_INVALID_PARAMETER);
  EXPECT_NE(peer->get_last_error().find("Invalid protocol"), std::string::npos);
  auto server_options =
      TLSOptions::server(std::make_shared<CryptoKey>(), std::make_shared<X509Certificate>());
  EXPECT_EQ(peer->connect_to_url("wss://localhost/", server_options), ERR_INVALID_PARAMETER);
  EXPECT_EQ(peer->get_ready_state(), WebSocketPeer::STATE_CLOSED);
  EXPECT_EQ(peer->accept_stream(nullptr), ERR_INVALID_PARAMETER);
}

TEST(Loopback, ConnectionRefusedAndUnknownHostExplainThemselves) {
  int free_port;
  {
    LoopbackServer temporary;
    free_port = temporary.port();
  }
  auto refused = WebSocketPeer::create();
  const Error error = refused->connect_to_url("ws://127.0.0.1:" + std::to_string(free_port) + "/");
  EXPECT_TRUE(error == OK || error == FAILED);
  poll_until({refused.get()},
             [&] { return refused->get_ready_state() == WebSocketPeer::STATE_CLOSED; });
  EXPECT_EQ(refused->get_ready_state(), WebSocketPeer::STATE_CLOSED);
  EXPECT_EQ(refused->get_close_code(), -1);
  EXPECT_NE(refused->get_last_error().find("refused"), std::string::npos)
      << refused->get_last_error();

  auto unknown = WebSocketPeer::create();
  unknown->set_handshake_timeout(20);  // a machine without DNS servers may take long to say no
  ASSERT_EQ(unknown->connect_to_url("ws://host.invalid/"), OK);
  poll_until(
      {unknown.get()}, [&] { return unknown->get_ready_state() == WebSocketPeer::STATE_CLOSED; },
      15);
  EXPECT_EQ(unknown->get_ready_state(), WebSocketPeer::STATE_CLOSED);
  EXPECT_NE(unknown->get_last_error().find("resolve"), std::string::npos)
      << unknown->get_last_error();
}

TEST(Loopback, SubprotocolNegotiationAndHandshakeHeaders) {
  auto pair = open_pair(
      [](WebSocketPeer& c) {
        c.set_supported_protocols({"alpha", "beta"});
        c.set_handshake_headers({"X-Token: 42"});
      },
      [](WebSocketPeer& s) {
        s.set_supported_protocols({"beta"});
        s.set_handshake_headers({"X-Server: wspeer"});
      });
  ASSERT_EQ(pair.client->get_ready_state(), WebSocketPeer::STATE_OPEN);
  EXPECT_EQ(pair.client->get_selected_protocol(), "beta");
  EXPECT_EQ(pair.server->get_selected_protocol(), "beta");
  EXPECT_EQ(*find_header(pair.server->get_request_headers(), "x-token"), "42");
  EXPECT_EQ(*find_header(pair.client->get_handshake_response_headers(), "X-Server"), "wspeer");

  auto none = open_pair([](WebSocketPeer& c) { c.set_supported_protocols({"alpha"}); });
  ASSERT_EQ(none.client->get_ready_state(), WebSocketPeer::STATE_OPEN)
      << "a server without protocols accepts a client that offers some";
  EXPECT_EQ(none.client->get_selected_protocol(), "");
}

// Polls `server` (and the client) until the poll in which the server opened; false on timeout.
bool poll_until_server_opens(WebSocketPeer& client, WebSocketPeer& server) {
  for (int round = 0; round < 5000; ++round) {
    client.poll();
    server.poll();
    if (server.get_ready_state() == WebSocketPeer::STATE_OPEN) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return false;
}

TEST(Loopback, RequestHeadIsGivenBackAfterTheOpeningPollOnlyWhenNotKept) {
  for (const bool keep : {false, true}) {
    SCOPED_TRACE(keep ? "kept (the default)" : "not kept");
    LoopbackServer listener;
    auto client = WebSocketPeer::create();
    ASSERT_EQ(client->set_handshake_headers({"X-Token: 42"}), OK);
    ASSERT_EQ(client->connect_to_url(listener.url("/chat?room=1")), OK);
    auto server = listener.accept(client.get(), [&](WebSocketPeer& s) {
      if (!keep) s.set_keep_request_headers(false);
    });
    ASSERT_TRUE(server);
    EXPECT_EQ(server->get_keep_request_headers(), keep);
    ASSERT_TRUE(poll_until_server_opens(*client, *server));
    // Within the poll round that reported STATE_OPEN everything is there.
    EXPECT_EQ(find_header(server->get_request_headers(), "X-Token"), "42");
    EXPECT_EQ(server->get_request_path(), "/chat?room=1");
    server->poll();
    server->poll();
    if (keep) {
      EXPECT_EQ(server->get_request_path(), "/chat?room=1");
      EXPECT_EQ(find_header(server->get_request_headers(), "X-Token"), "42");
      EXPECT_EQ(server->get_requested_url(),
                "ws://127.0.0.1:" + std::to_string(listener.port()) + "/chat?room=1");
    } else {
      EXPECT_EQ(server->get_request_path(), "") << "the path is part of the head given back";
      EXPECT_TRUE(server->get_request_headers().empty());
      EXPECT_EQ(server->get_requested_url(), "") << "no Host header left to make it from";
    }
    // Messages still flow either way.
    ASSERT_TRUE(poll_until({client.get()},
                           [&] { return client->get_ready_state() == WebSocketPeer::STATE_OPEN; }));
    ASSERT_EQ(client->send_text("after"), OK);
    ASSERT_TRUE(poll_until({client.get(), server.get()},
                           [&] { return server->get_available_packet_count() == 1; }));
  }
}

TEST(Loopback, RequestedUrlAskedForBeforeTheHeadIsGivenBackStays) {
  LoopbackServer listener;
  auto client = WebSocketPeer::create();
  ASSERT_EQ(client->connect_to_url(listener.url("/x")), OK);
  auto server =
      listener.accept(client.get(), [](WebSocketPeer& s) { s.set_keep_request_headers(false); });
  ASSERT_TRUE(server);
  ASSERT_TRUE(poll_until_server_opens(*client, *server));
  const std::string url = server->get_requested_url();
  EXPECT_EQ(url, "ws://127.0.0.1:" + std::to_string(listener.port()) + "/x");
  server->poll();
  EXPECT_TRUE(server->get_request_headers().empty());
  EXPECT_EQ(server->get_request_path(), "");
  EXPECT_EQ(server->get_requested_url(), url);
}

TEST(Loopback, CleanCloseCarriesCodeAndReasonBothWays) {
  auto pair = open_pair();
  ASSERT_EQ(pair.client->close(4000, "bye now"), OK);
  EXPECT_EQ(pair.client->get_ready_state(), WebSocketPeer::STATE_CLOSING);
  ASSERT_TRUE(poll_until({pair.client.get(), pair.server.get()},
                         [&] { return both_closed(*pair.client, *pair.server); }));
  EXPECT_EQ(pair.server->get_close_code(), 4000);
  EXPECT_EQ(pair.server->get_close_reason(), "bye now");
  EXPECT_EQ(pair.client->get_close_code(), 4000) << "the server echoed the code";

  auto other = open_pair();
  ASSERT_EQ(other.server->close(1001, "going away"), OK);
  ASSERT_TRUE(poll_until({other.client.get(), other.server.get()},
                         [&] { return both_closed(*other.client, *other.server); }));
  EXPECT_EQ(other.client->get_close_code(), 1001);
  EXPECT_EQ(other.client->get_close_reason(), "going away");
}

TEST(Loopback, CloseArgumentsAreValidatedWithoutChangingState) {
  auto pair = open_pair();
  for (int code : {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 70000}) {
    EXPECT_EQ(pair.client->close(code), ERR_INVALID_PARAMETER) << code;
  }
  EXPECT_EQ(pair.client->close(1000, std::string(124, 'r')), ERR_INVALID_PARAMETER);
  EXPECT_EQ(pair.client->close(1000, "bad\xc3"), ERR_INVALID_PARAMETER);
  EXPECT_EQ(pair.client->get_ready_state(), WebSocketPeer::STATE_OPEN);
  EXPECT_EQ(pair.client->close(3000, std::string(123, 'r')), OK);
  ASSERT_TRUE(poll_until({pair.client.get(), pair.server.get()},
                         [&] { return both_closed(*pair.client, *pair.server); }));
  EXPECT_EQ(pair.server->get_close_reason().size(), 123u);
}

TEST(Loopback, NegativeCodeDropsAtOnceAndThePeerSeesAnUncleanClose) {
  auto pair = open_pair();
  ASSERT_EQ(pair.server->close(-1), OK);
  EXPECT_EQ(pair.server->get_ready_state(), WebSocketPeer::STATE_CLOSED);
  EXPECT_EQ(pair.server->get_close_code(), -1);
  ASSERT_TRUE(poll_until({pair.client.get()}, [&] {
    return pair.client->get_ready_state() == WebSocketPeer::STATE_CLOSED;
  }));
  EXPECT_EQ(pair.client->get_close_code(), -1);
  EXPECT_NE(pair.client->get_last_error().find("Connection lost"), std::string::npos);
}

TEST(Loopback, CloseWhileConnectingEndsAtOnce) {
  LoopbackServer listener;
  auto client = WebSocketPeer::create();
  ASSERT_EQ(client->connect_to_url(listener.url()), OK);
  EXPECT_EQ(client->close(), OK);
  EXPECT_EQ(client->get_ready_state(), WebSocketPeer::STATE_CLOSED);
  EXPECT_EQ(client->get_close_code(), -1);
}

TEST(Loopback, MessagesArrivingWithTheCloseFrameAreKept) {
  LoopbackServer listener;
  auto client = WebSocketPeer::create();
  ASSERT_EQ(client->connect_to_url(listener.url()), OK);
  RawSocket raw = test::accept_raw(listener.server(), client.get());
  ASSERT_TRUE(test::answer_upgrade(raw));
  ASSERT_TRUE(raw.send_all(test::server_frame(1, "one") + test::server_frame(2, "two") +
                           test::server_frame(1, "three") +
                           test::server_frame(8, test::close_frame_payload(1000, "done"))));
  raw.shutdown_write();  // the server ends TCP after its close frame (RFC 6455 §7.1.1)
  ASSERT_TRUE(poll_until({client.get()},
                         [&] { return client->get_ready_state() == WebSocketPeer::STATE_CLOSED; }));
  EXPECT_EQ(client->get_close_code(), 1000);
  EXPECT_EQ(client->get_close_reason(), "done");
  EXPECT_EQ(client->get_available_packet_count(), 3) << "messages stay readable in CLOSED";
  EXPECT_EQ(test::drain_text(*client), (std::vector<std::string>{"one", "two", "three"}));
  // The client answered the close.
  auto frames = test::decode_frames(raw.read_until_eof(2.0));
  ASSERT_FALSE(frames.empty());
  EXPECT_EQ(frames.back().opcode, 8);
  EXPECT_TRUE(frames.back().masked);
}

TEST(Loopback, RefusedHandshakeExposesHttpStatusAndHeaders) {
  LoopbackServer listener;
  auto client = WebSocketPeer::create();
  ASSERT_EQ(client->connect_to_url(listener.url("/private")), OK);
  RawSocket raw = test::accept_raw(listener.server(), client.get());
  raw.read_http_head();
  ASSERT_TRUE(raw.send_all(std::string(
      "HTTP/1.1 403 Forbidden\r\nWWW-Authenticate: Bearer\r\nX-Reason: token expired\r\n"
      "Content-Length: 0\r\n\r\n")));
  ASSERT_TRUE(poll_until({client.get()},
                         [&] { return client->get_ready_state() == WebSocketPeer::STATE_CLOSED; }));
  EXPECT_EQ(client->get_close_code(), -1);
  EXPECT_EQ(client->get_handshake_status(), 403);
  EXPECT_EQ(*find_header(client->get_handshake_response_headers(), "x-reason"), "token expired");
  EXPECT_NE(client->get_last_error().find("HTTP 403 Forbidden"), std::string::npos)
      << client->get_last_error();
}

TEST(Loopback, OversizedResponseHeadFailsTheHandshake) {
  LoopbackServer listener;
  auto client = WebSocketPeer::create();
  ASSERT_EQ(client->connect_to_url(listener.url()), OK);
  RawSocket raw = test::accept_raw(listener.server(), client.get());
  raw.read_http_head();
  raw.send_all("HTTP/1.1 101 Switching Protocols\r\nX-Flood: " + std::string(10000, 'f') +
               "\r\n\r\n");
  ASSERT_TRUE(poll_until({client.get()},
                         [&] { return client->get_ready_state() == WebSocketPeer::STATE_CLOSED; }));
  EXPECT_NE(client->get_last_error().find("exceed"), std::string::npos) << client->get_last_error();
}

TEST(Loopback, StatusLessCloseReports1005) {
  LoopbackServer listener;
  auto client = WebSocketPeer::create();
  ASSERT_EQ(client->connect_to_url(listener.url()), OK);
  RawSocket raw = test::accept_raw(listener.server(), client.get());
  ASSERT_TRUE(test::answer_upgrade(raw));
  ASSERT_TRUE(raw.send_all(test::server_frame(8, "")));
  raw.shutdown_write();
  ASSERT_TRUE(poll_until({client.get()},
                         [&] { return client->get_ready_state() == WebSocketPeer::STATE_CLOSED; }));
  EXPECT_EQ(client->get_close_code(), 1005);
}

TEST(Loopback, QueuedDataIsSentBeforeTheCloseFrame) {
  auto pair = open_pair([](WebSocketPeer& c) { c.set_outbound_buffer_size(0); },
                        [](WebSocketPeer& s) { s.set_max_queued_packets(100000); });
  for (int i = 0; i < 500; ++i) ASSERT_EQ(pair.client->send_text("m" + std::to_string(i)), OK);
  ASSERT_EQ(pair.client->close(1000, "after data"), OK);
  ASSERT_TRUE(poll_until({pair.client.get(), pair.server.get()},
                         [&] { return both_closed(*pair.client, *pair.server); }));
  EXPECT_EQ(pair.server->get_close_code(), 1000);
  auto got = test::drain_text(*pair.server);
  ASSERT_EQ(got.size(), 500u);
  for (int i = 0; i < 500; ++i) EXPECT_EQ(got[i], "m" + std::to_string(i));
}

TEST(Loopback, CloseTimeoutDropsAnUnresponsivePeer) {
  LoopbackServer listener;
  auto client = WebSocketPeer::create();
  client->set_close_timeout(0.3);
  ASSERT_EQ(client->connect_to_url(listener.url()), OK);
  RawSocket raw = test::accept_raw(listener.server(), client.get());
  ASSERT_TRUE(test::answer_upgrade(raw));
  ASSERT_TRUE(poll_until({client.get()},
                         [&] { return client->get_ready_state() == WebSocketPeer::STATE_OPEN; }));
  const auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(client->close(), OK);
  ASSERT_TRUE(poll_until(
      {client.get()}, [&] { return client->get_ready_state() == WebSocketPeer::STATE_CLOSED; },
      3.0));
  const double waited =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_GE(waited, 0.25);
  EXPECT_EQ(client->get_close_code(), -1);
  EXPECT_NE(client->get_last_error().find("timed out"), std::string::npos);
}

TEST(Loopback, HandshakeTimeoutOnBothSides) {
  LoopbackServer listener;
  auto client = WebSocketPeer::create();
  client->set_handshake_timeout(0.3);
  ASSERT_EQ(client->connect_to_url(listener.url()), OK);
  RawSocket silent_server = test::accept_raw(listener.server(), client.get());  // never answers
  ASSERT_TRUE(poll_until(
      {client.get()}, [&] { return client->get_ready_state() == WebSocketPeer::STATE_CLOSED; },
      3.0));
  EXPECT_EQ(client->get_close_code(), -1);
  EXPECT_NE(client->get_last_error().find("timed out"), std::string::npos);

  // Slow-loris on the server side: a client that never finishes its request.
  RawSocket loris;
  ASSERT_TRUE(loris.connect("127.0.0.1", listener.port()));
  ASSERT_TRUE(loris.send_all(std::string("GET / HTTP/1.1\r\nHost: x\r\n")));
  auto server = listener.accept(nullptr, [](WebSocketPeer& s) { s.set_handshake_timeout(0.3); });
  ASSERT_TRUE(server);
  ASSERT_TRUE(poll_until(
      {server.get()}, [&] { return server->get_ready_state() == WebSocketPeer::STATE_CLOSED; },
      3.0));
  EXPECT_NE(server->get_last_error().find("timed out"), std::string::npos);
}

TEST(Loopback, HeartbeatKeepsHealthyPeersAndDetectsADeadOne) {
  auto healthy = open_pair([](WebSocketPeer& c) { c.set_heartbeat_interval(0.05); });
  poll_until(
      {healthy.client.get(), healthy.server.get()}, [] { return false; }, 0.4);
  EXPECT_EQ(healthy.client->get_ready_state(), WebSocketPeer::STATE_OPEN);

  LoopbackServer listener;
  auto client = WebSocketPeer::create();
  client->set_heartbeat_interval(0.1);
  ASSERT_EQ(client->connect_to_url(listener.url()), OK);
  RawSocket mute = test::accept_raw(listener.server(), client.get());
  ASSERT_TRUE(test::answer_upgrade(mute));  // then never answers pings
  ASSERT_TRUE(poll_until(
      {client.get()}, [&] { return client->get_ready_state() == WebSocketPeer::STATE_CLOSED; },
      3.0));
  EXPECT_EQ(client->get_close_code(), -1);
  EXPECT_NE(client->get_last_error().find("heartbeat"), std::string::npos);
  auto frames = test::decode_frames(mute.read_n(6, 1.0));
  ASSERT_FALSE(frames.empty());
  EXPECT_EQ(frames[0].opcode, 9) << "the peer was pinged";
}

// As in Godot, heartbeat_interval takes effect on an open peer: set, it starts pinging; 0 stops.
TEST(Loopback, HeartbeatIntervalSetWhileOpenTakesEffect) {
  LoopbackServer listener;
  auto client = WebSocketPeer::create();
  ASSERT_EQ(client->connect_to_url(listener.url()), OK);
  RawSocket mute = test::accept_raw(listener.server(), client.get());
  ASSERT_TRUE(test::answer_upgrade(mute));
  ASSERT_TRUE(poll_until({client.get()},
                         [&] { return client->get_ready_state() == WebSocketPeer::STATE_OPEN; }));
  poll_until(
      {client.get()}, [] { return false; }, 0.2);
  EXPECT_TRUE(mute.read_n(1, 0.1).empty()) << "no heartbeat yet";

  client->set_heartbeat_interval(0.05);
  std::string ping;
  ASSERT_TRUE(poll_until(
      {client.get()},
      [&] {
        ping += mute.read_n(6 - ping.size(), 0.01);
        return ping.size() == 6;
      },
      2.0))
      << "a ping once the interval is set";
  EXPECT_EQ(static_cast<uint8_t>(ping[0]), 0x89) << "FIN + ping";
  client->set_heartbeat_interval(0);
  poll_until(
      {client.get()}, [] { return false; }, 0.3);
  EXPECT_EQ(client->get_ready_state(), WebSocketPeer::STATE_OPEN)
      << "stopped before its unanswered ping could end the connection";
}

TEST(Loopback, OversizedMessageClosesWith1009) {
  auto pair = open_pair([](WebSocketPeer& c) { c.set_outbound_buffer_size(0); },
                        [](WebSocketPeer& s) { s.set_inbound_buffer_size(1000); });
  ASSERT_EQ(pair.client->send(as_bytes(std::string(500, 'a'))), OK);
  ASSERT_EQ(pair.client->send(as_bytes(std::string(1001, 'b'))), OK);
  ASSERT_TRUE(poll_until({pair.client.get(), pair.server.get()},
                         [&] { return both_closed(*pair.client, *pair.server); }));
  EXPECT_EQ(pair.server->get_close_code(), 1009);
  EXPECT_EQ(pair.server->get_close_reason(), "Message too big");
  EXPECT_EQ(pair.client->get_close_code(), 1009);
  EXPECT_EQ(pair.server->get_available_packet_count(), 1) << "the message within the limit is kept";
}

TEST(Loopback, OutboundLimitsReturnOutOfMemoryAndLoseNothing) {
  LoopbackServer listener;
  auto client = WebSocketPeer::create();
  client->set_outbound_buffer_size(1 << 20);
  ASSERT_EQ(client->connect_to_url(listener.url()), OK);
  RawSocket reader = test::accept_raw(listener.server(), client.get());
  ASSERT_TRUE(test::answer_upgrade(reader));
  ASSERT_TRUE(poll_until({client.get()},
                         [&] { return client->get_ready_state() == WebSocketPeer::STATE_OPEN; }));
  EXPECT_EQ(client->send(as_bytes(std::string((1 << 20) + 1, 'x'))), ERR_OUT_OF_MEMORY)
      << "one message larger than outbound_buffer_size";
  // The raw server does not read: kernel buffers fill, then our queue, then sends are refused.
  const std::string chunk(60000, 'c');
  int accepted = 0;
  Error last = OK;
  for (int i = 0; i < 1000 && last == OK; ++i) {
    last = client->send(as_bytes(chunk));
    if (last == OK) ++accepted;
    client->poll();
  }
  EXPECT_EQ(last, ERR_OUT_OF_MEMORY);
  EXPECT_GT(client->get_current_outbound_buffered_amount(), 0);
  EXPECT_LE(client->get_current_outbound_buffered_amount(), 1 << 20);
  EXPECT_NE(client->get_last_error().find("outbound_buffer_size"), std::string::npos);
  // Now read everything: every accepted message arrives.
  ASSERT_EQ(client->close(), OK);
  std::string wire;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  size_t frames = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    client->poll();
    wire += reader.read_n(1 << 20, 0.01);
    auto decoded = test::decode_frames(wire);
    if (!decoded.empty() && decoded.back().opcode == 8) {
      frames = decoded.size() - 1;
      for (size_t i = 0; i < frames; ++i) EXPECT_EQ(decoded[i].payload.size(), chunk.size());
      break;
    }
  }
  EXPECT_EQ(frames, static_cast<size_t>(accepted));
}

TEST(Loopback, SlowReaderNeverLosesAMessage) {
  auto pair = open_pair([](WebSocketPeer& c) { c.set_max_queued_packets(4); },
                        [](WebSocketPeer& s) { s.set_outbound_buffer_size(256 * 1024); });
  ASSERT_EQ(pair.client->get_ready_state(), WebSocketPeer::STATE_OPEN);
  const int total = 3000;
  int sent = 0;
  std::vector<std::string> received;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (static_cast<int>(received.size()) < total && std::chrono::steady_clock::now() < deadline) {
    while (sent < total &&
           pair.server->send_text("msg-" + std::to_string(sent) + std::string(500, '.')) == OK) {
      ++sent;
    }
    pair.server->poll();
    pair.client->poll();
    EXPECT_LE(pair.client->get_available_packet_count(), 4 + 1);
    if (pair.client->get_available_packet_count() > 0) {  // one message per poll: a slow reader
      auto packet = pair.client->get_packet();
      received.emplace_back(packet.begin(), packet.end());
    }
  }
  ASSERT_EQ(static_cast<int>(received.size()), total);
  for (int i = 0; i < total; ++i)
    ASSERT_EQ(received[i], "msg-" + std::to_string(i) + std::string(500, '.'));
}

TEST(Loopback, SixteenMegabyteMessagesWithRaisedLimits) {
  auto raise = [](WebSocketPeer& p) {
    p.set_inbound_buffer_size(16 << 20);
    p.set_outbound_buffer_size(16 << 20);
  };
  auto pair = open_pair(raise, raise);
  std::string big(16 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 2654435761u) >> 13);
  ASSERT_EQ(pair.client->send(as_bytes(big)), OK);
  ASSERT_TRUE(poll_until(
      {pair.client.get(), pair.server.get()},
      [&] { return pair.server->get_available_packet_count() == 1; }, 30));
  std::vector<uint8_t> got = pair.server->get_packet();
  ASSERT_EQ(got.size(), big.size());
  EXPECT_TRUE(std::equal(got.begin(), got.end(), big.begin(),
                         [](uint8_t a, char b) { return a == static_cast<uint8_t>(b); }));
  ASSERT_EQ(pair.server->send(std::span<const uint8_t>(got.data(), got.size())), OK);
  ASSERT_TRUE(poll_until(
      {pair.client.get(), pair.server.get()},
      [&] { return pair.client->get_available_packet_count() == 1; }, 30));
  EXPECT_EQ(pair.client->get_packet().size(), big.size());
}

TEST(Loopback, BuffersStayReadableUntilTheNextConnect) {
  auto pair = open_pair();
  ASSERT_EQ(pair.server->send_text("kept"), OK);
  ASSERT_EQ(pair.server->close(), OK);
  ASSERT_TRUE(poll_until({pair.client.get(), pair.server.get()},
                         [&] { return both_closed(*pair.client, *pair.server); }));
  EXPECT_EQ(pair.client->get_available_packet_count(), 1);
  // Reconnecting the same peer starts fresh.
  ASSERT_EQ(pair.client->connect_to_url(pair.listener->url()), OK);
  EXPECT_EQ(pair.client->get_available_packet_count(), 0);
  EXPECT_EQ(pair.client->get_close_code(), -1);
  auto server2 = pair.listener->accept(pair.client.get());
  ASSERT_TRUE(poll_until({pair.client.get(), server2.get()}, [&] {
    return pair.client->get_ready_state() == WebSocketPeer::STATE_OPEN;
  }));
}

// ---------------------------------------------------------------------------------------------
// Server side: hostile and unusual clients

struct Refusal {
  const char* name;
  std::string request;
  int status;
};

TEST(LoopbackServer, RefusesBadRequestsWithHttpErrorsAndCloses) {
  const Refusal refusals[] = {
      {"two-token request line", "GET /\r\nHost: x\r\n\r\n", 400},
      {"not a websocket request", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 426},
      {"wrong version",
       test::upgrade_request("/", "").replace(test::upgrade_request().find("13"), 2, "8"), 426},
      {"oversized headers", "GET / HTTP/1.1\r\nX-Big: " + std::string(9000, 'a') + "\r\n\r\n", 431},
  };
  for (const Refusal& refusal : refusals) {
    LoopbackServer listener;
    RawSocket raw;
    ASSERT_TRUE(raw.connect("127.0.0.1", listener.port()));
    ASSERT_TRUE(raw.send_all(refusal.request));
    auto server = listener.accept(nullptr);
    ASSERT_TRUE(server);
    ASSERT_TRUE(poll_until({server.get()}, [&] {
      return server->get_ready_state() == WebSocketPeer::STATE_CLOSED;
    })) << refusal.name;
    EXPECT_EQ(server->get_handshake_status(), refusal.status) << refusal.name;
    EXPECT_NE(server->get_last_error().find(std::to_string(refusal.status)), std::string::npos);
    bool eof = false;
    const std::string response = raw.read_until_eof(2.0, &eof);
    EXPECT_EQ(response.rfind("HTTP/1.1 " + std::to_string(refusal.status), 0), 0u) << response;
    EXPECT_TRUE(eof) << "the server closes after refusing";
  }
}

TEST(LoopbackServer, PreReadBytesLetOnePortServeHttpAndWebSocket) {
  LoopbackServer listener;
  RawSocket raw;
  ASSERT_TRUE(raw.connect("127.0.0.1", listener.port()));
  const std::string request = test::upgrade_request("/ws?x=1");
  ASSERT_TRUE(raw.send_all(request + test::client_frame(1, "early")));
  auto stream = listener.take();
  ASSERT_TRUE(stream);
  // The application reads the start of the request itself to route it.
  std::string pre_read;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (pre_read.size() < 14 && std::chrono::steady_clock::now() < deadline) {
    uint8_t buffer[14];
    int got = 0;
    stream->get_partial_data(buffer, static_cast<int>(14 - pre_read.size()), &got);
    pre_read.append(reinterpret_cast<char*>(buffer), got);
  }
  ASSERT_EQ(pre_read, "GET /ws?x=1 HT");
  auto server = WebSocketPeer::create();
  ASSERT_EQ(server->accept_stream(stream, pre_read), OK);
  ASSERT_TRUE(
      poll_until({server.get()}, [&] { return server->get_available_packet_count() == 1; }));
  EXPECT_EQ(server->get_ready_state(), WebSocketPeer::STATE_OPEN);
  EXPECT_EQ(server->get_request_path(), "/ws?x=1");
  EXPECT_EQ(test::drain_text(*server), std::vector<std::string>{"early"});
  EXPECT_EQ(raw.read_http_head().rfind("HTTP/1.1 101", 0), 0u);
}

TEST(LoopbackServer, ProtocolViolationClosesWith1002AndReportsIt) {
  LoopbackServer listener;
  RawSocket raw;
  ASSERT_TRUE(raw.connect("127.0.0.1", listener.port()));
  ASSERT_TRUE(raw.send_all(test::upgrade_request()));
  auto server = listener.accept(nullptr);
  ASSERT_TRUE(poll_until({server.get()},
                         [&] { return server->get_ready_state() == WebSocketPeer::STATE_OPEN; }));
  raw.read_http_head();
  ASSERT_TRUE(raw.send_all(test::client_frame(1, "ok") + test::server_frame(1, "unmasked")));
  // The server sends its close frame, ends its side of TCP and waits for ours.
  std::string wire;
  bool eof = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!eof && std::chrono::steady_clock::now() < deadline) {
    server->poll();
    wire += raw.read_until_eof(0.01, &eof);
  }
  ASSERT_TRUE(eof) << "the server ended its side after the close frame";
  raw.close();
  ASSERT_TRUE(poll_until({server.get()},
                         [&] { return server->get_ready_state() == WebSocketPeer::STATE_CLOSED; }));
  EXPECT_EQ(server->get_close_code(), 1002);
  EXPECT_NE(server->get_last_error().find("Unmasked"), std::string::npos);
  EXPECT_EQ(test::drain_text(*server), std::vector<std::string>{"ok"});
  auto frames = test::decode_frames(wire);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].opcode, 8);
  EXPECT_EQ(frames[0].payload.substr(0, 2), test::close_frame_payload(1002));
}

TEST(LoopbackServer, TcpResetMidMessageEndsUncleanlyWithoutLosingCompleteMessages) {
  LoopbackServer listener;
  RawSocket raw;
  ASSERT_TRUE(raw.connect("127.0.0.1", listener.port()));
  ASSERT_TRUE(raw.send_all(test::upgrade_request()));
  auto server = listener.accept(nullptr);
  ASSERT_TRUE(poll_until({server.get()},
                         [&] { return server->get_ready_state() == WebSocketPeer::STATE_OPEN; }));
  const std::string partial = test::client_frame(2, std::string(1000, 'p'));
  ASSERT_TRUE(raw.send_all(test::client_frame(1, "complete") + partial.substr(0, 500)));
  poll_until({server.get()}, [&] { return server->get_available_packet_count() == 1; });
  raw.reset();
  ASSERT_TRUE(poll_until({server.get()},
                         [&] { return server->get_ready_state() == WebSocketPeer::STATE_CLOSED; }));
  EXPECT_EQ(server->get_close_code(), -1);
  EXPECT_FALSE(server->get_last_error().empty());
  EXPECT_EQ(test::drain_text(*server), std::vector<std::string>{"complete"});
}

// ---------------------------------------------------------------------------------------------
// Batching: replies to a batch leave in one write; a lone send goes out at once.

class CountingStream : public StreamPeer {
 public:
  explicit CountingStream(std::shared_ptr<StreamPeer> inner) : inner_(std::move(inner)) {}
  Error put_partial_data(const uint8_t* data, int size, int* sent) override {
    ++writes;
    return inner_->put_partial_data(data, size, sent);
  }
  Error put_partial_data_v(const ConstBuffer* parts, int count, size_t* sent) override {
    ++writes;
    return inner_->put_partial_data_v(parts, count, sent);
  }
  Error get_partial_data(uint8_t* buffer, int size, int* received) override {
    return inner_->get_partial_data(buffer, size, received);
  }
  Status get_status() const override { return inner_->get_status(); }
  void disconnect() override { inner_->disconnect(); }
  int get_native_handle() const override { return inner_->get_native_handle(); }
  int writes = 0;

 private:
  std::shared_ptr<StreamPeer> inner_;
};

TEST(Loopback, RepliesToABatchLeaveInOneWriteAndALoneSendLeavesAtOnce) {
  LoopbackServer listener;
  auto client = WebSocketPeer::create();
  client->set_outbound_buffer_size(0);
  ASSERT_EQ(client->connect_to_url(listener.url()), OK);
  auto counting = std::make_shared<CountingStream>(listener.take(client.get()));
  auto server = WebSocketPeer::create();
  ASSERT_EQ(server->accept_stream(counting), OK);
  ASSERT_TRUE(poll_until({client.get(), server.get()},
                         [&] { return client->get_ready_state() == WebSocketPeer::STATE_OPEN; }));
  // 100 messages reach the server in one read.
  for (int i = 0; i < 100; ++i) client->send_text("q" + std::to_string(i));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  server->poll();
  ASSERT_EQ(server->get_available_packet_count(), 100);
  const int before = counting->writes;
  while (server->get_available_packet_count() > 0) {
    auto packet = server->get_packet();
    server->send(std::span<const uint8_t>(packet.data(), packet.size()),
                 WebSocketPeer::WRITE_MODE_TEXT);
  }
  EXPECT_EQ(counting->writes - before, 1) << "100 replies, one write";
  ASSERT_TRUE(poll_until({client.get(), server.get()},
                         [&] { return client->get_available_packet_count() == 100; }));
  const int lone_before = counting->writes;
  server->send_text("lone");
  EXPECT_EQ(counting->writes - lone_before, 1) << "written without waiting for poll()";
}

// ---------------------------------------------------------------------------------------------

TEST(Loopback, DestroyingPeersInEveryStateReleasesEverything) {
  LoopbackServer listener;
  {
    auto resolving = WebSocketPeer::create();
    ASSERT_EQ(resolving->connect_to_url("ws://localhost:" + std::to_string(listener.port())), OK);
  }
  {
    auto connecting = WebSocketPeer::create();
    ASSERT_EQ(connecting->connect_to_url(listener.url()), OK);
    connecting->poll();
  }
  {
    auto pair = open_pair();
    pair.client->send_text("pending");
  }
  {
    auto pair = open_pair();
    pair.client->close();
    pair.server->send(std::span<const uint8_t>());
  }
  SUCCEED() << "LeakSanitizer checks this test under --config=asan";
}

}  // namespace
}  // namespace wsp
