// WebSocketMultiplayerPeer and MultiplayerSession over real sockets on loopback: ids, rooms from
// the request path, the join policy, refusing new connections, leaving and being disconnected,
// and many clients in many rooms with every packet delivered exactly once to exactly the right
// peers, in order per sender.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/multiplayer/party.h"
#include "tests/native/raw_peer.h"
#include "tests/native/test_util.h"
#include "wspeer/core/http.h"
#include "wspeer/multiplayer/multiplayer_session.h"
#include "wspeer/multiplayer/session_packet.h"
#include "wspeer/multiplayer/websocket_multiplayer_peer.h"

namespace wsp {
namespace {

using Clock = std::chrono::steady_clock;
using Event = MultiplayerSession::Event;
using test::Endpoint;
using test::Party;

std::vector<uint8_t> bytes(const std::string& text) {
  return std::vector<uint8_t>(text.begin(), text.end());
}

TEST(WebSocketMultiplayer, ClientsGetUniqueIdsAndMeetThroughTheServer) {
  Party party;
  Endpoint& a = party.join();
  Endpoint& b = party.join();
  ASSERT_TRUE(party.run_until([&] {
    return a.peers_of(Event::PEER_CONNECTED).size() == 2 &&
           b.peers_of(Event::PEER_CONNECTED).size() == 2;
  })) << a.transport->get_connection_status();
  const int ida = a.session.get_unique_id(), idb = b.session.get_unique_id();
  EXPECT_GE(ida, 2);
  EXPECT_GE(idb, 2);
  EXPECT_NE(ida, idb);
  EXPECT_EQ(party.server.peers_of(Event::PEER_CONNECTED).size(), 2u);
  EXPECT_EQ(a.peers_of(Event::CONNECTED_TO_SERVER), (std::vector<int>{1}));
  EXPECT_EQ(party.server.transport->get_peer_address(ida), "127.0.0.1");
  EXPECT_GT(party.server.transport->get_peer_port(ida), 0);

  ASSERT_EQ(a.session.send_bytes(bytes("hello all")), OK);
  ASSERT_EQ(b.session.send_bytes(bytes("to a"), ida), OK);
  ASSERT_EQ(party.server.session.send_bytes(bytes("from server"), idb), OK);
  ASSERT_TRUE(party.run_until([&] {
    return b.packets().size() == 2 && a.packets().size() == 1 && party.server.packets().size() == 1;
  }));
  EXPECT_EQ(a.packets(), (std::vector<std::pair<int, std::string>>{{idb, "to a"}}));
  EXPECT_EQ(party.server.packets(), (std::vector<std::pair<int, std::string>>{{ida, "hello all"}}));
  // Order holds per sender: the server's packet may overtake the one it relays.
  const auto b_got = b.packets();
  EXPECT_EQ(b_got.size(), 2u);
  EXPECT_NE(std::find(b_got.begin(), b_got.end(), std::make_pair(ida, std::string("hello all"))),
            b_got.end());
  EXPECT_NE(std::find(b_got.begin(), b_got.end(), std::make_pair(1, std::string("from server"))),
            b_got.end());

  a.transport->close();
  ASSERT_TRUE(party.run_until([&] {
    return party.server.peers_of(Event::PEER_DISCONNECTED).size() == 1 &&
           b.peers_of(Event::PEER_DISCONNECTED).size() == 1;
  }));
  EXPECT_EQ(b.peers_of(Event::PEER_DISCONNECTED), (std::vector<int>{ida}));
}

// The id is the server's first message: 4 bytes, little-endian; packets then travel as they are.
TEST(WebSocketMultiplayer, TheIdIsTheFirstMessageAndPacketsAreBinaryMessages) {
  Party party;
  test::RawSocket raw;
  ASSERT_TRUE(raw.connect("127.0.0.1", party.port()));
  ASSERT_TRUE(raw.send_all(test::upgrade_request("/")));
  std::string head;
  ASSERT_TRUE(party.run_until([&] {
    head += raw.read_n(1, 0.001);
    return head.find("\r\n\r\n") != std::string::npos;
  }));
  EXPECT_EQ(head.rfind("HTTP/1.1 101", 0), 0u) << head;
  std::string wire;
  std::vector<test::DecodedFrame> frames;
  ASSERT_TRUE(party.run_until([&] {
    wire += raw.read_n(64, 0.001);
    frames = test::decode_frames(wire);
    return !frames.empty();
  }));
  EXPECT_EQ(frames[0].opcode, 2) << "binary";
  ASSERT_EQ(frames[0].payload.size(), 4u);
  const int id = session::read_int32(reinterpret_cast<const uint8_t*>(frames[0].payload.data()));
  EXPECT_GE(id, 2);
  ASSERT_TRUE(party.run_until(
      [&] { return party.server.peers_of(Event::PEER_CONNECTED) == std::vector<int>{id}; }));
  // A RAW packet from the raw client reaches the server's session as that client's.
  ASSERT_TRUE(raw.send_all(test::client_frame(2, std::string("\x03raw bytes"))));
  ASSERT_TRUE(party.run_until([&] { return !party.server.packets().empty(); }));
  EXPECT_EQ(party.server.packets(), (std::vector<std::pair<int, std::string>>{{id, "raw bytes"}}));
}

TEST(WebSocketMultiplayer, AClientRefusesAServerThatSendsNoValidId) {
  for (const std::string& first : {std::string("\x01\x00\x00\x00"), std::string("abc")}) {
    test::LoopbackServer listener;
    Endpoint client;
    ASSERT_EQ(client.transport->create_client(listener.url()), OK);
    client.session.set_multiplayer_peer(client.transport);
    test::RawSocket server = test::accept_raw(listener.server(), nullptr);
    for (int i = 0; i < 20; ++i) client.poll();
    ASSERT_TRUE(test::answer_upgrade(server));
    ASSERT_TRUE(server.send_all(test::server_frame(2, first)));
    const auto until = Clock::now() + std::chrono::seconds(5);
    while (Clock::now() < until &&
           client.transport->get_connection_status() != MultiplayerPeer::CONNECTION_DISCONNECTED) {
      client.poll();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    EXPECT_EQ(client.transport->get_connection_status(), MultiplayerPeer::CONNECTION_DISCONNECTED);
    EXPECT_EQ(client.peers_of(Event::CONNECTION_FAILED), (std::vector<int>{1}));
  }
}

TEST(WebSocketMultiplayer, RoomsComeFromThePathAndStaySeparate) {
  Party party;
  Endpoint& red1 = party.join("/rooms/red");
  Endpoint& red2 = party.join("/rooms/red?token=x");
  Endpoint& blue = party.join("/rooms/blue");
  Endpoint& bad = party.join("/rooms/no*stars");  // refused with 400
  ASSERT_TRUE(party.run_until([&] {
    return party.server.peers_of(Event::PEER_CONNECTED).size() == 3 &&
           bad.transport->get_connection_status() == MultiplayerPeer::CONNECTION_DISCONNECTED;
  }));
  EXPECT_EQ(bad.transport->get_peer(1), nullptr);
  EXPECT_EQ(party.server.session.get_rooms(), (std::vector<std::string>{"blue", "red"}));
  const int id1 = red1.session.get_unique_id();
  EXPECT_EQ(party.server.transport->get_peer_room(id1), "red");
  ASSERT_TRUE(party.run_until([&] { return red1.peers_of(Event::PEER_CONNECTED).size() == 2; }));
  party.run_for(0.1);
  EXPECT_EQ(blue.peers_of(Event::PEER_CONNECTED), (std::vector<int>{1})) << "alone in blue";
  ASSERT_EQ(red1.session.send_bytes(bytes("red only")), OK);
  ASSERT_TRUE(party.run_until([&] { return red2.packets().size() == 1; }));
  party.run_for(0.1);
  EXPECT_TRUE(blue.packets().empty());
}

TEST(WebSocketMultiplayer, TheJoinPolicyDecidesBeforeThe101) {
  Party party;
  party.server.transport->set_join_policy([](const WebSocketPeer& request) {
    WebSocketMultiplayerPeer::JoinDecision decision;
    const auto token = find_header(request.get_request_headers(), "X-Token");
    decision.accept = token && *token == "let-me-in";
    decision.room = "vip";
    decision.status = 401;
    decision.reason = "A token is needed.";
    return decision;
  });
  Endpoint& refused = party.join("/");
  party.clients.push_back(std::make_unique<Endpoint>());
  Endpoint& admitted = *party.clients.back();
  ASSERT_EQ(admitted.transport->set_handshake_headers({"X-Token: let-me-in"}), OK);
  ASSERT_EQ(admitted.transport->create_client(party.url("/")), OK);
  admitted.session.set_multiplayer_peer(admitted.transport);
  ASSERT_TRUE(party.run_until([&] {
    return admitted.session.get_unique_id() > 1 &&
           refused.transport->get_connection_status() == MultiplayerPeer::CONNECTION_DISCONNECTED;
  }));
  EXPECT_EQ(party.server.session.get_room_peers("vip"),
            (std::vector<int>{admitted.session.get_unique_id()}));

  party.server.transport->set_refuse_new_connections(true);
  Endpoint& late = party.join("/");
  ASSERT_TRUE(party.run_until([&] {
    return late.transport->get_connection_status() == MultiplayerPeer::CONNECTION_DISCONNECTED;
  }));
  EXPECT_EQ(party.server.peers_of(Event::PEER_CONNECTED).size(), 1u);
}

TEST(WebSocketMultiplayer, ADisconnectedPeerLeavesEverywhere) {
  Party party;
  Endpoint& a = party.join();
  Endpoint& b = party.join();
  ASSERT_TRUE(party.run_until([&] { return b.peers_of(Event::PEER_CONNECTED).size() == 2; }));
  const int ida = a.session.get_unique_id();
  party.server.session.disconnect_peer(ida);
  ASSERT_TRUE(party.run_until([&] {
    return a.peers_of(Event::SERVER_DISCONNECTED).size() == 1 &&
           b.peers_of(Event::PEER_DISCONNECTED).size() == 1;
  }));
  EXPECT_TRUE(party.server.peers_of(Event::PEER_DISCONNECTED).empty());
  EXPECT_EQ(party.server.session.get_peer_ids(), (std::vector<int>{b.session.get_unique_id()}));
}

// A client's connection breaks in the middle of a packet: it leaves, the others hear of it,
// nothing half-received is delivered.
TEST(WebSocketMultiplayer, AClientThatDropsMidPacketLeaves) {
  Party party;
  Endpoint& watcher = party.join();
  test::RawSocket raw;
  ASSERT_TRUE(raw.connect("127.0.0.1", party.port()));
  ASSERT_TRUE(raw.send_all(test::upgrade_request("/")));
  ASSERT_TRUE(party.run_until([&] { return watcher.peers_of(Event::PEER_CONNECTED).size() == 2; }));
  const std::string frame = test::client_frame(2, "\x03" + std::string(1000, 'x'));
  ASSERT_TRUE(raw.send_all(frame.substr(0, 500)));
  party.run_for(0.05);
  raw.reset();
  ASSERT_TRUE(
      party.run_until([&] { return watcher.peers_of(Event::PEER_DISCONNECTED).size() == 1; }));
  EXPECT_TRUE(party.server.packets().empty());
  EXPECT_TRUE(watcher.packets().empty());
}

// 200 clients in 10 rooms, each sending with every kind of target, and the server too: every
// packet reaches exactly the peers it should, once, and in the order its sender sent it.
TEST(WebSocketMultiplayer, TwoHundredClientsInTenRoomsGetExactlyTheirPackets) {
  constexpr int kRooms = 10, kPerRoom = 20;
  Party party;
  std::vector<std::string> room_of;
  for (int room = 0; room < kRooms; ++room) {
    for (int i = 0; i < kPerRoom; ++i) {
      party.join("/rooms/r" + std::to_string(room));
      room_of.push_back("r" + std::to_string(room));
    }
  }
  ASSERT_TRUE(party.run_until(
      [&] {
        for (auto& client : party.clients) {
          if (client->peers_of(Event::PEER_CONNECTED).size() != kPerRoom) return false;
        }
        return true;
      },
      60))
      << "every client sees the server and its 19 room mates";
  std::map<int, int> index_of;  // id -> client index
  for (size_t i = 0; i < party.clients.size(); ++i) {
    index_of[party.clients[i]->session.get_unique_id()] = static_cast<int>(i);
  }
  ASSERT_EQ(index_of.size(), party.clients.size()) << "ids are unique";
  const auto members = [&](const std::string& room) {
    std::vector<int> ids;
    for (const auto& [id, index] : index_of) {
      if (room_of[index] == room) ids.push_back(id);
    }
    return ids;
  };

  // Who must receive what: receiver -> the payloads, in the order each sender sent them.
  std::map<int, std::vector<std::string>> expected;
  const auto send = [&](int from, int target, int seq) {
    const std::string payload =
        std::to_string(from) + ":" + std::to_string(seq) + ":" + std::to_string(target);
    MultiplayerSession& session =
        from == 1 ? party.server.session : party.clients[index_of.at(from)]->session;
    ASSERT_EQ(session.send_bytes(bytes(payload), target), OK) << payload;
    std::vector<int> receivers;
    if (from == 1) {
      for (const auto& [id, index] : index_of) {
        if (target == 0 || (target < 0 && id != -target) || id == target) receivers.push_back(id);
      }
    } else if (target == 1) {
      receivers = {1};
    } else {
      for (int id : members(room_of[index_of.at(from)])) {
        if (id == from) continue;
        if (target == 0 || id == target || (target < 0 && id != -target)) receivers.push_back(id);
      }
      if (target == 0 || (target < 0 && target != -1)) receivers.push_back(1);
    }
    for (int receiver : receivers) expected[receiver].push_back(payload);
  };
  for (size_t i = 0; i < party.clients.size(); ++i) {
    const int me = party.clients[i]->session.get_unique_id();
    const std::vector<int> mates = members(room_of[i]);
    const int mate =
        mates[(std::find(mates.begin(), mates.end(), me) - mates.begin() + 1) % mates.size()];
    const int targets[] = {0, mate, -mate, -1, 1};
    for (int seq = 0; seq < 5; ++seq) send(me, targets[seq], seq);
  }
  const int some = party.clients[3]->session.get_unique_id();
  send(1, 0, 0);
  send(1, -some, 1);
  send(1, some, 2);

  size_t total = 0;
  for (const auto& [receiver, payloads] : expected) total += payloads.size();
  const auto received = [&] {
    size_t count = party.server.packet_count();
    for (auto& client : party.clients) count += client->packet_count();
    return count;
  };
  ASSERT_TRUE(party.run_until([&] { return received() >= total; }, 60))
      << received() << " of " << total;
  party.run_for(0.2);  // nothing more may come
  EXPECT_EQ(received(), total);
  const auto check = [&](int receiver, const Endpoint& endpoint) {
    std::map<int, std::vector<std::string>> got_by_sender, want_by_sender;
    for (const auto& [from, payload] : endpoint.packets()) {
      EXPECT_EQ(payload.substr(0, payload.find(':')), std::to_string(from))
          << "the source is the sender";
      got_by_sender[from].push_back(payload);
    }
    for (const std::string& payload : expected[receiver]) {
      want_by_sender[std::stoi(payload.substr(0, payload.find(':')))].push_back(payload);
    }
    EXPECT_EQ(got_by_sender, want_by_sender) << "receiver " << receiver;
  };
  check(1, party.server);
  for (const auto& [id, index] : index_of) check(id, *party.clients[index]);
}

// A member that reads nothing while another floods the room: the others get everything, the
// server holds no more than the slow one's outbound limit for it, and then lets it go (or drops
// its packets, if told to).
class SlowMember : public testing::TestWithParam<WebSocketMultiplayerPeer::SlowPeerPolicy> {};

TEST_P(SlowMember, NeverStallsOrGrowsMemoryForTheOthers) {
  Party party;
  party.server.transport->set_slow_peer_policy(GetParam());
  Endpoint& flooder = party.join("/rooms/busy");
  Endpoint& reader = party.join("/rooms/busy");
  test::RawSocket slow;  // joins, then never reads a byte
  ASSERT_TRUE(slow.connect("127.0.0.1", party.port()));
  ASSERT_TRUE(slow.send_all(test::upgrade_request("/rooms/busy")));
  ASSERT_TRUE(party.run_until([&] { return reader.peers_of(Event::PEER_CONNECTED).size() == 3; }));
  int slow_id = 0;
  for (int id : party.server.session.get_room_peers("busy")) {
    if (id != flooder.session.get_unique_id() && id != reader.session.get_unique_id()) slow_id = id;
  }
  ASSERT_NE(slow_id, 0);
  constexpr int kPackets = 3000;
  const std::string filler(8 * 1024, 'f');  // 24 MB: more than the kernel buffers hold
  int sent = 0;
  const auto reader_count = [&] { return static_cast<int>(reader.packet_count()); };
  ASSERT_TRUE(party.run_until(
      [&] {
        // As fast as the flooder's own limits let it (its sends fail while its queue is full).
        while (sent < kPackets &&
               flooder.session.send_bytes(bytes(std::to_string(sent) + filler)) == OK) {
          ++sent;
        }
        const WebSocketPeer* held = party.server.transport->get_peer(slow_id);
        if (held) {
          EXPECT_LE(held->get_current_outbound_buffered_amount(),
                    party.server.transport->get_outbound_buffer_size() + 2048)
              << "the server holds no more than the limit for the slow peer";
        }
        return sent == kPackets && reader_count() == kPackets;
      },
      60))
      << sent << " sent, " << reader_count() << " read";
  if (GetParam() == WebSocketMultiplayerPeer::SLOW_PEER_DISCONNECT) {
    ASSERT_TRUE(
        party.run_until([&] { return reader.peers_of(Event::PEER_DISCONNECTED).size() == 1; }));
    EXPECT_EQ(reader.peers_of(Event::PEER_DISCONNECTED), (std::vector<int>{slow_id}));
    EXPECT_EQ(party.server.transport->get_slow_peers_disconnected(), 1u);
  } else {
    EXPECT_GT(party.server.transport->get_dropped_packets(), 0u);
    EXPECT_EQ(party.server.session.get_room_peers("busy").size(), 3u) << "still a member";
  }
  // Everything the reader got is in order.
  const auto got = reader.packets();
  for (int i = 0; i < kPackets; ++i) {
    ASSERT_EQ(got[i].second.substr(0, std::to_string(i).size()), std::to_string(i));
  }
}

INSTANTIATE_TEST_SUITE_P(Policies, SlowMember,
                         testing::Values(WebSocketMultiplayerPeer::SLOW_PEER_DISCONNECT,
                                         WebSocketMultiplayerPeer::SLOW_PEER_DROP),
                         [](const auto& info) {
                           return info.param == WebSocketMultiplayerPeer::SLOW_PEER_DROP
                                      ? "Drop"
                                      : "Disconnect";
                         });

}  // namespace
}  // namespace wsp
