// The README's two examples, compiled with the build so they cannot drift from the API.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "wspeer/core/websocket_peer.h"
#include "wspeer/platform/native/tcp_server.h"

namespace {

void handle(const std::vector<uint8_t>& message, bool is_text) {
  std::printf("%s message of %zu bytes\n", is_text ? "text" : "binary", message.size());
}

[[maybe_unused]] void client_example() {
  // ---- README: client ----
  auto ws = wsp::WebSocketPeer::create();
  ws->connect_to_url("wss://example.com/chat");
  for (bool greeted = false; ws->get_ready_state() != wsp::WebSocketPeer::STATE_CLOSED;) {
    ws->poll();  // call regularly, e.g. once per frame
    if (!greeted && ws->get_ready_state() == wsp::WebSocketPeer::STATE_OPEN)
      greeted = ws->send_text("hi") == wsp::OK;
    while (ws->get_available_packet_count() > 0) handle(ws->get_packet(), ws->was_string_packet());
  }
  std::printf("closed: %d %s\n", ws->get_close_code(), ws->get_close_reason().c_str());
}

[[maybe_unused]] void server_example() {
  // ---- README: server ----
  wsp::TCPServer server;
  server.listen(9000);
  std::vector<std::unique_ptr<wsp::WebSocketPeer>> peers;
  for (;;) {  // an echo server; see docs/server.md for PeerPoller
    if (auto tcp = server.take_connection())
      peers.emplace_back(wsp::WebSocketPeer::create())->accept_stream(tcp);
    for (auto& peer : peers) {
      peer->poll();
      while (peer->get_available_packet_count() > 0) peer->put_packet(peer->get_packet());
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  // Run the client example against a URL given on the command line (the server runs forever).
  if (argc > 1 && std::string(argv[1]) == "--server") server_example();
  if (argc > 1) client_example();
  return 0;
}
