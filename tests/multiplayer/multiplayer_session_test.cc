// The session layer's rules in memory: admission and peer notifications, relaying with every
// kind of target, rooms, authentication, and what hostile or broken peers send.
#include "wspeer/multiplayer/multiplayer_session.h"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/multiplayer/memory_multiplayer.h"
#include "wspeer/multiplayer/session_packet.h"

namespace wsp {
namespace {

using Event = MultiplayerSession::Event;
using test::MemoryNetwork;

std::vector<uint8_t> bytes(const std::string& text) {
  return std::vector<uint8_t>(text.begin(), text.end());
}

// What one session saw, in a form easy to compare.
struct Seen {
  std::vector<int> connected, disconnected, authenticating, auth_failed;
  std::vector<std::pair<int, std::string>> packets;
  int connected_to_server = 0, server_disconnected = 0;
};

class Network {
 public:
  explicit Network(bool relay = true) : memory_(MemoryNetwork::create()) {
    server_.set_server_relay_enabled(relay);
    server_.set_multiplayer_peer(memory_->server());
    relay_ = relay;
  }
  MultiplayerSession& server() { return server_; }
  MultiplayerSession& client(int id) { return *clients_.at(id); }
  test::MemoryMultiplayerPeer& server_transport() { return *memory_->server(); }

  MultiplayerSession& add_client(int id, const std::string& room = "",
                                 MultiplayerSession::AuthCallback auth = {}) {
    auto session = std::make_unique<MultiplayerSession>();
    session->set_server_relay_enabled(relay_);
    session->set_auth_callback(std::move(auth));
    transports_[id] = memory_->client(id, room);
    session->set_multiplayer_peer(transports_[id]);
    clients_[id] = std::move(session);
    return *clients_[id];
  }
  test::MemoryMultiplayerPeer& transport(int id) { return *transports_.at(id); }
  void leave(int id) { transports_.at(id)->close(); }

  // Polls everyone a few times and sorts out what each one saw.
  void settle() {
    for (int round = 0; round < 4; ++round) {
      drain(server_, &seen_[1]);
      for (auto& [id, session] : clients_) drain(*session, &seen_[id]);
    }
  }
  Seen& seen(int id) { return seen_[id]; }
  void forget_seen() { seen_.clear(); }

 private:
  static void drain(MultiplayerSession& session, Seen* seen) {
    session.poll();
    Event event;
    while (session.take_event(&event)) {
      switch (event.type) {
        case Event::PEER_CONNECTED:
          seen->connected.push_back(event.peer);
          break;
        case Event::PEER_DISCONNECTED:
          seen->disconnected.push_back(event.peer);
          break;
        case Event::PEER_PACKET:
          seen->packets.push_back({event.peer, std::string(event.data.begin(), event.data.end())});
          break;
        case Event::PEER_AUTHENTICATING:
          seen->authenticating.push_back(event.peer);
          break;
        case Event::PEER_AUTHENTICATION_FAILED:
          seen->auth_failed.push_back(event.peer);
          break;
        case Event::CONNECTED_TO_SERVER:
          ++seen->connected_to_server;
          break;
        case Event::SERVER_DISCONNECTED:
          ++seen->server_disconnected;
          break;
        case Event::CONNECTION_FAILED:
        case Event::ROOM_MEMBER_JOINED:
        case Event::ROOM_MEMBER_LEFT:
          break;
      }
    }
  }

