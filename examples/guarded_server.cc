// An echo server that decides on every request before it answers: browsers may connect only
// from the allowed origins, and every client needs a valid token, checked asynchronously (as a
// call to an authentication service would be). Refused clients get an HTTP error, never a 101.
//   guarded_server [PORT]     prints "listening on port N", then one line per decision
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "wspeer/core/http.h"
#include "wspeer/core/websocket_peer.h"
#include "wspeer/platform/native/peer_poller.h"
#include "wspeer/platform/native/tcp_server.h"

namespace {

using Clock = std::chrono::steady_clock;

// ---- excerpt: origin ----
// Browsers let any page open a WebSocket to any server; the Origin header says which page did.
bool origin_allowed(const wsp::WebSocketPeer& peer) {
  static const std::set<std::string> allowed = {"https://game.example", "http://localhost:8080"};
  const auto origin = wsp::find_header(peer.get_request_headers(), "Origin");
  return !origin || allowed.count(*origin) > 0;  // no Origin: not a browser (a native client)
}
// ---- end ----

std::string bearer_token(const wsp::WebSocketPeer& peer) {
  const auto value = wsp::find_header(peer.get_request_headers(), "Authorization");
  return value && value->rfind("Bearer ", 0) == 0 ? value->substr(7) : "";
}

// Stands in for a remote token check: the verdict comes 50 ms later, a few poll rounds on.
class TokenService {
 public:
  void start(wsp::WebSocketPeer* peer, const std::string& token) {
    checks_[peer] = {Clock::now() + std::chrono::milliseconds(50), token == "let-me-in"};
  }
  // Calls `decide(peer, valid)` for every check that has an answer by now.
  template <typename Decide>
  void deliver(Decide decide) {
    for (auto it = checks_.begin(); it != checks_.end();) {
      if (Clock::now() < it->second.ready) {
        ++it;
        continue;
      }
      decide(it->first, it->second.valid);
      it = checks_.erase(it);
    }
  }
  void forget(wsp::WebSocketPeer* peer) { checks_.erase(peer); }

 private:
  struct Check {
    Clock::time_point ready;
    bool valid;
  };
  std::map<wsp::WebSocketPeer*, Check> checks_;
};

}  // namespace

int main(int argc, char** argv) {
  wsp::TCPServer server;
  if (server.listen(argc > 1 ? std::atoi(argv[1]) : 0, "127.0.0.1") != wsp::OK) return 1;
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // one line per decision, as it happens
  std::printf("listening on port %d\n", server.get_local_port());
  wsp::PeerPoller poller;
  poller.add_server(&server);
  // ---- excerpt: limits ----
  wsp::PeerPoller::Limits limits;
  limits.max_peers = 10000;               // then 503 with Retry-After
  limits.max_peers_per_address = 50;      // one host cannot take every place
  limits.max_buffered_bytes = 256 << 20;  // what all clients together may hold
  poller.set_limits(limits);
  // ---- end ----
  std::map<wsp::WebSocketPeer*, std::unique_ptr<wsp::WebSocketPeer>> peers;
  TokenService tokens;

  for (;;) {
    // ---- excerpt: decide ----
    for (wsp::WebSocketPeer* peer : poller.wait(10)) {
      peer->poll();
      if (peer->is_request_pending()) {
        if (!origin_allowed(*peer)) {
          std::printf("refused 403 %s\n", peer->get_request_path().c_str());
          peer->reject_request(403, {}, "This origin may not connect.\n");
        } else {
          tokens.start(peer, bearer_token(*peer));  // the answer comes at a later round
        }
      }
      while (peer->get_available_packet_count() > 0) {
        const auto message = peer->get_packet();
        peer->send(message, peer->was_string_packet() ? wsp::WebSocketPeer::WRITE_MODE_TEXT
                                                      : wsp::WebSocketPeer::WRITE_MODE_BINARY);
      }
      if (peer->get_ready_state() == wsp::WebSocketPeer::STATE_CLOSED) {
        std::printf("closed %s: %s\n", peer->get_request_path().c_str(),
                    peer->get_last_error().c_str());
        tokens.forget(peer);
        poller.remove(peer);
        peers.erase(peer);
      }
    }
    tokens.deliver([&](wsp::WebSocketPeer* peer, bool valid) {
      std::printf("%s %s\n", valid ? "accepted" : "refused 401", peer->get_request_path().c_str());
      if (valid) {
        peer->accept_request("", {"Set-Cookie: session=1; HttpOnly"});
      } else {
        peer->reject_request(401, {"WWW-Authenticate: Bearer"}, "A valid token is needed.\n");
      }
      poller.update(peer);  // acted on outside wait(): let the poller look again
    });
    // ---- end ----
    for (wsp::TCPServer* listening : poller.ready_servers()) {
      while (auto tcp = listening->take_connection()) {
        auto peer = wsp::WebSocketPeer::create();
        peer->set_manual_accept(true);  // nothing is answered before the checks above
        peer->accept_stream(tcp);
        poller.add(peer.get());
        peers.emplace(peer.get(), std::move(peer));
      }
    }
  }
}
