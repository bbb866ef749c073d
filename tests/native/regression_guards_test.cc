// Behaviour that a mutation check showed no test guarded (breaking it, or moving it by one,
// passed every test): each case here fails when its rule is broken.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/native/raw_peer.h"
#include "tests/native/test_util.h"
#include "wspeer/core/handshake.h"

namespace wsp {
namespace {

using test::poll_until;
using test::RawSocket;

std::span<const uint8_t> bytes_of(const std::string& text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

// A native client whose server is a raw socket that reads nothing unless told to.
struct ClientOfRawServer {
  std::unique_ptr<test::LoopbackServer> listener = std::make_unique<test::LoopbackServer>();
  std::unique_ptr<WebSocketPeer> client = WebSocketPeer::create();
  RawSocket server;
};

ClientOfRawServer connect_to_raw_server(const std::function<void(WebSocketPeer&)>& configure) {
  ClientOfRawServer pair;
  configure(*pair.client);
  pair.client->connect_to_url(pair.listener->url());
  pair.server = test::accept_raw(pair.listener->server(), pair.client.get());
  test::answer_upgrade(pair.server);
  poll_until({pair.client.get()},
             [&] { return pair.client->get_ready_state() != WebSocketPeer::STATE_CONNECTING; });
  return pair;
}

TEST(RegressionGuards, MaxQueuedPacketsCountsUnwrittenOutboundFramesExactly) {
  auto pair = connect_to_raw_server([](WebSocketPeer& peer) {
    peer.set_max_queued_packets(3);
    peer.set_outbound_buffer_size(0);
  });
  ASSERT_EQ(pair.client->get_ready_state(), WebSocketPeer::STATE_OPEN);
  // Fill the socket: the server reads nothing, so a big message ends up partly unwritten.
  const std::string big(1 << 20, 'b');
  for (int i = 0; i < 64 && pair.client->get_current_outbound_buffered_amount() == 0; ++i) {
    ASSERT_EQ(pair.client->send(bytes_of(big)), OK);
    pair.client->poll();
  }
  ASSERT_GT(pair.client->get_current_outbound_buffered_amount(), 0) << "the socket never filled";
  // One frame waits; two more fit under max_queued_packets = 3, the next is refused.
  EXPECT_EQ(pair.client->send_text("one"), OK);
  EXPECT_EQ(pair.client->send_text("two"), OK);
  EXPECT_EQ(pair.client->send_text("three"), ERR_OUT_OF_MEMORY);
  EXPECT_NE(pair.client->get_last_error().find("max_queued_packets"), std::string::npos);
}

TEST(RegressionGuards, TheHeartbeatDoesNotKillAPeerWhoseOwnReadingIsPaused) {
  // The server takes no messages, so after one its reading pauses: the client's pongs wait
  // unread in the socket, and the server must not take their absence for a dead client.
  auto pair = test::open_pair({}, [](WebSocketPeer& server) {
    server.set_max_queued_packets(1);
    server.set_heartbeat_interval(0.1);
  });
  ASSERT_EQ(pair.server->get_ready_state(), WebSocketPeer::STATE_OPEN);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(pair.client->send_text("m" + std::to_string(i)), OK);
  poll_until(
      {pair.client.get(), pair.server.get()}, [] { return false; }, 1.0);
  EXPECT_EQ(pair.server->get_ready_state(), WebSocketPeer::STATE_OPEN)
      << pair.server->get_last_error();
  // Once the application takes messages, everything (pongs included) is read and all is well.
  std::vector<std::string> got;
  poll_until({pair.client.get(), pair.server.get()}, [&] {
    for (const std::string& text : test::drain_text(*pair.server)) got.push_back(text);
    return got.size() == 3;
  });
  EXPECT_EQ(got, (std::vector<std::string>{"m0", "m1", "m2"}));
  poll_until(
      {pair.client.get(), pair.server.get()}, [] { return false; }, 0.5);
  EXPECT_EQ(pair.server->get_ready_state(), WebSocketPeer::STATE_OPEN);
}

TEST(RegressionGuards, NoPongAfterOurOwnCloseFrame) {
  auto pair = test::connect_raw_client();
  ASSERT_EQ(pair.server->close(1000, "bye"), OK);
  pair.server->poll();
  // The client pings after our close frame went out, then answers the close.
  pair.client.send_all(test::client_frame(9, "late ping"));
  poll_until(
      {pair.server.get()}, [] { return false; }, 0.2);
  pair.client.send_all(test::client_frame(8, test::close_frame_payload(1000)));
  poll_until({pair.server.get()},
             [&] { return pair.server->get_ready_state() == WebSocketPeer::STATE_CLOSED; });
  const auto frames = test::decode_frames(pair.client.read_until_eof(2.0));
  ASSERT_FALSE(frames.empty());
  EXPECT_EQ(frames.front().opcode, 8);
  EXPECT_EQ(frames.size(), 1u) << "something followed our close frame (opcode "
                               << int(frames.back().opcode) << ")";
}

TEST(RegressionGuards, CloseKeepsDataQueuedBeforeIt) {
  auto pair =
      test::connect_raw_client([](WebSocketPeer& peer) { peer.set_outbound_buffer_size(0); });
  // The client reads nothing yet, so most of these 8 MiB are still queued when close() comes.
  const std::string chunk(1 << 20, 'd');
  for (int i = 0; i < 8; ++i) ASSERT_EQ(pair.server->send(bytes_of(chunk)), OK);
  ASSERT_GT(pair.server->get_current_outbound_buffered_amount(), 1 << 20);
  ASSERT_EQ(pair.server->close(1000, "after the data"), OK);
  std::string wire;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::vector<test::DecodedFrame> frames;
  while (std::chrono::steady_clock::now() < until &&
         (frames.empty() || frames.back().opcode != 8)) {
    pair.server->poll();
    wire += pair.client.read_n(1 << 20, 0.01);
    frames = test::decode_frames(wire);
  }
  ASSERT_EQ(frames.size(), 9u);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(frames[i].payload.size(), chunk.size()) << "frame " << i;
  EXPECT_EQ(frames[8].opcode, 8);
  EXPECT_EQ(frames[8].payload.substr(2), "after the data");
}

TEST(RegressionGuards, AReplyToAMessageThatCameWithTheCloseGoesBeforeTheCloseReply) {
  auto pair = test::connect_raw_client();
  // A request and the client's close, in one write: the application still answers the request
  // (RFC 6455 §5.5.1 lets the close reply wait), and the answer precedes the close reply.
  pair.client.send_all(test::client_frame(1, "question") +
                       test::client_frame(8, test::close_frame_payload(1000, "done")));
  ASSERT_TRUE(poll_until({pair.server.get()},
                         [&] { return pair.server->get_available_packet_count() == 1; }));
  EXPECT_EQ(test::drain_text(*pair.server), std::vector<std::string>{"question"});
  EXPECT_EQ(pair.server->send_text("answer"), OK);
  std::vector<test::DecodedFrame> frames;
  std::string wire;
  poll_until({pair.server.get()}, [&] {
    wire += pair.client.read_n(4096, 0.01);
    frames = test::decode_frames(wire);
    return frames.size() >= 2;
  });
  pair.client.close();  // the client ends TCP after the close exchange, as clients do
  poll_until({pair.server.get()},
             [&] { return pair.server->get_ready_state() == WebSocketPeer::STATE_CLOSED; });
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].opcode, 1);
  EXPECT_EQ(frames[0].payload, "answer");
  EXPECT_EQ(frames[1].opcode, 8);
  EXPECT_EQ(pair.server->get_close_code(), 1000);
}

// Autobahn case 7.1.6: a 256 KiB message, a short one and a close in one write. An echo that
// takes messages only while less than 256 KiB of replies wait (wsp echo-server's back-pressure)
// takes the second one a poll later, and the close reply must wait for it: it once went out at
// that poll and the second echo failed with "Cannot send: the connection is in STATE_CLOSING".
TEST(RegressionGuards, TheCloseReplyWaitsForMessagesTakenOverSeveralPolls) {
  auto pair = test::connect_raw_client([](WebSocketPeer& peer) {
    peer.set_inbound_buffer_size(2 << 20);
    peer.set_outbound_buffer_size(0);
  });
  // 1 MiB, and a client that reads nothing for a while: the echo of the first message waits in
  // the server, so the second is taken some polls later.
  const std::string big(1 << 20, '*');
  const auto start = std::chrono::steady_clock::now();
  pair.client.send_all(test::client_frame(1, big) + test::client_frame(1, "Hello World!") +
                       test::client_frame(8, test::close_frame_payload(1000)));
  std::vector<std::string> send_errors;
  std::vector<test::DecodedFrame> frames;
  std::string wire;
  poll_until({pair.server.get()}, [&] {
    WebSocketPeer& server = *pair.server;
    while (server.get_available_packet_count() > 0 &&
           server.get_current_outbound_buffered_amount() < 256 * 1024) {
      const std::vector<uint8_t> message = server.get_packet();
      if (server.send(message, WebSocketPeer::WRITE_MODE_TEXT) != OK) {
        send_errors.push_back(server.get_last_error());
      }
    }
    if (std::chrono::steady_clock::now() - start < std::chrono::milliseconds(300)) return false;
    wire += pair.client.read_n(1 << 20, 0.005);
    frames = test::decode_frames(wire);
    return !frames.empty() && frames.back().opcode == 8;
  });
  EXPECT_TRUE(send_errors.empty()) << send_errors.front();
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0].payload.size(), big.size());
  EXPECT_EQ(frames[1].payload, "Hello World!");
  EXPECT_EQ(frames[2].opcode, 8);
}

