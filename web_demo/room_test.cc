// The demo's game on the server (Rooms) in memory, over a MultiplayerSession and an in-memory
// multiplayer network: newcomers are greeted with who is there, see each other move and chat,
// stay inside their own room, and are forgotten when they leave.
#include "web_demo/room.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/multiplayer/memory_multiplayer.h"
#include "wspeer/cluster/cluster_node.h"
#include "wspeer/cluster/memory_broker.h"

namespace wsp::demo {
namespace {

using Event = MultiplayerSession::Event;

// One server (or, with `nodes` > 1, several sharing their rooms through an in-memory broker, as
// ./run demo --nodes 3 does through Redis) and its clients.
class Game {
 public:
  explicit Game(int nodes = 1) {
    for (int i = 0; i < nodes; ++i) {
      auto node = std::make_unique<Node>("node-" + std::to_string(i), 100 + i);
      if (nodes > 1) {
        broker_.attach(&node->bus);
        node->server.set_room_bus(&node->bus);
      }
      node->server.set_multiplayer_peer(node->network->server());
      nodes_.push_back(std::move(node));
    }
    settle();
  }
  void join(int id, const std::string& room, const std::string& name, int node = 0) {
    auto session = std::make_unique<MultiplayerSession>();
    session->set_multiplayer_peer(nodes_.at(node)->network->client(id, room));
    clients_[id] = std::move(session);
    node_of_[id] = node;
    settle();
    say(id, "hello " + name);
  }
  void leave(int id) {
    nodes_.at(node_of_.at(id))->network->cut(id, true, true);
    settle();
  }
  void say(int id, const std::string& message) {
    const std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(message.data()),
                                         message.size());
    ASSERT_EQ(clients_.at(id)->send_bytes(bytes, 1), OK);
    settle();
  }
  void tick() {
    for (auto& node : nodes_) node->rooms.tick();
    settle();
  }
  // What each client received from the server since the last call.
  std::vector<std::string> take(int id) { return std::exchange(received_[id], {}); }
  std::vector<int> left(int id) { return std::exchange(left_[id], {}); }
  size_t size() const { return nodes_.front()->rooms.size(); }

 private:
  struct Node {
    Node(const std::string& name, uint64_t uid)
        : network(test::MemoryNetwork::create()), bus({name}, uid), rooms(&server) {}
    std::shared_ptr<test::MemoryNetwork> network;
    cluster::ClusterNode bus;
    MultiplayerSession server;
    Rooms rooms;
  };

  void settle() {
    for (int round = 0; round < 6; ++round) {
      Event event;
      for (auto& node : nodes_) {
        node->server.poll();
        while (node->server.take_event(&event)) node->rooms.handle(event);
      }
      broker_.pump();
      for (auto& [id, session] : clients_) {
        session->poll();
        while (session->take_event(&event)) {
          if (event.type == Event::PEER_PACKET) {
            received_[id].emplace_back(event.data.begin(), event.data.end());
          } else if (event.type == Event::PEER_DISCONNECTED) {
            left_[id].push_back(event.peer);
          }
        }
      }
    }
  }

  cluster::MemoryBroker broker_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::map<int, std::unique_ptr<MultiplayerSession>> clients_;
  std::map<int, int> node_of_;
  std::map<int, std::vector<std::string>> received_;
  std::map<int, std::vector<int>> left_;
};

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0;
}

TEST(Rooms, NewcomersAreGreetedWithWhoIsThereAndAnnounced) {
  Game game;
  game.join(7, "", "Ann");
  const auto ann = game.take(7);
  ASSERT_EQ(ann.size(), 1u);
  EXPECT_TRUE(starts_with(ann[0], "welcome 7 #")) << ann[0];
  game.join(8, "", "Bob");
  const auto bob = game.take(8);
  ASSERT_EQ(bob.size(), 3u);
  EXPECT_TRUE(starts_with(bob[0], "welcome 8 #"));
  EXPECT_TRUE(starts_with(bob[1], "join 7 #") && bob[1].ends_with(" Ann")) << bob[1];
  EXPECT_TRUE(starts_with(bob[2], "state 7 ")) << bob[2];
  const auto told = game.take(7);
  ASSERT_EQ(told.size(), 1u);
  EXPECT_TRUE(starts_with(told[0], "join 8 #") && told[0].ends_with(" Bob")) << told[0];
  EXPECT_NE(ann[0].substr(10), bob[0].substr(10)) << "another colour and spot";
  EXPECT_EQ(game.size(), 2u);
}

