// Hostile clients against a multiplayer server over real sockets: one that asks for broadcasts as
// fast as it can without reading, one that floods the authentication step, one that sends a
// packet far over the limit. Each is bounded by its own limits (the server's heap stays within
// what the limits allow), and the others keep being served meanwhile.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "tests/multiplayer/party.h"
#include "tests/native/heap_usage.h"
#include "tests/native/raw_peer.h"
#include "tests/native/test_util.h"
#include "wspeer/multiplayer/session_packet.h"

namespace wsp {
namespace {

using Clock = std::chrono::steady_clock;
using Event = MultiplayerSession::Event;
using test::Endpoint;
using test::HeapUsage;
using test::Party;

std::vector<uint8_t> text_bytes(const std::string& text) {
  return std::vector<uint8_t>(text.begin(), text.end());
}

// Joins `path` as a raw client that never reads unless told to; returns its first frame (the
// welcome) through `welcome`.
bool join_raw(Party& party, const std::string& path, test::RawSocket* raw) {
  if (!raw->connect("127.0.0.1", party.port())) return false;
  if (!raw->send_all(test::upgrade_request(path))) return false;
  std::string wire;
  return party.run_until([&] {
    wire += raw->read_n(1, 0.001);
    const size_t end = wire.find("\r\n\r\n");
    return end != std::string::npos && !test::decode_frames(wire.substr(end + 4)).empty();
  });
}

// Counts packets and forgets them, so that the test's own record does not grow with the flood.
size_t take_packets(Endpoint& endpoint) {
  const size_t count = endpoint.packet_count();
  endpoint.events.clear();
  return count;
}

TEST(Hostile, RelayAmplificationIsBoundedByTheSendersOwnLimits) {
  constexpr int kMembers = 20;
  Party party;
  std::vector<Endpoint*> members;
  for (int i = 0; i < kMembers; ++i) members.push_back(&party.join("/rooms/amp"));
  Endpoint& ping = party.join("/rooms/quiet");
  Endpoint& pong = party.join("/rooms/quiet");
  // Members that read nothing: what the server holds for them is bounded by their outbound
  // limits, and they stay (SLOW_PEER_DROP), so the flood keeps reaching them.
  party.server.transport->set_slow_peer_policy(WebSocketMultiplayerPeer::SLOW_PEER_DROP);
  std::vector<test::RawSocket> sleepers(5);
  for (test::RawSocket& sleeper : sleepers) ASSERT_TRUE(join_raw(party, "/rooms/amp", &sleeper));
  test::RawSocket flooder;
  ASSERT_TRUE(join_raw(party, "/rooms/amp", &flooder));
  ASSERT_TRUE(party.run_until([&] {
    return pong.peers_of(Event::PEER_CONNECTED).size() == 2 &&
           party.server.session.get_room_peers("amp").size() == kMembers + 6;
  }));
  // A broadcast relay of 1000 bytes, again and again, as fast as the socket takes it.
  std::vector<uint8_t> inner(1, static_cast<uint8_t>(session::Command::kRaw));
  inner.resize(1000, 'a');
  std::vector<uint8_t> relay;
  session::append_sys(&relay, session::SysCommand::kRelay, 0, inner);
  const std::string frame = test::client_frame(2, std::string(relay.begin(), relay.end()));
  std::string stream;
  for (int i = 0; i < 64; ++i) stream += frame;

  const size_t before = HeapUsage::current();
  size_t peak = before, delivered = 0, sent = 0, round_trips = 0;
  double slowest_round_trip = 0;
  // At least 3 s, and until the flood is big enough (a slower machine, or ASan, sends less per
  // second): a speed is not what this test is about.
  const auto at_least = Clock::now() + std::chrono::seconds(3);
  const auto at_most = Clock::now() + std::chrono::seconds(20);
  Clock::time_point asked = Clock::now();
  ASSERT_EQ(ping.session.send_bytes(text_bytes("ping"), pong.session.get_unique_id()), OK);
  while (Clock::now() < at_least || (sent <= (12u << 20) && Clock::now() < at_most)) {
    size_t offset = 0;
    if (!flooder.send_available(stream, &offset)) break;
    sent += offset;
    party.poll_all();
    for (Endpoint* member : members) delivered += take_packets(*member);
    if (take_packets(pong) > 0) {  // the quiet room's round trip, during the flood
      ASSERT_EQ(pong.session.send_bytes(text_bytes("pong"), ping.session.get_unique_id()), OK);
    }
    if (take_packets(ping) > 0) {
      slowest_round_trip =
          std::max(slowest_round_trip, std::chrono::duration<double>(Clock::now() - asked).count());
      ++round_trips;
      asked = Clock::now();
      ASSERT_EQ(ping.session.send_bytes(text_bytes("ping"), pong.session.get_unique_id()), OK);
    }
    peak = std::max(peak, HeapUsage::current());
  }
  const size_t grown = peak - before;
  // Each connection may hold its limits (64 KiB each way) and its read buffer (at most 256 KiB):
  // 28 connections on both sides of loopback stay far below this; a server that held more than
  // the sleepers' limits for them, or read the flood without limit, would not (it sends tens of
  // MB a second).
  EXPECT_LT(grown, 24u << 20) << sent << " bytes sent by the flooder";
  EXPECT_GT(sent, 10u << 20) << "the flood must be a flood";
  EXPECT_GT(delivered, 1000u) << "the members still get the room's packets";
  EXPECT_GT(party.server.transport->get_dropped_packets(), 0u) << "the sleepers were full";
  EXPECT_GT(round_trips, 20u) << "the quiet room is still served";
  EXPECT_LT(slowest_round_trip, 1.0);
}

TEST(Hostile, AnAuthenticationFloodIsBoundedAndStillTimesOut) {
  Party party;
  size_t auth_calls = 0;
  party.server.session.set_auth_callback([&](int peer, std::span<const uint8_t> data) {
    ++auth_calls;
    if (std::string(data.begin(), data.end()) == "let me in") {
      party.server.session.complete_auth(peer);
    }
  });
  ASSERT_EQ(party.server.session.set_auth_timeout(1.0), OK);
  test::RawSocket flooder;
  ASSERT_TRUE(join_raw(party, "/", &flooder));
  std::vector<uint8_t> auth;
  session::append_auth(&auth, std::vector<uint8_t>(200, 'x'));
  const std::string frame = test::client_frame(2, std::string(auth.begin(), auth.end()));
  std::string stream;
  for (int i = 0; i < 64; ++i) stream += frame;

  Endpoint& honest = party.join("/");
  honest.session.set_auth_callback([](int, std::span<const uint8_t>) {});
  const size_t before = HeapUsage::current();
  size_t peak = before, sent = 0;
  bool answered = false;
  const auto start = Clock::now();
  while (Clock::now() - start < std::chrono::seconds(4) &&
         party.server.peers_of(Event::PEER_AUTHENTICATION_FAILED).empty()) {
    size_t offset = 0;
    if (!flooder.send_available(stream, &offset)) break;
    sent += offset;
    party.poll_all();
    if (!answered && !honest.peers_of(Event::PEER_AUTHENTICATING).empty()) {
      answered = true;
      ASSERT_EQ(honest.session.send_auth(1, text_bytes("let me in")), OK);
      ASSERT_EQ(honest.session.complete_auth(1), OK);
    }
    peak = std::max(peak, HeapUsage::current());
  }
  const double took = std::chrono::duration<double>(Clock::now() - start).count();
  EXPECT_EQ(party.server.peers_of(Event::PEER_AUTHENTICATION_FAILED).size(), 1u)
      << "the flooder is dropped when its time is up, however much it sends";
  EXPECT_LT(took, 3.0);
  EXPECT_GT(sent, 1u << 20);
  EXPECT_GT(auth_calls, 100u);
  EXPECT_LT(peak - before, 16u << 20);
  ASSERT_TRUE(party.run_until([&] {
    return honest.peers_of(Event::CONNECTED_TO_SERVER).size() == 1;
  })) << "an honest client joined meanwhile";
}

TEST(Hostile, APacketOverTheLimitClosesOnlyItsSender) {
  Party party;
  Endpoint& watcher = party.join("/");
  test::RawSocket giant;
  ASSERT_TRUE(join_raw(party, "/", &giant));
  ASSERT_TRUE(party.run_until([&] { return watcher.peers_of(Event::PEER_CONNECTED).size() == 2; }));
  const size_t before = HeapUsage::current();
  // 16 MiB announced, about 1 MiB sent: the server refuses it by its header (inbound 65535).
  std::string header = {'\x82', '\xFF', 0, 0, 0, 0, 1, 0, 0, 0, 1, 2, 3, 4};
  ASSERT_TRUE(giant.send_all(header));
  size_t sent = 0;
  const std::string body(1 << 20, 'g');
  party.run_until([&] {
    size_t offset = 0;
    giant.send_available(body, &offset);
    sent += offset;
    return watcher.peers_of(Event::PEER_DISCONNECTED).size() == 1;
  });
  EXPECT_EQ(watcher.peers_of(Event::PEER_DISCONNECTED).size(), 1u);
  EXPECT_LT(HeapUsage::current() - std::min(before, HeapUsage::current()), 2u << 20);
  bool eof = false;
  const std::string rest = giant.read_until_eof(5.0, &eof);
  EXPECT_TRUE(eof);
  EXPECT_NE(rest.find("\x88"), std::string::npos) << "a close frame (1009) before the end";
}

}  // namespace
}  // namespace wsp
