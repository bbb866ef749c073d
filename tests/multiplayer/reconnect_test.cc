// Coming back after a dropped connection (set_reconnect_grace()) over real sockets: the same
// peer in the same room with what was sent to it meanwhile and without a word to the others; a
// place that runs out, overflows or never existed; and clients that did not ask (Godot's).
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "tests/multiplayer/party.h"
#include "tests/native/raw_peer.h"
#include "tests/native/test_util.h"
#include "wspeer/multiplayer/resume.h"

namespace wsp {
namespace {

using Clock = std::chrono::steady_clock;
using Event = MultiplayerSession::Event;
std::vector<uint8_t> bytes(const char* text) {
  return std::vector<uint8_t>(text, text + std::strlen(text));
}
using test::Endpoint;
using test::Party;
using Packets = std::vector<std::pair<int, std::string>>;

// Cuts a client's connection as a network would: no close frame; it sees an unclean close.
void drop(Endpoint& client) {
  client.transport->get_peer(MultiplayerPeer::TARGET_PEER_SERVER)->close(-1);
  client.poll();
  ASSERT_TRUE(client.transport->is_reconnecting());
}

struct Room {
  Party party;
  Endpoint* a = nullptr;
  Endpoint* b = nullptr;
  int ida = 0, idb = 0;

  explicit Room(double server_grace, double a_grace = 10) {
    party.server.transport->set_reconnect_grace(server_grace);
    party.clients.push_back(std::make_unique<Endpoint>());
    a = party.clients.back().get();
    a->transport->set_reconnect_grace(a_grace);
    EXPECT_EQ(a->transport->create_client(party.url("/rooms/r")), OK);
    a->session.set_multiplayer_peer(a->transport);
    b = &party.join("/rooms/r");
    EXPECT_TRUE(party.run_until([&] {
      return a->peers_of(Event::PEER_CONNECTED).size() == 2 &&
             b->peers_of(Event::PEER_CONNECTED).size() == 2;
    }));
    ida = a->session.get_unique_id();
    idb = b->session.get_unique_id();
  }
  // Polls the server and b only, so that a cannot come back yet.
  bool run_without_a_until(const std::function<bool()>& done, double seconds = 10) {
    const auto until = Clock::now() + std::chrono::milliseconds(static_cast<int>(seconds * 1000));
    while (Clock::now() < until && !done()) {
      party.server.poll();
      b->poll();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return done();
  }
};

TEST(Reconnect, ADroppedClientComesBackAsTheSamePeerWithWhatWasSentMeanwhile) {
  Room room(10);
  Endpoint& a = *room.a;
  Endpoint& b = *room.b;
  ASSERT_EQ(b.session.send_bytes(bytes("before")), OK);
  ASSERT_TRUE(room.party.run_until([&] { return a.packets().size() == 1; }));

  drop(a);
  ASSERT_TRUE(room.run_without_a_until([&] {
    return room.party.server.transport->get_peer(room.ida) == nullptr;
  })) << "the server sees the drop";
  // Meanwhile: b sends to a (held by the server), a sends (held by a's client).
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(b.session.send_bytes(bytes(("gap " + std::to_string(i)).c_str()), room.ida), OK);
  }
  ASSERT_EQ(b.session.send_bytes(bytes("to all")), OK);
  ASSERT_EQ(a.session.send_bytes(bytes("from a while away")), OK);
  EXPECT_EQ(a.transport->get_connection_status(), MultiplayerPeer::CONNECTION_CONNECTED);
  room.run_without_a_until([] { return false; }, 0.1);

  ASSERT_TRUE(room.party.run_until([&] {
    return a.packets().size() == 7 && b.packets().size() == 1 && !a.transport->is_reconnecting();
  })) << a.packets().size();
  EXPECT_EQ(a.session.get_unique_id(), room.ida);
  EXPECT_EQ(a.packets(), (Packets{{room.idb, "before"},
                                  {room.idb, "gap 0"},
                                  {room.idb, "gap 1"},
                                  {room.idb, "gap 2"},
                                  {room.idb, "gap 3"},
                                  {room.idb, "gap 4"},
                                  {room.idb, "to all"}}));
  EXPECT_EQ(b.packets(), (Packets{{room.ida, "from a while away"}}));
  EXPECT_EQ(room.party.server.transport->get_peer_room(room.ida), "r");
  // Nobody heard of a leave or a join.
  EXPECT_TRUE(room.party.server.peers_of(Event::PEER_DISCONNECTED).empty());
  EXPECT_EQ(room.party.server.peers_of(Event::PEER_CONNECTED).size(), 2u);
  EXPECT_TRUE(b.peers_of(Event::PEER_DISCONNECTED).empty());
  EXPECT_EQ(b.peers_of(Event::PEER_CONNECTED).size(), 2u);
  EXPECT_TRUE(a.peers_of(Event::SERVER_DISCONNECTED).empty());
  EXPECT_EQ(a.peers_of(Event::PEER_CONNECTED).size(), 2u);

