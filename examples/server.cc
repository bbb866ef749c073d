// A WebSocket echo server: every message goes back to its sender with its type.
//   server [PORT]   prints "listening on port N" (PORT 0, the default, picks a free one)
#include <wspeer/core/websocket_peer.h>
#include <wspeer/platform/native/peer_poller.h>
#include <wspeer/platform/native/tcp_server.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

int main(int argc, char** argv) {
  wsp::TCPServer server;
  if (server.listen(argc > 1 ? std::atoi(argv[1]) : 0, "127.0.0.1") != wsp::OK) {
    std::fprintf(stderr, "%s\n", server.get_last_error().c_str());
    return 1;
  }
  std::printf("listening on port %d\n", server.get_local_port());
  std::fflush(stdout);
  // ---- excerpt: server ----
  wsp::PeerPoller poller;  // wakes only the peers with something to do
  poller.add_server(&server);
  for (;;) {
    for (wsp::TCPServer* listening : poller.ready_servers()) {
      while (auto tcp = listening->take_connection()) {
        auto peer = wsp::WebSocketPeer::create();
        peer->accept_stream(tcp);
        poller.add(std::move(peer));  // the poller owns it from now on
      }
    }
    for (wsp::WebSocketPeer* peer : poller.wait(1000)) {
      peer->poll();
      while (peer->get_available_packet_count() > 0) {
        const std::vector<uint8_t> message = peer->get_packet();
        peer->send(message, peer->was_string_packet() ? wsp::WebSocketPeer::WRITE_MODE_TEXT
                                                      : wsp::WebSocketPeer::WRITE_MODE_BINARY);
      }
      if (peer->get_ready_state() == wsp::WebSocketPeer::STATE_CLOSED) {
        poller.remove(peer);  // and destroys it
      }
    }
  }
  // ---- end ----
}
