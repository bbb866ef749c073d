// The heartbeat on real sockets: a peer whose bytes keep arriving is alive even when its pong is
// stuck behind a large message (client and server role, plain and TLS with records arriving in
// pieces, with PeerPoller and without), and a peer that goes silent is still declared dead
// within two intervals.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/native/paced_stream.h"
#include "tests/native/raw_peer.h"
#include "tests/native/test_certs.h"
#include "tests/native/test_util.h"
#include "wspeer/platform/native/peer_poller.h"
#include "wspeer/platform/native/stream_peer_tls.h"

namespace wsp {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;
using test::PacedStream;
using test::RawSocket;

constexpr double kInterval = 0.05;
// Silence is detected at the first tick one interval after the last byte, and ticks come one
// interval apart: two intervals at most, plus what a loaded machine adds to a poll loop.
constexpr double kDeathBound = 2 * kInterval + 0.25;
// 48 KiB at 1 KiB per 10 ms: about half a second, ten intervals.
constexpr size_t kMessageSize = 48 * 1024;
constexpr size_t kPaceBytes = 1024;
constexpr milliseconds kPaceStep{10};

double seconds_since(steady_clock::time_point start) {
  return std::chrono::duration<double>(steady_clock::now() - start).count();
}

std::string pattern(size_t size) {
  std::string text(size, '\0');
  for (size_t i = 0; i < size; ++i) text[i] = static_cast<char>('a' + i % 26);
  return text;
}

// A native client whose server peer writes through a PacedStream (under TLS when asked).
struct ClientOfSlowServer {
  test::LoopbackServer listener;
  std::unique_ptr<WebSocketPeer> client = WebSocketPeer::create();
  std::unique_ptr<WebSocketPeer> server = WebSocketPeer::create();
  std::shared_ptr<PacedStream> paced;

