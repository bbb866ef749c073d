// Rooms across nodes, in memory: three server sessions, each with its own clients, joined by
// ClusterNodes over a MemoryBroker (Redis's semantics), with a clock the test moves. The same
// rules run over real Redis in redis_cluster_test.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "tests/multiplayer/memory_multiplayer.h"
#include "wspeer/cluster/bus_message.h"
#include "wspeer/cluster/cluster_node.h"
#include "wspeer/cluster/memory_broker.h"
#include "wspeer/multiplayer/multiplayer_session.h"

namespace wsp::cluster {
namespace {

using Event = MultiplayerSession::Event;
using Clock = ClusterNode::Clock;
using Packets = std::vector<std::pair<int, std::string>>;

Clock::time_point g_now = Clock::time_point(std::chrono::hours(1));
Clock::time_point fake_now() { return g_now; }

std::vector<uint8_t> bytes(const std::string& text) {
  return std::vector<uint8_t>(text.begin(), text.end());
}

struct Seen {
  std::vector<int> connected, disconnected;
  Packets packets;
  // Order is kept per sender; between senders on different nodes there is none.
  std::vector<std::string> from(int sender) const {
    std::vector<std::string> texts;
    for (const auto& [source, text] : packets) {
      if (source == sender) texts.push_back(text);
    }
    return texts;
  }
  std::vector<int> connected_sorted() const {
    std::vector<int> ids = connected;
    std::sort(ids.begin(), ids.end());
    return ids;
  }
};

// One server process: its transport in memory, its session, its cluster node.
struct Node {
  Node(const std::string& name, uint64_t uid)
      : memory(test::MemoryNetwork::create()),
        bus(ClusterNode::Options{name, std::chrono::milliseconds(5000)}, uid, fake_now) {
    server.set_room_bus(&bus);
    server.set_multiplayer_peer(memory->server());
  }
  std::shared_ptr<test::MemoryNetwork> memory;
  ClusterNode bus;
  MultiplayerSession server;
};

class Cluster {
 public:
  explicit Cluster(int nodes) : broker_(fake_now) {
    for (int i = 0; i < nodes; ++i) add_node("node-" + std::to_string(i), 100 + i);
  }
  Node& add_node(const std::string& name, uint64_t uid) {
    nodes_.push_back(std::make_unique<Node>(name, uid));
    broker_.attach(&nodes_.back()->bus);
    return *nodes_.back();
  }
  Node& node(int index) { return *nodes_.at(index); }
  MemoryBroker& broker() { return broker_; }
  MultiplayerSession& client(int id) { return *clients_.at(id); }
  Seen& seen(int id) { return seen_[id]; }
  Seen& server_seen(int node) { return server_seen_[node]; }

  void add_client(int node, int id, const std::string& room) {
    auto session = std::make_unique<MultiplayerSession>();
    transports_[id] = nodes_.at(node)->memory->client(id, room);
    session->set_multiplayer_peer(transports_[id]);
    clients_[id] = std::move(session);
  }
  void leave(int id) {
    transports_.at(id)->close();
    clients_.erase(id);
  }
  // A node dies: its process and connections are gone at once, nothing said to anyone.
  void kill(int node) {
    broker_.cut(&nodes_.at(node)->bus);
    dead_.insert(node);
  }
  // A node's process stalls (not polled: no heartbeat), its broker connection stays; and resumes.
  void stall(int node) { dead_.insert(node); }
  void resume(int node) { dead_.erase(node); }

  void settle() {
    for (int round = 0; round < 6; ++round) {
      for (size_t i = 0; i < nodes_.size(); ++i) {
        if (dead_.count(static_cast<int>(i)) == 0) {
          drain(nodes_[i]->server, &server_seen_[static_cast<int>(i)]);
        }
      }
      broker_.pump();
      for (auto& [id, session] : clients_) drain(*session, &seen_[id]);
    }
  }

 private:
  static void drain(MultiplayerSession& session, Seen* seen) {
    session.poll();
    Event event;
    while (session.take_event(&event)) {
      if (!seen) continue;
      if (event.type == Event::PEER_CONNECTED || event.type == Event::ROOM_MEMBER_JOINED) {
        seen->connected.push_back(event.peer);
      }
      if (event.type == Event::PEER_DISCONNECTED || event.type == Event::ROOM_MEMBER_LEFT) {
        seen->disconnected.push_back(event.peer);
      }
      if (event.type == Event::PEER_PACKET) {
        seen->packets.push_back({event.peer, std::string(event.data.begin(), event.data.end())});
      }
    }
  }