  std::shared_ptr<MemoryNetwork> memory_;
  bool relay_ = true;
  MultiplayerSession server_;
  std::map<int, std::unique_ptr<MultiplayerSession>> clients_;
  std::map<int, std::shared_ptr<test::MemoryMultiplayerPeer>> transports_;
  std::map<int, Seen> seen_;
};

using Packets = std::vector<std::pair<int, std::string>>;

TEST(MultiplayerSession, PeersAreAdmittedAndToldOfEachOther) {
  Network net;
  net.add_client(7);
  net.add_client(8);
  net.settle();
  EXPECT_EQ(net.seen(1).connected, (std::vector<int>{7, 8}));
  EXPECT_EQ(net.seen(7).connected, (std::vector<int>{1, 8}));
  EXPECT_EQ(net.seen(8).connected, (std::vector<int>{1, 7}));
  EXPECT_EQ(net.seen(7).connected_to_server, 1);
  EXPECT_EQ(net.client(8).get_peer_ids(), (std::vector<int>{1, 7}));
  EXPECT_EQ(net.client(8).get_unique_id(), 8);

  net.leave(7);
  net.settle();
  EXPECT_EQ(net.seen(1).disconnected, (std::vector<int>{7}));
  EXPECT_EQ(net.seen(8).disconnected, (std::vector<int>{7}));
  EXPECT_EQ(net.server().get_peer_ids(), (std::vector<int>{8}));
}

TEST(MultiplayerSession, EveryKindOfTargetReachesExactlyItsPeers) {
  Network net;
  for (int id : {7, 8, 9}) net.add_client(id);
  net.settle();
  net.forget_seen();
  const auto send = [&](int from, int to, const std::string& text) {
    MultiplayerSession& session = from == 1 ? net.server() : net.client(from);
    EXPECT_EQ(session.send_bytes(bytes(text), to), OK) << from << " to " << to;
  };
  send(7, 0, "all");           // everyone: the server and the other clients
  send(7, 8, "to 8");          // one client, through the server
  send(7, -8, "all but 8");    // everyone but 8 (the server too)
  send(7, -1, "all but srv");  // every client but not the server
  send(7, 1, "to server");     // straight to the server
  send(1, 0, "srv all");
  send(1, -9, "srv but 9");
  send(1, 9, "srv to 9");
  net.settle();
  // Order is kept per sender; the server's own packets may come before 7's relayed ones.
  const auto from = [&](int receiver, int sender) {
    Packets only;
    for (const auto& packet : net.seen(receiver).packets) {
      if (packet.first == sender) only.push_back(packet);
    }
    return only;
  };
  EXPECT_EQ(from(1, 7), (Packets{{7, "all"}, {7, "all but 8"}, {7, "to server"}}));
  EXPECT_EQ(from(8, 7), (Packets{{7, "all"}, {7, "to 8"}, {7, "all but srv"}}));
  EXPECT_EQ(from(9, 7), (Packets{{7, "all"}, {7, "all but 8"}, {7, "all but srv"}}));
  EXPECT_EQ(from(7, 1), (Packets{{1, "srv all"}, {1, "srv but 9"}}));
  EXPECT_EQ(from(8, 1), (Packets{{1, "srv all"}, {1, "srv but 9"}}));
  EXPECT_EQ(from(9, 1), (Packets{{1, "srv all"}, {1, "srv to 9"}}));
  EXPECT_TRUE(from(7, 7).empty()) << "nothing of its own comes back to the sender";
  EXPECT_EQ(net.seen(1).packets.size(), 3u);
  EXPECT_EQ(net.seen(7).packets.size(), 2u);
}

TEST(MultiplayerSession, WithoutRelayClientsReachOnlyTheServer) {
  Network net(/*relay=*/false);
  net.add_client(7);
  net.add_client(8);
  net.settle();
  EXPECT_EQ(net.seen(7).connected, (std::vector<int>{1})) << "not told of the other client";
  EXPECT_EQ(net.client(7).send_bytes(bytes("to 8"), 8), ERR_INVALID_PARAMETER);
  EXPECT_EQ(net.client(7).send_bytes(bytes("all"), 0), OK);
  // A RELAY packet made by hand is refused by the server.
  std::vector<uint8_t> inner, relay;
  session::append_raw(&inner, bytes("sneaky"));
  session::append_sys(&relay, session::SysCommand::kRelay, 8, inner);
  net.transport(7).set_target_peer(1);
  ASSERT_EQ(net.transport(7).put_packet(relay.data(), static_cast<int>(relay.size())), OK);
  net.settle();
  EXPECT_EQ(net.seen(1).packets, (Packets{{7, "all"}}));
  EXPECT_TRUE(net.seen(8).packets.empty());
  EXPECT_EQ(net.server().get_refusals().relay_refused, 1u);
}

TEST(MultiplayerSession, RoomsScopeRelayingAndNotifications) {
  Network net;
  net.add_client(7, "red");
  net.add_client(8, "red");
  net.add_client(9, "blue");
  net.settle();
  EXPECT_EQ(net.seen(7).connected, (std::vector<int>{1, 8}));
  EXPECT_EQ(net.seen(9).connected, (std::vector<int>{1})) << "alone in its room";
  EXPECT_EQ(net.server().get_rooms(), (std::vector<std::string>{"blue", "red"}));
  EXPECT_EQ(net.server().get_room_peers("red"), (std::vector<int>{7, 8}));

  net.forget_seen();
  ASSERT_EQ(net.client(7).send_bytes(bytes("red all"), 0), OK);
  ASSERT_EQ(net.client(7).send_bytes(bytes("to blue"), 9), OK);  // not its room
  ASSERT_EQ(net.server().send_bytes_to_room("blue", bytes("blue news")), OK);
  net.settle();
  EXPECT_EQ(net.seen(8).packets, (Packets{{7, "red all"}}));
  EXPECT_EQ(net.seen(9).packets, (Packets{{1, "blue news"}}));
  EXPECT_EQ(net.seen(1).packets, (Packets{{7, "red all"}}));
  EXPECT_EQ(net.server().get_refusals().relay_refused, 1u);

  net.leave(9);
  net.settle();
  EXPECT_EQ(net.server().get_rooms(), (std::vector<std::string>{"red"})) << "empty rooms go";
  EXPECT_TRUE(net.seen(7).disconnected.empty()) << "a leave in another room is not seen";
}

TEST(MultiplayerSession, TheServerWritesTheSourceClientsCannotSpeakForOthers) {
  Network net;
  net.add_client(7);
  net.add_client(8);
  net.settle();
  net.forget_seen();
  // 7 sends what only the server may send: ADD_PEER, DEL_PEER, and a RELAY claiming to be 8.
  for (auto command : {session::SysCommand::kAddPeer, session::SysCommand::kDelPeer}) {
    std::vector<uint8_t> packet;
    session::append_sys(&packet, command, 8);
    net.transport(7).put_packet(packet.data(), static_cast<int>(packet.size()));
  }
  std::vector<uint8_t> inner, nested, relay;
  session::append_raw(&inner, bytes("from 8, honest"));
  session::append_sys(&nested, session::SysCommand::kRelay, 8, inner);  // a relay inside a relay
  session::append_sys(&relay, session::SysCommand::kRelay, 0, nested);
  net.transport(7).put_packet(relay.data(), static_cast<int>(relay.size()));
  net.settle();
  EXPECT_TRUE(net.seen(8).disconnected.empty());
  EXPECT_TRUE(net.seen(8).packets.empty()) << "the nested relay is not taken as 8's";
  EXPECT_EQ(net.server().get_refusals().malformed, 3u) << "ADD, DEL, and the nested relay";
  EXPECT_EQ(net.client(8).get_refusals().malformed, 0u) << "the server does not pass it on";
}

TEST(MultiplayerSession, MalformedAndUnsupportedPacketsAreRefused) {
  Network net;
  net.add_client(7);
  net.add_client(8);
  net.settle();
  const std::vector<std::vector<uint8_t>> hostile = {
      {},                          // empty
      {3},                         // RAW without bytes
      {7},                         // SYS without a command
      {7, 3, 1, 0},                // RELAY with a short peer field
      {7, 3, 8, 0, 0, 0},          // RELAY with nothing inside
      {7, 9, 8, 0, 0, 0},          // an unknown SYS command
      {0, 1, 2, 3},                // an RPC
      {7, 3, 7, 0, 0, 0, 3, 'x'},  // a relay to itself
  };
  for (const auto& packet : hostile) {
    net.transport(7).put_packet(packet.data(), static_cast<int>(packet.size()));
  }
  net.settle();
  const MultiplayerSession::Refusals& refused = net.server().get_refusals();
  EXPECT_EQ(refused.malformed, 5u);
  EXPECT_EQ(refused.unsupported, 2u);
  EXPECT_EQ(refused.relay_refused, 1u);
  EXPECT_TRUE(net.seen(8).packets.empty());
  EXPECT_EQ(net.server().get_peer_ids(), (std::vector<int>{7, 8})) << "nobody thrown out";
}

// What only the server may send, relays that would loop, and relays that lead nowhere.
TEST(MultiplayerSession, ClientsCannotSpeakAsTheServerNorRelayIntoNowhere) {
  Network net;
  net.add_client(7, "a");
  net.add_client(8, "a");
  net.add_client(9, "b");
  net.settle();
  net.forget_seen();
  const std::vector<std::vector<uint8_t>> hostile = {
      {7, 1, 8, 0, 0, 0},                    // ADD_PEER from a client
      {7, 2, 8, 0, 0, 0},                    // DEL_PEER from a client
      {7, 3, 8, 0, 0, 0, 7, 3, 8, 0, 0, 0},  // a relay inside a relay
      {7, 3, 99, 0, 0, 0, 3, 'x'},           // a relay to nobody
      {7, 3, 9, 0, 0, 0, 3, 'x'},            // a relay into another room
      {4, 0, 0},                             // a spawn
  };
  for (const auto& packet : hostile) {
    net.transport(7).put_packet(packet.data(), static_cast<int>(packet.size()));
  }
  net.settle();
  const MultiplayerSession::Refusals& refused = net.server().get_refusals();
  EXPECT_EQ(refused.malformed, 3u);
  EXPECT_EQ(refused.relay_refused, 2u);
  EXPECT_EQ(refused.unsupported, 1u);
  EXPECT_TRUE(net.seen(8).packets.empty());
  EXPECT_TRUE(net.seen(9).packets.empty());
  EXPECT_TRUE(net.seen(8).disconnected.empty()) << "no forged leave reached anyone";
  EXPECT_TRUE(net.seen(8).connected.empty()) << "no forged join reached anyone";
}

// Both sides authenticate: the server asks for a password, the client answers, both complete.
TEST(MultiplayerSession, AuthenticationAdmitsOnlyWhenBothSidesComplete) {
  Network net;
  net.server().set_auth_callback([&](int peer, std::span<const uint8_t> data) {
    if (std::string(data.begin(), data.end()) == "secret") net.server().complete_auth(peer);
  });
  net.add_client(7, "", [&](int peer, std::span<const uint8_t> data) {
    EXPECT_EQ(peer, 1);
    EXPECT_EQ(std::string(data.begin(), data.end()), "password?");
    net.client(7).send_auth(1, bytes("secret"));
    net.client(7).complete_auth(1);
  });
  net.add_client(8);  // admitted at once? No: the server authenticates everyone
  net.settle();
  EXPECT_EQ(net.seen(1).authenticating, (std::vector<int>{7, 8}));
  EXPECT_TRUE(net.seen(1).connected.empty());
  // While authenticating, a peer is in no room and its other packets are refused.
  EXPECT_TRUE(net.server().get_peer_ids().empty());
  std::vector<uint8_t> raw;
  session::append_raw(&raw, bytes("early"));
  net.transport(8).put_packet(raw.data(), static_cast<int>(raw.size()));
  ASSERT_EQ(net.server().send_auth(7, bytes("password?")), OK);
  net.settle();
  EXPECT_EQ(net.seen(1).connected, (std::vector<int>{7}));
  EXPECT_EQ(net.seen(7).connected, (std::vector<int>{1}));
  EXPECT_TRUE(net.seen(1).packets.empty());
  EXPECT_EQ(net.server().get_refusals().unauthenticated, 1u);
  EXPECT_EQ(net.server().get_authenticating_peer_ids(), (std::vector<int>{8}));
  EXPECT_EQ(net.server().send_auth(7, bytes("late")), ERR_INVALID_PARAMETER) << "admitted";
}

TEST(MultiplayerSession, AuthenticationFailsOnTimeoutAndWhenThePeerLeaves) {
  Network net;
  net.server().set_auth_callback([](int, std::span<const uint8_t>) {});
  ASSERT_EQ(net.server().set_auth_timeout(0.05), OK);
  net.add_client(7);
  net.add_client(8);
  net.settle();
  net.leave(8);
  net.settle();
  EXPECT_EQ(net.seen(1).auth_failed, (std::vector<int>{8}));
  std::this_thread::sleep_for(std::chrono::milliseconds(80));
  net.settle();
  EXPECT_EQ(net.seen(1).auth_failed, (std::vector<int>{8, 7}));
  EXPECT_EQ(net.seen(7).server_disconnected, 1) << "the timed-out client was disconnected";
  EXPECT_TRUE(net.seen(1).disconnected.empty()) << "never admitted: no peer_disconnected";
  EXPECT_EQ(net.server().set_auth_timeout(-1), ERR_INVALID_PARAMETER);
}

TEST(MultiplayerSession, EmptyPacketsAndUnconnectedSessionsAreRefused) {
  MultiplayerSession alone;
  EXPECT_EQ(alone.send_bytes(bytes("x")), ERR_UNCONFIGURED);
  Network net;
  net.add_client(7);
  net.settle();
  EXPECT_EQ(net.client(7).send_bytes({}), ERR_INVALID_DATA);
  EXPECT_EQ(net.server().send_bytes(bytes("x"), 42), ERR_INVALID_PARAMETER) << "no peer 42";
}

TEST(MultiplayerSession, ADisconnectedPeerIsRemovedEverywhere) {
  Network net;
  net.add_client(7);
  net.add_client(8);
  net.settle();
  net.server().disconnect_peer(7);
  net.settle();
  EXPECT_TRUE(net.seen(1).disconnected.empty()) << "the application asked for it";
  EXPECT_EQ(net.seen(8).disconnected, (std::vector<int>{7}));
  EXPECT_EQ(net.seen(7).server_disconnected, 1);
  EXPECT_EQ(net.server().get_peer_ids(), (std::vector<int>{8}));
}

}  // namespace
}  // namespace wsp