// The close reply waits for the application, but not for ever: replies that never leave (the
// client reads nothing) hold it for the close timeout at most, and an application that takes
// nothing does not hold it at all (the messages stay readable).
TEST(RegressionGuards, TheCloseReplyWaitsNoLongerThanTheCloseTimeout) {
  auto pair = test::connect_raw_client([](WebSocketPeer& peer) {
    peer.set_inbound_buffer_size(16 << 20);
    peer.set_outbound_buffer_size(0);
    peer.set_close_timeout(0.3);
  });
  // 8 MiB: more than loopback's socket buffers take while the client reads nothing. Written
  // as the socket takes it, while the server reads.
  const std::string wire = test::client_frame(1, std::string(8 << 20, '*')) +
                           test::client_frame(1, "second") +
                           test::client_frame(8, test::close_frame_payload(1000));
  size_t sent = 0;
  WebSocketPeer& server = *pair.server;
  ASSERT_TRUE(poll_until({&server}, [&] {
    EXPECT_TRUE(pair.client.send_available(wire, &sent));
    return sent == wire.size();
  }));
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(poll_until({&server}, [&] {
    while (server.get_available_packet_count() > 0 &&
           server.get_current_outbound_buffered_amount() < 256 * 1024) {
      EXPECT_EQ(server.send(server.get_packet(), WebSocketPeer::WRITE_MODE_TEXT), OK);
    }
    return server.get_ready_state() != WebSocketPeer::STATE_OPEN;
  }));
  const double waited =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_GE(waited, 0.25) << "the reply did not wait for the echo";
  EXPECT_LT(waited, 2.0);
  EXPECT_EQ(test::drain_text(server), std::vector<std::string>{"second"});

  auto idle = test::connect_raw_client([](WebSocketPeer& peer) { peer.set_close_timeout(5); });
  idle.client.send_all(test::client_frame(1, "unread") +
                       test::client_frame(8, test::close_frame_payload(1000)));
  const auto idle_start = std::chrono::steady_clock::now();
  ASSERT_TRUE(poll_until({idle.server.get()}, [&] {
    return idle.server->get_ready_state() != WebSocketPeer::STATE_OPEN;
  }));
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - idle_start).count(),
            1.0)
      << "an application that takes nothing held the close reply";
  EXPECT_EQ(test::drain_text(*idle.server), std::vector<std::string>{"unread"});
}

