// The demo's game on the server (Rooms) in memory, over a MultiplayerSession and an in-memory
// multiplayer network: newcomers are greeted with who is there, see each other move and chat,
// stay inside their own room, and are forgotten when they leave.
#include "web_demo/room.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/multiplayer/memory_multiplayer.h"

namespace wsp::demo {
namespace {

using Event = MultiplayerSession::Event;

class Game {
 public:
  Game() : network_(test::MemoryNetwork::create()), rooms_(&server_) {
    server_.set_multiplayer_peer(network_->server());
  }
  void join(int id, const std::string& room, const std::string& name) {
    auto session = std::make_unique<MultiplayerSession>();
    session->set_multiplayer_peer(network_->client(id, room));
    clients_[id] = std::move(session);
    settle();
    say(id, "hello " + name);
  }
  void leave(int id) {
    network_->cut(id, true, true);
    settle();
  }
  void say(int id, const std::string& message) {
    const std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(message.data()),
                                         message.size());
    ASSERT_EQ(clients_.at(id)->send_bytes(bytes, 1), OK);
    settle();
  }
  void tick() {
    rooms_.tick();
    settle();
  }
  // What each client received from the server since the last call.
  std::vector<std::string> take(int id) { return std::exchange(received_[id], {}); }
  std::vector<int> left(int id) { return std::exchange(left_[id], {}); }
  size_t size() const { return rooms_.size(); }

 private:
  void settle() {
    for (int round = 0; round < 4; ++round) {
      server_.poll();
      Event event;
      while (server_.take_event(&event)) rooms_.handle(event);
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

  std::shared_ptr<test::MemoryNetwork> network_;
  MultiplayerSession server_;
  Rooms rooms_;
  std::map<int, std::unique_ptr<MultiplayerSession>> clients_;
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