  // And it can come back again, with the new token it was given.
  drop(a);
  ASSERT_TRUE(room.party.run_until([&] { return !a.transport->is_reconnecting(); }));
  ASSERT_EQ(b.session.send_bytes(bytes("again"), room.ida), OK);
  ASSERT_TRUE(room.party.run_until([&] { return a.packets().size() == 8; }));
  EXPECT_TRUE(b.peers_of(Event::PEER_DISCONNECTED).empty());
}

TEST(Reconnect, APlaceNobodyComesBackToRunsOutAndTheOthersSeeTheLeave) {
  Room room(0.5);
  drop(*room.a);
  const auto dropped = Clock::now();
  ASSERT_TRUE(room.run_without_a_until(
      [&] { return room.b->peers_of(Event::PEER_DISCONNECTED).size() == 1; }));
  const double waited = std::chrono::duration<double>(Clock::now() - dropped).count();
  EXPECT_GE(waited, 0.45) << "the place was kept for the grace";
  EXPECT_LT(waited, 5.0);
  EXPECT_EQ(room.b->peers_of(Event::PEER_DISCONNECTED), (std::vector<int>{room.ida}));
  EXPECT_EQ(room.party.server.peers_of(Event::PEER_DISCONNECTED), (std::vector<int>{room.ida}));
  // Returning now is refused at once (the place is gone), not after the client's own grace.
  const auto back = Clock::now();
  ASSERT_TRUE(room.party.run_until([&] {
    return room.a->transport->get_connection_status() == MultiplayerPeer::CONNECTION_DISCONNECTED;
  }));
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - back).count(), 5.0);
  EXPECT_EQ(room.a->peers_of(Event::SERVER_DISCONNECTED), (std::vector<int>{1}));
}

TEST(Reconnect, WhatDoesNotFitWhileAwayEndsThePlace) {
  Room room(10);
  drop(*room.a);
  ASSERT_TRUE(room.run_without_a_until(
      [&] { return room.party.server.transport->get_peer(room.ida) == nullptr; }));
  // 70 packets of 1000 bytes pass the place's 65535 bytes (outbound_buffer_size when it dropped).
  for (int i = 0; i < 70; ++i) {
    ASSERT_EQ(room.b->session.send_bytes(std::vector<uint8_t>(1000, 'x'), room.ida), OK);
  }
  ASSERT_TRUE(room.run_without_a_until(
      [&] { return room.b->peers_of(Event::PEER_DISCONNECTED).size() == 1; }));
  EXPECT_EQ(room.party.server.transport->get_slow_peers_disconnected(), 1u);
  ASSERT_TRUE(room.party.run_until([&] {
    return room.a->transport->get_connection_status() == MultiplayerPeer::CONNECTION_DISCONNECTED;
  }));
}

TEST(Reconnect, ClientsThatDidNotAskLeaveAtOnceAsInGodot) {
  Room room(10, /*a_grace=*/0);
  room.a->transport->get_peer(MultiplayerPeer::TARGET_PEER_SERVER)->close(-1);
  const auto dropped = Clock::now();
  ASSERT_TRUE(room.party.run_until([&] {
    return room.b->peers_of(Event::PEER_DISCONNECTED).size() == 1 &&
           room.a->transport->get_connection_status() == MultiplayerPeer::CONNECTION_DISCONNECTED;
  }));
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - dropped).count(), 2.0);
  EXPECT_FALSE(room.a->transport->is_reconnecting());
}

TEST(Reconnect, AClientClosingOnPurposeLeavesAtOnce) {
  Room room(10);
  room.a->transport->close();
  ASSERT_TRUE(room.party.run_until(
      [&] { return room.b->peers_of(Event::PEER_DISCONNECTED).size() == 1; }, 2.0));
}

// The welcome a client that offers to come back gets, and what a made-up token gets: a place
// can be taken only with its secret.
TEST(Reconnect, OnlyTheTokenGivesAPlaceBack) {
  Party party;
  party.server.transport->set_reconnect_grace(10);
  const auto open_raw = [&](const std::string& protocols, test::RawSocket* raw) {
    ASSERT_TRUE(raw->connect("127.0.0.1", party.port()));
    ASSERT_TRUE(
        raw->send_all(test::upgrade_request("/", "Sec-WebSocket-Protocol: " + protocols + "\r\n")));
  };
  const auto first_frame = [&](test::RawSocket& raw) {
    std::string wire;
    std::vector<test::DecodedFrame> frames;
    party.run_until([&] {
      wire += raw.read_n(1, 0.001);
      const size_t end = wire.find("\r\n\r\n");
      if (end == std::string::npos) return false;
      frames = test::decode_frames(wire.substr(end + 4));
      return !frames.empty();
    });
    return frames.empty() ? test::DecodedFrame{} : frames[0];
  };
  test::RawSocket offered;
  open_raw("wspeer.resume", &offered);
  const test::DecodedFrame welcome = first_frame(offered);
  EXPECT_EQ(welcome.payload.size(), 4 + resume::kTokenSize) << "id and token";

  test::RawSocket forger;
  open_raw(resume::return_offer(resume::make_token()), &forger);
  const test::DecodedFrame answer = first_frame(forger);
  EXPECT_EQ(answer.opcode, 8) << "closed";
  ASSERT_GE(answer.payload.size(), 2u);
  EXPECT_EQ(
      (static_cast<uint8_t>(answer.payload[0]) << 8) | static_cast<uint8_t>(answer.payload[1]),
      resume::kPlaceGoneCode);
  party.run_for(0.1);
  EXPECT_EQ(party.server.peers_of(Event::PEER_CONNECTED).size(), 1u) << "no place for a forger";
}

}  // namespace
}  // namespace wsp