TEST(RegressionGuards, ASurrogateInsideLongTextClosesWith1007) {
  // Long non-ASCII text goes through the vector UTF-8 validator; a surrogate (ED A0 80) hidden
  // at different places in it must be found there too.
  for (size_t at : {0u, 7u, 31u, 100u, 1000u}) {
    auto pair = test::connect_raw_client(
        [](WebSocketPeer& peer) { peer.set_inbound_buffer_size(1 << 20); });
    std::string text;
    while (text.size() < 2000) text += "\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8e\xae ";
    text.insert(at, "\xed\xa0\x80");
    pair.client.send_all(test::client_frame(1, text));
    poll_until({pair.server.get()},
               [&] { return pair.server->get_ready_state() != WebSocketPeer::STATE_OPEN; });
    const auto frames = test::decode_frames(pair.client.read_until_eof(2.0));
    ASSERT_FALSE(frames.empty()) << "surrogate at " << at;
    EXPECT_EQ(frames[0].opcode, 8);
    EXPECT_EQ(frames[0].payload.substr(0, 2), test::close_frame_payload(1007))
        << "surrogate at " << at;
  }
}

TEST(RegressionGuards, AWrongAcceptKeyFailsTheClientHandshake) {
  test::LoopbackServer listener;
  auto client = WebSocketPeer::create();
  ASSERT_EQ(client->connect_to_url(listener.url()), OK);
  RawSocket server = test::accept_raw(listener.server(), client.get());
  server.read_http_head();
  // The accept key of another request: a server that did not read this one.
  server.send_all(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Accept: " +
      compute_accept_key("dGhlIHNhbXBsZSBub25jZQ==") + "\r\n\r\n");
  ASSERT_TRUE(poll_until({client.get()}, [&] {
    return client->get_ready_state() != WebSocketPeer::STATE_CONNECTING;
  }));
  EXPECT_EQ(client->get_ready_state(), WebSocketPeer::STATE_CLOSED);
  EXPECT_NE(client->get_last_error().find("Sec-WebSocket-Accept"), std::string::npos)
      << client->get_last_error();
}

}  // namespace
}  // namespace wsp
