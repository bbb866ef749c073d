// A server loop over PeerPoller as applications write it (accept, add, poll, remove what
// closed), for the tests of server-wide limits.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/native/test_util.h"
#include "wspeer/platform/native/peer_poller.h"

namespace wsp::test {

class LimitedServer {
 public:
  explicit LimitedServer(const PeerPoller::Limits& limits,
                         PeerPoller::Backend backend = PeerPoller::Backend::kDefault)
      : poller_(backend) {
    poller_.set_limits(limits);
    poller_.add_server(&listener_.server());
  }
  ~LimitedServer() {
    for (auto& [raw, peer] : peers_) poller_.remove(raw);
  }
  std::string url() const { return listener_.url(); }
  int port() const { return listener_.port(); }
  PeerPoller& poller() { return poller_; }
  TCPServer& listener() { return listener_.server(); }
  /// The server's peers, open or not yet.
  std::vector<WebSocketPeer*> peers() const {
    std::vector<WebSocketPeer*> out;
    for (const auto& [raw, peer] : peers_) out.push_back(raw);
    return out;
  }
  /// Lets connections that have sent nothing through to the server at once, as on platforms
  /// without TCPServer::set_defer_accept() (the poller set it on Linux).
  void accept_silent_connections() { listener_.server().set_defer_accept(0); }
  size_t open_peers() const {
    size_t open = 0;
    for (auto& [raw, peer] : peers_) open += raw->get_ready_state() == WebSocketPeer::STATE_OPEN;
    return open;
  }
  // One round; `take` says whether the application takes the messages that arrived.
  void round(bool take) {
    for (WebSocketPeer* peer : poller_.wait(5)) {
      peer->poll();
      while (take && peer->get_available_packet_count() > 0) taken_.push_back(peer->get_packet());
      if (peer->get_ready_state() == WebSocketPeer::STATE_CLOSED) {
        poller_.remove(peer);
        peers_.erase(peer);
      }
    }
    for (TCPServer* server : poller_.ready_servers()) {
      while (auto tcp = server->take_connection()) {
        auto peer = WebSocketPeer::create();
        peer->set_inbound_buffer_size(1 << 20);
        peer->accept_stream(tcp);
        poller_.add(peer.get());
        peers_.emplace(peer.get(), std::move(peer));
      }
    }
  }
  // Takes the messages queued on every peer (the application catching up).
  void take_all() {
    for (auto& [raw, peer] : peers_) {
      while (raw->get_available_packet_count() > 0) taken_.push_back(raw->get_packet());
      poller_.update(raw);
    }
  }
  const std::vector<std::vector<uint8_t>>& taken() const { return taken_; }

 private:
  LoopbackServer listener_;
  PeerPoller poller_;
  std::map<WebSocketPeer*, std::unique_ptr<WebSocketPeer>> peers_;
  std::vector<std::vector<uint8_t>> taken_;
};

// Runs server rounds (polling `clients` too) until `done` or `seconds` pass.
inline bool run_until(LimitedServer& server, const std::vector<WebSocketPeer*>& clients,
                      const std::function<bool()>& done, double seconds = 5.0, bool take = true) {
  const Clock::time_point until =
      Clock::now() + std::chrono::milliseconds(static_cast<int>(seconds * 1000));
  while (!done() && Clock::now() < until) {
    server.round(take);
    for (WebSocketPeer* client : clients) client->poll();
  }
  return done();
}

inline bool settled(const std::vector<std::unique_ptr<WebSocketPeer>>& clients) {
  for (const auto& client : clients) {
    if (client->get_ready_state() == WebSocketPeer::STATE_CONNECTING) return false;
  }
  return true;
}

inline std::vector<WebSocketPeer*> raw(const std::vector<std::unique_ptr<WebSocketPeer>>& clients) {
  std::vector<WebSocketPeer*> out;
  for (const auto& client : clients) out.push_back(client.get());
  return out;
}

}  // namespace wsp::test