  // Polls both and pumps the slow link until `done` or `seconds`; false if the client closed.
  bool run(const std::function<bool()>& done, double seconds) {
    const auto start = steady_clock::now();
    while (seconds_since(start) < seconds && !done()) {
      if (client->get_ready_state() == WebSocketPeer::STATE_CLOSED) return false;
      client->poll();
      server->poll();
      paced->pump();
      std::this_thread::sleep_for(milliseconds(1));
    }
    return client->get_ready_state() != WebSocketPeer::STATE_CLOSED;
  }
};

std::shared_ptr<const TLSOptions> server_tls(const test::KeyAndCert& leaf) {
  auto key = std::make_shared<CryptoKey>();
  auto cert = std::make_shared<X509Certificate>();
  EXPECT_EQ(key->load_from_string(leaf.key_pem), OK);
  EXPECT_EQ(cert->load_from_string(leaf.cert_pem), OK);
  return TLSOptions::server(key, cert);
}

void open_slow_server(ClientOfSlowServer* pair, bool tls) {
  std::shared_ptr<const TLSOptions> client_tls;
  std::string url = "ws://127.0.0.1:" + std::to_string(pair->listener.port()) + "/";
  test::KeyAndCert ca, leaf;
  if (tls) {
    ca = test::make_ca("heartbeat test CA");
    leaf = test::make_leaf(ca, "localhost", {"DNS:localhost"});
    auto trusted = std::make_shared<X509Certificate>();
    ASSERT_EQ(trusted->load_from_string(ca.cert_pem), OK);
    client_tls = TLSOptions::client(trusted);
    url = "wss://localhost:" + std::to_string(pair->listener.port()) + "/";
  }
  pair->client->set_inbound_buffer_size(1 << 20);
  ASSERT_EQ(pair->client->connect_to_url(url, client_tls), OK);
  auto tcp = pair->listener.take(pair->client.get());
  ASSERT_TRUE(tcp);
  pair->paced = std::make_shared<PacedStream>(tcp);
  std::shared_ptr<StreamPeer> stream = pair->paced;
  if (tls) {
    auto secure = std::make_shared<StreamPeerTLS>();
    ASSERT_EQ(secure->accept_stream(pair->paced, server_tls(leaf)), OK);
    stream = secure;
  }
  pair->server->set_outbound_buffer_size(0);
  ASSERT_EQ(pair->server->accept_stream(stream), OK);
  pair->run([&] { return pair->client->get_ready_state() == WebSocketPeer::STATE_OPEN; }, 10);
  ASSERT_EQ(pair->client->get_ready_state(), WebSocketPeer::STATE_OPEN)
      << pair->client->get_last_error();
}

class HeartbeatClient : public ::testing::TestWithParam<bool> {};

// The server's pong waits behind a message that takes ten intervals to arrive (over TLS, each
// 16 KiB record takes three intervals: only pieces of records arrive for a while).
TEST_P(HeartbeatClient, KeepsAServerWhoseMessageIsStillArrivingAndDropsItOnceSilent) {
  ClientOfSlowServer pair;
  ASSERT_NO_FATAL_FAILURE(open_slow_server(&pair, GetParam()));
  ASSERT_EQ(pair.client->set_heartbeat_interval(kInterval), OK);
  pair.paced->set_pace(kPaceBytes, kPaceStep);
  const std::string message = pattern(kMessageSize);
  ASSERT_EQ(pair.server->send(std::span<const uint8_t>(
                reinterpret_cast<const uint8_t*>(message.data()), message.size())),
            OK);
  const auto start = steady_clock::now();
  ASSERT_TRUE(pair.run([&] { return pair.client->get_available_packet_count() > 0; }, 20))
      << "declared dead while the message was arriving: " << pair.client->get_last_error();
  EXPECT_GT(seconds_since(start), 4 * kInterval) << "the message did not span several intervals";
  const std::vector<uint8_t> received = pair.client->get_packet();
  EXPECT_EQ(std::string(received.begin(), received.end()), message);

  // The late pong and the ones after it arrive now: the connection stays open.
  EXPECT_TRUE(pair.run([] { return false; }, 6 * kInterval)) << pair.client->get_last_error();

  // The link stalls (nothing leaves the server any more): dead within two intervals.
  pair.paced->set_pace(0, kPaceStep);
  const auto last_byte = pair.paced->last_release();
  pair.run([] { return false; }, 5);
  EXPECT_EQ(pair.client->get_ready_state(), WebSocketPeer::STATE_CLOSED);
  const double silent = seconds_since(last_byte);
  EXPECT_LE(silent, kDeathBound) << "declared dead " << silent << " s after the last byte";
  EXPECT_GE(silent, kInterval) << "declared dead before a whole interval of silence";
  EXPECT_EQ(pair.client->get_close_code(), -1);
  EXPECT_NE(pair.client->get_last_error().find("heartbeat"), std::string::npos)
      << pair.client->get_last_error();
}

INSTANTIATE_TEST_SUITE_P(PlainAndTls, HeartbeatClient, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Tls" : "Plain"; });

// A client uploads a message slowly and reads nothing meanwhile, so it answers the server's ping
// only once the upload is done; the server peer runs in a PeerPoller.
TEST(HeartbeatServer, KeepsAClientWhoseUploadIsStillArrivingAndDropsItOnceSilent) {
  test::LoopbackServer listener;
  RawSocket client;
  ASSERT_TRUE(client.connect("127.0.0.1", listener.port()));
  ASSERT_TRUE(client.send_all(test::upgrade_request()));
  std::unique_ptr<WebSocketPeer> server = listener.accept(nullptr, [](WebSocketPeer& peer) {
    peer.set_inbound_buffer_size(1 << 20);
    peer.set_heartbeat_interval(kInterval);
  });
  ASSERT_TRUE(server);
  PeerPoller poller;
  poller.add(server.get());
  auto serve = [&](const std::function<bool()>& step, double seconds) {
    const auto start = steady_clock::now();
    while (seconds_since(start) < seconds && step()) {
      for (WebSocketPeer* peer : poller.wait(2)) peer->poll();
    }
  };
  serve([&] { return server->get_ready_state() == WebSocketPeer::STATE_CONNECTING; }, 5);
  ASSERT_EQ(server->get_ready_state(), WebSocketPeer::STATE_OPEN);
  ASSERT_FALSE(client.read_http_head().empty());

  const std::string frame = test::client_frame(2, pattern(kMessageSize));
  size_t sent = 0;
  auto next_chunk = steady_clock::now();
  const auto start = steady_clock::now();
  serve(
      [&] {
        if (server->get_ready_state() != WebSocketPeer::STATE_OPEN) return false;
        if (sent < frame.size() && steady_clock::now() >= next_chunk) {
          const size_t size = std::min(kPaceBytes, frame.size() - sent);
          EXPECT_TRUE(client.send_all(frame.substr(sent, size)));
          sent += size;
          next_chunk += kPaceStep;
        }
        return server->get_available_packet_count() == 0;
      },
      20);
  ASSERT_EQ(server->get_ready_state(), WebSocketPeer::STATE_OPEN)
      << "declared dead while the upload was arriving: " << server->get_last_error();
  ASSERT_EQ(server->get_available_packet_count(), 1);
  EXPECT_GT(seconds_since(start), 4 * kInterval) << "the upload did not span several intervals";
  EXPECT_EQ(server->get_packet().size(), kMessageSize);

  // The client answers every ping from now on: the connection stays open.
  std::string wire;
  auto answer_pings = [&] {
    wire += client.read_n(1 << 16, 0.001);
    test::DecodedFrame frame_read;
    while (test::decode_frame(wire, &frame_read)) {
      wire.erase(0, frame_read.size);
      if (frame_read.opcode == 9) {
        EXPECT_TRUE(client.send_all(test::client_frame(10, "")));
      }
    }
    return server->get_ready_state() == WebSocketPeer::STATE_OPEN;
  };
  serve(answer_pings, 6 * kInterval);
  EXPECT_EQ(server->get_ready_state(), WebSocketPeer::STATE_OPEN) << server->get_last_error();

  // Then it goes silent: dead within two intervals.
  const auto last_byte = steady_clock::now();
  serve([&] { return server->get_ready_state() != WebSocketPeer::STATE_CLOSED; }, 5);
  EXPECT_EQ(server->get_ready_state(), WebSocketPeer::STATE_CLOSED);
  EXPECT_LE(seconds_since(last_byte), kDeathBound);
  EXPECT_NE(server->get_last_error().find("heartbeat"), std::string::npos)
      << server->get_last_error();
  poller.remove(server.get());
}

TEST(RoundTripTime, MeasuredFromTheHeartbeatsPongsAndResetByANewConnection) {
  test::Pair pair = test::open_pair(
      [](WebSocketPeer& client) { ASSERT_EQ(client.set_heartbeat_interval(0.05), OK); });
  ASSERT_EQ(pair.client->get_ready_state(), WebSocketPeer::STATE_OPEN);
  EXPECT_EQ(pair.client->get_round_trip_time(), -1.0) << "no ping answered yet";
  ASSERT_TRUE(test::poll_until({pair.client.get(), pair.server.get()},
                               [&] { return pair.client->get_round_trip_time() >= 0; }));
  // Over loopback with both peers polled in one loop: well under the interval.
  EXPECT_LT(pair.client->get_round_trip_time(), 0.05);
  EXPECT_EQ(pair.server->get_round_trip_time(), -1.0) << "the server sends no pings";
  pair.client->close();
  test::poll_until({pair.client.get(), pair.server.get()},
                   [&] { return pair.client->get_ready_state() == WebSocketPeer::STATE_CLOSED; });
  ASSERT_EQ(pair.client->connect_to_url(pair.listener->url()), OK);
  EXPECT_EQ(pair.client->get_round_trip_time(), -1.0) << "a figure of the last connection";
}

}  // namespace
}  // namespace wsp
