// A multiplayer server and its clients over real sockets on loopback, each a session over a
// WebSocketMultiplayerPeer that records what it saw, driven by one polling loop.
#pragma once

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "wspeer/multiplayer/multiplayer_session.h"
#include "wspeer/multiplayer/websocket_multiplayer_peer.h"

namespace wsp::test {

using Clock = std::chrono::steady_clock;
using Event = MultiplayerSession::Event;

// A session over a WebSocketMultiplayerPeer, with what it saw.
struct Endpoint {
  std::shared_ptr<WebSocketMultiplayerPeer> transport =
      std::make_shared<WebSocketMultiplayerPeer>();
  MultiplayerSession session;
  std::vector<Event> events;

  Endpoint() { transport->set_handshake_timeout(10); }
  void poll() {
    session.poll();
    Event event;
    while (session.take_event(&event)) events.push_back(std::move(event));
  }
  std::vector<int> peers_of(Event::Type type) const {
    std::vector<int> ids;
    for (const Event& event : events) {
      if (event.type == type) ids.push_back(event.peer);
    }
    return ids;
  }
  size_t packet_count() const {
    return std::count_if(events.begin(), events.end(),
                         [](const Event& event) { return event.type == Event::PEER_PACKET; });
  }
  std::vector<std::pair<int, std::string>> packets() const {
    std::vector<std::pair<int, std::string>> out;
    for (const Event& event : events) {
      if (event.type == Event::PEER_PACKET) {
        out.push_back({event.peer, std::string(event.data.begin(), event.data.end())});
      }
    }
    return out;
  }
};

class Party {
 public:
  Party() {
    EXPECT_EQ(server.transport->create_server(0, "127.0.0.1"), OK);
    server.session.set_multiplayer_peer(server.transport);
    port_ = server.transport->get_local_port();
  }
  Endpoint server;
  std::vector<std::unique_ptr<Endpoint>> clients;

  Endpoint& join(const std::string& path = "/") {
    clients.push_back(std::make_unique<Endpoint>());
    Endpoint& client = *clients.back();
    EXPECT_EQ(client.transport->create_client(url(path)), OK);
    client.session.set_multiplayer_peer(client.transport);
    return client;
  }
  std::string url(const std::string& path) const {
    return "ws://127.0.0.1:" + std::to_string(port_) + path;
  }
  void poll_all() {
    server.poll();
    for (auto& client : clients) client->poll();
  }
  bool run_until(const std::function<bool()>& done, double seconds = 10) {
    const auto until = Clock::now() + std::chrono::milliseconds(static_cast<int>(seconds * 1000));
    while (Clock::now() < until) {
      poll_all();
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return done();
  }
  void run_for(double seconds) {
    run_until([] { return false; }, seconds);
  }
  int port() const { return port_; }

 private:
  int port_ = 0;
};

}  // namespace wsp::test
