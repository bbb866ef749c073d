// wspeer's multiplayer layer against a Godot 4-style peer written from docs/multiplayer.md in
// Python (godot_peer.py), in both roles: the wire format as documented, byte for byte.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "tests/native/child_process.h"
#include "wspeer/multiplayer/multiplayer_session.h"
#include "wspeer/multiplayer/websocket_multiplayer_peer.h"

namespace wsp {
namespace {

using Clock = std::chrono::steady_clock;
using Event = MultiplayerSession::Event;

std::vector<uint8_t> bytes(const std::string& text) {
  return std::vector<uint8_t>(text.begin(), text.end());
}

struct Endpoint {
  std::shared_ptr<WebSocketMultiplayerPeer> transport =
      std::make_shared<WebSocketMultiplayerPeer>();
  MultiplayerSession session;
  std::vector<Event> events;
  void poll() {
    session.poll();
    Event event;
    while (session.take_event(&event)) events.push_back(std::move(event));
  }
  bool saw(Event::Type type, int peer, const std::string& data = "") const {
    for (const Event& event : events) {
      if (event.type == type && event.peer == peer &&
          std::string(event.data.begin(), event.data.end()) == data) {
        return true;
      }
    }
    return false;
  }
};

// Polls `endpoints` and collects the child's lines until `done` or 20 s.
bool drive(test::ChildProcess& child, std::vector<std::string>* lines,
           const std::vector<Endpoint*>& endpoints, const std::function<bool()>& done) {
  const auto until = Clock::now() + std::chrono::seconds(20);
  while (Clock::now() < until) {
    for (Endpoint* endpoint : endpoints) endpoint->poll();
    const std::string line = child.read_line(0.002);
    if (!line.empty()) lines->push_back(line);
    if (done()) return true;
  }
  return done();
}

bool has(const std::vector<std::string>& lines, const std::string& line) {
  return std::find(lines.begin(), lines.end(), line) != lines.end();
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& line : lines) out += line + " | ";
  return out;
}

// The Godot-style peer is a client of a wspeer server, with a wspeer client in its room.
TEST(GodotInterop, AGodotClientTalksToAWspeerServerAndItsClients) {
  Endpoint server, other;
  ASSERT_EQ(server.transport->create_server(0, "127.0.0.1"), OK);
  server.session.set_multiplayer_peer(server.transport);
  const std::string url =
      "ws://127.0.0.1:" + std::to_string(server.transport->get_local_port()) + "/rooms/interop";
  ASSERT_EQ(other.transport->create_client(url), OK);
  other.session.set_multiplayer_peer(other.transport);
  std::vector<std::string> lines;
  test::ChildProcess idle({"/bin/true"});
  ASSERT_TRUE(
      drive(idle, &lines, {&server, &other}, [&] { return other.saw(Event::PEER_CONNECTED, 1); }));
  const int other_id = other.session.get_unique_id();

  test::ChildProcess godot(
      {"/usr/bin/python3", test::runfile("tests/multiplayer/godot_peer.py"), "client", url});
  int godot_id = 0;
  ASSERT_TRUE(drive(godot, &lines, {&server, &other}, [&] {
    for (const Event& event : server.events) {
      if (event.type == Event::PEER_CONNECTED && event.peer != other_id) godot_id = event.peer;
    }
    return godot_id != 0 && server.saw(Event::PEER_PACKET, godot_id, "done sending");
  })) << joined(lines);
  ASSERT_EQ(other.session.send_bytes(bytes("hi python"), godot_id), OK);
  ASSERT_EQ(server.session.send_bytes(bytes("welcome"), godot_id), OK);
  ASSERT_TRUE(drive(godot, &lines, {&server, &other}, [&] {
    return has(lines, "raw welcome") &&
           has(lines, "relay " + std::to_string(other_id) + " raw hi python");
  })) << joined(lines);
  server.session.disconnect_peer(godot_id);
  ASSERT_TRUE(drive(godot, &lines, {&server, &other}, [&] { return has(lines, "closed"); }))
      << joined(lines);

  EXPECT_EQ(lines.front(), "id " + std::to_string(godot_id));
  EXPECT_TRUE(has(lines, "add " + std::to_string(other_id))) << joined(lines);
  EXPECT_TRUE(server.saw(Event::PEER_PACKET, godot_id, "hello server"));
  EXPECT_TRUE(server.saw(Event::PEER_PACKET, godot_id, "hello all"));
  EXPECT_FALSE(server.saw(Event::PEER_PACKET, godot_id, "hi peer")) << "meant for the peer only";
  EXPECT_TRUE(other.saw(Event::PEER_PACKET, godot_id, "hello all"));
  EXPECT_TRUE(other.saw(Event::PEER_PACKET, godot_id, "hi peer"));
  EXPECT_TRUE(other.saw(Event::PEER_CONNECTED, godot_id));
  EXPECT_TRUE(other.saw(Event::PEER_DISCONNECTED, godot_id));
  EXPECT_FALSE(other.saw(Event::PEER_PACKET, 99, "forged"));
  EXPECT_EQ(server.session.get_refusals().malformed, 1u) << "the forged relay inside a relay";
  EXPECT_EQ(other.session.get_refusals().malformed, 0u) << "not passed on";
  for (const std::string& line : lines) EXPECT_NE(line.rfind("fail", 0), 0u) << line;
}

// The Godot-style peer is the server; a wspeer client joins it.
TEST(GodotInterop, AWspeerClientTalksToAGodotServer) {
  test::ChildProcess godot(
      {"/usr/bin/python3", test::runfile("tests/multiplayer/godot_peer.py"), "server"});
  const std::string first = godot.read_line(10);
  ASSERT_EQ(first.rfind("port ", 0), 0u) << first;
  Endpoint client;
  ASSERT_EQ(client.transport->create_client("ws://127.0.0.1:" + first.substr(5) + "/"), OK);
  client.session.set_multiplayer_peer(client.transport);
  std::vector<std::string> lines;
  ASSERT_TRUE(drive(godot, &lines, {&client}, [&] {
    return client.saw(Event::PEER_PACKET, 42, "from 42") &&
           client.saw(Event::PEER_PACKET, 1, "from server");
  })) << joined(lines);
  EXPECT_EQ(client.session.get_unique_id(), 1234);
  EXPECT_TRUE(client.saw(Event::CONNECTED_TO_SERVER, 1));
  EXPECT_TRUE(client.saw(Event::PEER_CONNECTED, 42));
  ASSERT_EQ(client.session.send_bytes(bytes("to 42"), 42), OK);
  ASSERT_EQ(client.session.send_bytes(bytes("to server"), 1), OK);
  ASSERT_TRUE(drive(godot, &lines, {&client}, [&] {
    return client.saw(Event::SERVER_DISCONNECTED, 1);
  })) << joined(lines);
  EXPECT_TRUE(has(lines, "relay 42 raw to 42")) << joined(lines);
  EXPECT_TRUE(has(lines, "raw to server")) << joined(lines);
  EXPECT_TRUE(client.saw(Event::PEER_DISCONNECTED, 42));
  for (const std::string& line : lines) EXPECT_NE(line.rfind("fail", 0), 0u) << line;
}

}  // namespace
}  // namespace wsp