TEST(Rooms, MovesAndChatReachTheRoomAndPingsTheSender) {
  Game game;
  game.join(7, "", "Ann");
  game.join(8, "", "Bob");
  game.tick();
  game.take(7);
  game.take(8);
  game.say(7, "move 2 -1");  // clamped into the room
  game.tick();
  EXPECT_EQ(game.take(8), (std::vector<std::string>{"state 7 1.0000 0.0000"}));
  EXPECT_EQ(game.take(7), (std::vector<std::string>{"state 7 1.0000 0.0000"})) << "the mover too";
  game.say(8, "chat hi\x01 there");
  EXPECT_EQ(game.take(7), (std::vector<std::string>{"chat 8 hi there"}));
  EXPECT_EQ(game.take(8), (std::vector<std::string>{"chat 8 hi there"}));
  game.say(7, "ping 123.5");
  EXPECT_EQ(game.take(7), (std::vector<std::string>{"pong 123.5"}));
  EXPECT_TRUE(game.take(8).empty());
  game.tick();
  EXPECT_TRUE(game.take(8).empty()) << "no state when nobody moved";
}

TEST(Rooms, RoomsStaySeparate) {
  Game game;
  game.join(7, "red", "Ann");
  game.join(8, "blue", "Bob");
  const auto bob = game.take(8);
  ASSERT_EQ(bob.size(), 1u) << "nobody else in blue: " << bob.back();
  EXPECT_TRUE(starts_with(bob[0], "welcome 8 #"));
  EXPECT_EQ(bob[0].substr(0, 17).substr(10), game.take(7)[0].substr(10, 7))
      << "each room hands out its own first colour";
  game.say(7, "chat red only");
  game.say(7, "move 0.1 0.1");
  game.tick();
  for (const std::string& message : game.take(8)) {
    EXPECT_EQ(message.find("red only"), std::string::npos);
    EXPECT_TRUE(starts_with(message, "state 8 ")) << "only Bob's own spot: " << message;
  }
}

TEST(Rooms, ALeaverIsForgottenAndTheLayerTellsTheOthers) {
  Game game;
  game.join(7, "", "Ann");
  game.join(8, "", "Bob");
  game.leave(7);
  EXPECT_EQ(game.left(8), (std::vector<int>{7}));
  EXPECT_EQ(game.size(), 1u);
  game.join(9, "", "Cy");
  const auto cy = game.take(9);
  ASSERT_EQ(cy.size(), 3u);
  EXPECT_TRUE(starts_with(cy[1], "join 8 ")) << "only Bob is shown: " << cy[1];
  game.say(8, "chat still here");
  EXPECT_EQ(game.take(9).back(), "chat 8 still here");
}

TEST(Rooms, ARoomSpreadOverTwoServersIsOneRoom) {
  Game game(2);
  game.join(7, "", "Ann", 0);
  game.join(8, "", "Bob", 1);
  const auto bob = game.take(8);
  // Bob's own server greets him; Ann's server introduces her (in either order).
  ASSERT_EQ(bob.size(), 3u);
  int welcomes = 0, joins = 0, states = 0;
  for (const std::string& message : bob) {
    welcomes += starts_with(message, "welcome 8 #");
    joins += starts_with(message, "join 7 #") && message.ends_with(" Ann");
    states += starts_with(message, "state 7 ");
  }
  EXPECT_EQ(welcomes + joins + states, 3) << bob[0] << " | " << bob[1] << " | " << bob[2];
  const auto told = game.take(7);
  ASSERT_EQ(told.size(), 2u) << "welcome, then Bob's arrival";
  EXPECT_TRUE(starts_with(told[1], "join 8 #") && told[1].ends_with(" Bob")) << told[1];
  game.say(7, "move 0.25 0.75");
  game.say(8, "chat across");
  game.tick();
  const auto seen_by_bob = game.take(8);
  EXPECT_NE(std::find(seen_by_bob.begin(), seen_by_bob.end(), "state 7 0.2500 0.7500"),
            seen_by_bob.end());
  EXPECT_NE(std::find(seen_by_bob.begin(), seen_by_bob.end(), "chat 8 across"), seen_by_bob.end());
  const auto seen_by_ann = game.take(7);
  EXPECT_NE(std::find(seen_by_ann.begin(), seen_by_ann.end(), "chat 8 across"), seen_by_ann.end());
  game.leave(8);
  EXPECT_EQ(game.left(7), (std::vector<int>{8}));
}

TEST(Rooms, ASecondHelloChangesNothing) {
  Game game;
  game.join(7, "", "Ann");
  game.take(7);
  game.say(7, "hello again");  // a second hello changes nothing
  EXPECT_TRUE(game.take(7).empty());
  EXPECT_EQ(game.size(), 1u);
}

}  // namespace
}  // namespace wsp::demo