  MemoryBroker broker_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::set<int> dead_;
  std::map<int, std::unique_ptr<MultiplayerSession>> clients_;
  std::map<int, std::shared_ptr<test::MemoryMultiplayerPeer>> transports_;
  std::map<int, Seen> seen_;
  std::map<int, Seen> server_seen_;  ///< by node; members elsewhere in connected/disconnected
};

TEST(Cluster, MembersOnOtherNodesAreToldOfEachOtherAsIfLocal) {
  Cluster net(3);
  net.settle();
  net.add_client(0, 10, "red");
  net.add_client(1, 20, "red");
  net.add_client(2, 30, "red");
  net.add_client(2, 31, "blue");
  net.settle();
  EXPECT_EQ(net.seen(10).connected_sorted(), (std::vector<int>{1, 20, 30}));
  EXPECT_EQ(net.seen(20).connected_sorted(), (std::vector<int>{1, 10, 30}));
  EXPECT_EQ(net.seen(30).connected_sorted(), (std::vector<int>{1, 10, 20}));
  EXPECT_EQ(net.seen(31).connected, (std::vector<int>{1})) << "another room";
  EXPECT_EQ(net.node(1).server.get_room_members("red"), (std::vector<int>{10, 20, 30}));
  EXPECT_EQ(net.node(1).server.get_peer_ids(), (std::vector<int>{20})) << "its own clients";

  net.leave(20);
  net.settle();
  EXPECT_EQ(net.seen(10).disconnected, (std::vector<int>{20}));
  EXPECT_EQ(net.seen(30).disconnected, (std::vector<int>{20}));
  EXPECT_TRUE(net.seen(31).disconnected.empty());
}

TEST(Cluster, AServerHearsOfMembersElsewhereAndCanSendToThem) {
  Cluster net(2);
  net.settle();
  net.add_client(0, 10, "red");
  net.add_client(1, 20, "red");
  net.settle();
  EXPECT_EQ(net.server_seen(0).connected, (std::vector<int>{10, 20}));
  EXPECT_EQ(net.node(0).server.get_peer_room(20), "red");
  EXPECT_EQ(net.node(0).server.get_peer_room(10), "red");
  ASSERT_EQ(net.node(0).server.send_bytes(bytes("for you"), 20), OK);
  EXPECT_EQ(net.node(0).server.send_bytes(bytes("nobody"), 99), ERR_INVALID_PARAMETER);
  net.settle();
  EXPECT_EQ(net.seen(20).packets, (Packets{{1, "for you"}}));
  net.leave(20);
  net.settle();
  EXPECT_EQ(net.server_seen(0).disconnected, (std::vector<int>{20}));
  EXPECT_EQ(net.node(0).server.get_peer_room(20), "");
}

TEST(Cluster, AServerThatLetsGoOfItsBusTakesItsClientsOutOfTheOtherNodesRooms) {
  Cluster net(2);
  net.settle();
  net.add_client(0, 10, "red");
  net.add_client(1, 20, "red");
  net.add_client(1, 21, "red");
  net.settle();
  net.node(1).server.set_room_bus(nullptr);  // as a server does when it stops
  net.settle();
  std::vector<int> left = net.seen(10).disconnected;
  std::sort(left.begin(), left.end());
  EXPECT_EQ(left, (std::vector<int>{20, 21})) << "at once, not when node-1 times out";
}

TEST(Cluster, EveryKindOfTargetCrossesNodesInOrder) {
  Cluster net(3);
  net.settle();
  net.add_client(0, 10, "red");
  net.add_client(0, 11, "red");
  net.add_client(1, 20, "red");
  net.add_client(2, 30, "red");
  net.add_client(2, 31, "blue");
  net.settle();
  for (int i = 0; i < 5; ++i) net.client(10).send_bytes(bytes("all" + std::to_string(i)));
  net.client(10).send_bytes(bytes("to 30"), 30);
  net.client(10).send_bytes(bytes("not 20"), -20);
  net.client(30).send_bytes(bytes("to 11"), 11);
  net.client(31).send_bytes(bytes("into red"), 20);  // another room: refused
  net.node(1).server.send_bytes_to_room("red", bytes("news"), 10);
  net.settle();
  using Texts = std::vector<std::string>;
  const Texts all = {"all0", "all1", "all2", "all3", "all4"};
  Texts for_30 = all;
  for_30.push_back("to 30");
  for_30.push_back("not 20");
  EXPECT_EQ(net.seen(30).from(10), for_30);
  EXPECT_EQ(net.seen(30).from(1), Texts{"news"});
  EXPECT_EQ(net.seen(30).packets.size(), 8u);
  EXPECT_EQ(net.seen(20).from(10), all);
  EXPECT_EQ(net.seen(20).from(1), Texts{"news"});
  EXPECT_EQ(net.seen(20).packets.size(), 6u);
  Texts for_11 = all;
  for_11.push_back("not 20");
  EXPECT_EQ(net.seen(11).from(10), for_11);
  EXPECT_EQ(net.seen(11).from(30), Texts{"to 11"});
  EXPECT_EQ(net.seen(11).from(1), Texts{"news"});
  EXPECT_EQ(net.seen(11).packets.size(), 8u);
  EXPECT_TRUE(net.seen(10).packets.empty()) << "nothing back to the sender";
  EXPECT_TRUE(net.seen(31).packets.empty());
}

TEST(Cluster, ANodeThatDiesLosesItsMembersEverywhereWithinTheTimeout) {
  Cluster net(3);
  net.settle();
  net.add_client(0, 10, "red");
  net.add_client(1, 20, "red");
  net.add_client(2, 30, "red");
  net.settle();
  net.kill(2);
  g_now += std::chrono::milliseconds(4000);
  net.settle();
  EXPECT_TRUE(net.seen(10).disconnected.empty()) << "not before the timeout";
  for (int step = 0; step < 12; ++step) {  // heartbeats keep the living ones
    g_now += std::chrono::milliseconds(500);
    net.settle();
  }
  EXPECT_EQ(net.seen(10).disconnected, (std::vector<int>{30}));
  EXPECT_EQ(net.seen(20).disconnected, (std::vector<int>{30}));
  EXPECT_EQ(net.node(0).bus.live_nodes(), (std::vector<std::string>{"node-1"}));
  net.client(10).send_bytes(bytes("still here"));
  net.settle();
  EXPECT_EQ(net.seen(20).packets, (Packets{{10, "still here"}}));

  // A newcomer does not see the dead node's members: their lifetime in the broker ran out.
  net.add_client(0, 11, "red");
  net.settle();
  EXPECT_EQ(net.seen(11).connected_sorted(), (std::vector<int>{1, 10, 20}));
}

TEST(Cluster, ANodeThatWasOnlySlowIsReadAgainWhenItSpeaks) {
  Cluster net(2);
  net.settle();
  net.add_client(0, 10, "red");
  net.add_client(1, 20, "red");
  net.settle();
  net.stall(1);  // no heartbeat for longer than the timeout, its connection never dropped
  for (int step = 0; step < 14; ++step) {
    g_now += std::chrono::milliseconds(500);
    net.settle();
  }
  EXPECT_EQ(net.seen(10).disconnected, (std::vector<int>{20}));
  net.resume(1);
  net.settle();
  EXPECT_EQ(net.seen(10).connected_sorted(), (std::vector<int>{1, 20, 20})) << "back";
  net.client(10).send_bytes(bytes("seen again"));
  net.settle();
  EXPECT_EQ(net.seen(20).packets, (Packets{{10, "seen again"}}));
}

TEST(Cluster, ABrokerRestartIsRecoveredFrom) {
  Cluster net(2);
  net.settle();
  net.add_client(0, 10, "red");
  net.add_client(1, 20, "red");
  net.settle();
  net.broker().restart();
  net.client(10).send_bytes(bytes("lost"));  // published while the broker is down... or after
  net.settle();
  net.client(10).send_bytes(bytes("after"));
  net.settle();
  EXPECT_EQ(net.seen(20).packets.back(), (std::pair<int, std::string>{10, "after"}));
  EXPECT_TRUE(net.seen(20).disconnected.empty()) << "a short outage is not a leave";
  EXPECT_EQ(net.node(0).bus.counters().link_losses, 1u);

  // A newcomer after the restart learns of everyone: the nodes stored their members again.
  net.add_client(1, 21, "red");
  net.settle();
  EXPECT_EQ(net.seen(21).connected_sorted(), (std::vector<int>{1, 10, 20}));
}

TEST(Cluster, ANodeCutFromTheBrokerComesBackWithItsMembers) {
  Cluster net(2);
  net.settle();
  net.add_client(0, 10, "red");
  net.add_client(1, 20, "red");
  net.settle();
  net.broker().cut(&net.node(1).bus);
  for (int step = 0; step < 14; ++step) {
    g_now += std::chrono::milliseconds(500);
    net.settle();
  }
  EXPECT_EQ(net.seen(10).disconnected, (std::vector<int>{20})) << "silent for too long";
  EXPECT_EQ(net.seen(20).disconnected, (std::vector<int>{10})) << "it heard nothing either";
  net.broker().restore(&net.node(1).bus);
  net.settle();
  EXPECT_EQ(net.seen(10).connected, (std::vector<int>{1, 20, 20})) << "back";
  EXPECT_EQ(net.seen(20).connected, (std::vector<int>{1, 10, 10}));
  net.client(20).send_bytes(bytes("hello again"));
  net.settle();
  EXPECT_EQ(net.seen(10).packets, (Packets{{20, "hello again"}}));
}

TEST(Cluster, ARestartedNodeWithTheSameNameReplacesItsEarlierSelf) {
  Cluster net(2);
  net.settle();
  net.add_client(0, 10, "red");
  net.add_client(1, 20, "red");
  net.settle();
  net.kill(1);
  Node& again = net.add_node("node-1", 999);  // a new process, within the timeout
  net.settle();
  (void)again;
  EXPECT_EQ(net.seen(10).disconnected, (std::vector<int>{20}));
}

TEST(Cluster, PeerIdsOfDifferentNodesNeverCollide) {
  Cluster net(3);
  std::set<int> slots;
  for (int i = 0; i < 3; ++i) {
    for (int n = 0; n < 100; ++n) {
      const int id = net.node(i).bus.make_peer_id();
      ASSERT_GE(id, 2);
      slots.insert(id >> (31 - ClusterNode::kSlotBits));
    }
  }
  EXPECT_EQ(slots, (std::set<int>{1, 2, 3}));
}

TEST(BusMessage, RoundTripsAndRefusesEveryTruncationOrBadField) {
  const std::vector<uint8_t> payload = {3, 'h', 'i'};
  BusMessage packet;
  packet.kind = BusMessage::Kind::kPacket;
  packet.node_uid = 0x0102030405060708ull;
  packet.node = "n1";
  packet.room = "red";
  packet.from = 77;
  packet.target = -5;
  packet.payload = payload;
  std::vector<uint8_t> wire;
  ASSERT_TRUE(encode(packet, &wire));
  const auto back = decode(wire);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->node_uid, packet.node_uid);
  EXPECT_EQ(back->node, "n1");
  EXPECT_EQ(back->room, "red");
  EXPECT_EQ(back->from, 77);
  EXPECT_EQ(back->target, -5);
  EXPECT_EQ(std::vector<uint8_t>(back->payload.begin(), back->payload.end()), payload);
  for (size_t size = 0; size < wire.size() - payload.size() + 1; ++size) {
    EXPECT_FALSE(decode(std::span(wire.data(), size))) << size;
  }
  BusMessage join;
  join.kind = BusMessage::Kind::kJoin;
  join.node = "n1";
  join.ids = {5, 6};
  wire.clear();
  ASSERT_TRUE(encode(join, &wire));
  EXPECT_EQ(decode(wire)->ids, (std::vector<int32_t>{5, 6}));
  EXPECT_FALSE(decode(std::span(wire.data(), wire.size() - 1))) << "a partial id";
  std::vector<uint8_t> bad = wire;
  bad[bad.size() - 4] = 1;  // id 1 is each node's server
  EXPECT_FALSE(decode(bad));
  bad = wire;
  bad[0] = 2;  // another version
  EXPECT_FALSE(decode(bad));
  const std::string long_name(256, 'x');
  join.room = long_name;
  EXPECT_FALSE(encode(join, &wire));
}

}  // namespace
}  // namespace wsp::cluster
