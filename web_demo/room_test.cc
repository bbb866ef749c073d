// One room served by two threads' Rooms joined by a RoomHub (server --threads): members of
// either see each other join, move, chat and leave. Driven from one thread here, with each
// member accepted by a different Room, so every message crosses the hub.
#include "web_demo/room.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "wspeer/core/heartbeat.h"
#include "wspeer/platform/native/tcp_server.h"

namespace wsp::demo {
namespace {

struct Visitor {
  std::unique_ptr<WebSocketPeer> client;
  WebSocketPeer* server_side = nullptr;
  Room* room = nullptr;
  std::vector<std::string> received;
};

class TwoRooms : public ::testing::Test {
 protected:
  TwoRooms() : hub_(2), first_(&hub_, 0), second_(&hub_, 1) {
    EXPECT_EQ(server_.listen(0, "127.0.0.1"), OK);
  }

  Visitor& visit(Room* room) {
    visitors_.push_back(std::make_unique<Visitor>());
    Visitor& visitor = *visitors_.back();
    visitor.room = room;
    visitor.client = WebSocketPeer::create();
    EXPECT_EQ(visitor.client->connect_to_url(
                  "ws://127.0.0.1:" + std::to_string(server_.get_local_port()) + "/"),
              OK);
    std::shared_ptr<StreamPeerTCP> tcp;
    for (int i = 0; i < 500 && !tcp; ++i) {
      visitor.client->poll();
      tcp = server_.take_connection();
    }
    EXPECT_TRUE(tcp);
    auto peer = WebSocketPeer::create();
    EXPECT_EQ(peer->accept_stream(tcp), OK);
    visitor.server_side = peer.get();
    room->admit(std::move(peer));
    return visitor;
  }

  // Runs both rooms (as their threads would) until `done` or 5 s.
  template <typename Done>
  bool run_until(Done done) {
    for (int round = 0; round < 2500; ++round) {
      for (auto& visitor : visitors_) {
        visitor->client->poll();
        while (visitor->client->get_available_packet_count() > 0) {
          const std::vector<uint8_t> packet = visitor->client->get_packet();
          visitor->received.emplace_back(packet.begin(), packet.end());
        }
        if (visitor->server_side) {
          visitor->server_side->poll();
          if (!visitor->room->service(visitor->server_side)) {
            visitor->room->remove(visitor->server_side);
            visitor->server_side = nullptr;
          }
        }
      }
      first_.deliver();
      second_.deliver();
      first_.tick();
      second_.tick();
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return false;
  }

  static bool saw(const Visitor& visitor, const std::string& prefix) {
    for (const std::string& message : visitor.received) {
      if (message.rfind(prefix, 0) == 0) return true;
    }
    return false;
  }

  RoomHub hub_;
  Room first_;
  Room second_;
  TCPServer server_;
  std::vector<std::unique_ptr<Visitor>> visitors_;
};

TEST_F(TwoRooms, MembersOfBothRoomsSeeEachOther) {
  Visitor& ann = visit(&first_);
  Visitor& bob = visit(&second_);
  ASSERT_TRUE(run_until([&] {
    return ann.client->get_ready_state() == WebSocketPeer::STATE_OPEN &&
           bob.client->get_ready_state() == WebSocketPeer::STATE_OPEN;
  }));
  ann.client->send_text("hello Ann");
  ASSERT_TRUE(run_until([&] { return saw(ann, "welcome "); }));
  bob.client->send_text("hello Bob");
  // Bob, in the other room, is told Ann is there (the hub's roster) and where she is.
  ASSERT_TRUE(run_until([&] { return saw(bob, "welcome ") && saw(bob, "state "); }));
  EXPECT_TRUE(saw(bob, "join 1 ")) << "Bob was not shown Ann";
  // Ann hears of Bob's arrival through the hub.
  ASSERT_TRUE(run_until([&] { return saw(ann, "join 2 "); }));

  ann.client->send_text("chat hello from the first room");
  ASSERT_TRUE(run_until([&] { return saw(bob, "chat 1 hello from the first room"); }));
  bob.client->send_text("move 0.25 0.75");
  ASSERT_TRUE(run_until([&] { return saw(ann, "state 2 0.2500 0.7500"); }));

  ann.client->close();
  ASSERT_TRUE(run_until([&] { return saw(bob, "leave 1"); }));
  // A newcomer after Ann left is shown Bob only.
  Visitor& cat = visit(&first_);
  ASSERT_TRUE(
      run_until([&] { return cat.client->get_ready_state() == WebSocketPeer::STATE_OPEN; }));
  cat.client->send_text("hello Cat");
  ASSERT_TRUE(run_until([&] { return saw(cat, "state "); }));
  EXPECT_TRUE(saw(cat, "join 2 "));
  EXPECT_FALSE(saw(cat, "join 1 "));
}

// The same over real threads, as server --threads runs them (and under ThreadSanitizer in
// ./run test): each thread owns its listener, room and visitors; only the hub is shared.
TEST(RoomThreads, ChatCrossesThreads) {
  constexpr int kThreads = 2;
  RoomHub hub(kThreads);
  std::atomic<bool> stop{false};
  std::atomic<int> heard{0};
  std::vector<std::thread> threads;
  for (int index = 0; index < kThreads; ++index) {
    threads.emplace_back([&, index] {
      Room room(&hub, index);
      TCPServer server;
      ASSERT_EQ(server.listen(0, "127.0.0.1"), OK);
      auto client = WebSocketPeer::create();
      ASSERT_EQ(
          client->connect_to_url("ws://127.0.0.1:" + std::to_string(server.get_local_port()) + "/"),
          OK);
      WebSocketPeer* server_side = nullptr;
      bool greeted = false, said = false, got_other = false;
      const auto deadline = Clock::now() + std::chrono::seconds(10);
      while (!stop.load() && Clock::now() < deadline) {
        client->poll();
        if (!server_side) {
          if (auto tcp = server.take_connection()) {
            auto peer = WebSocketPeer::create();
            ASSERT_EQ(peer->accept_stream(tcp), OK);
            server_side = peer.get();
            room.admit(std::move(peer));
          }
        } else {
          server_side->poll();
          room.service(server_side);
        }
        room.deliver();
        room.tick();
        if (index == 1 && Clock::now() < deadline - std::chrono::milliseconds(9500)) continue;
        if (client->get_ready_state() == WebSocketPeer::STATE_OPEN && !greeted) {
          greeted = client->send_text("hello thread" + std::to_string(index)) == OK;
        }
        while (client->get_available_packet_count() > 0) {
          const std::vector<uint8_t> packet = client->get_packet();
          const std::string text(packet.begin(), packet.end());
          // Everyone says something once it knows another member is there (a "join" is
          // only ever about someone else); that member must hear it. Chatting at the
          // welcome instead would race the other thread's member joining at all.
          if (text.rfind("join ", 0) == 0 && !said) {
            said = client->send_text("chat from thread " + std::to_string(index)) == OK;
          }
          if (!got_other && text.rfind("chat ", 0) == 0 &&
              text.find("from thread " + std::to_string(index)) == std::string::npos) {
            got_other = true;
            heard.fetch_add(1);
          }
        }
        if (heard.load() == kThreads) stop.store(true);
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      if (server_side) room.close_all(1001, "done");
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(heard.load(), kThreads) << "a thread's member did not hear the other's chat";
}

}  // namespace
}  // namespace wsp::demo
