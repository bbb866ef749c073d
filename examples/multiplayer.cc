// A multiplayer room with Godot 4's protocol: a server, and clients that greet every peer of
// their room as it appears and print what the others say. The client builds natively and for
// the browser.
//   multiplayer server [PORT]                 prints "listening on port N", then joins and leaves
//   multiplayer client URL NAME [GREETINGS]   joins (URL: ws://HOST:PORT/rooms/ROOM), greets each
//                                             peer once, leaves after hearing GREETINGS (1)
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>

#include "wspeer/core/main_loop.h"
#include "wspeer/multiplayer/multiplayer_session.h"
#include "wspeer/multiplayer/websocket_multiplayer_peer.h"

namespace {

using Event = wsp::MultiplayerSession::Event;

std::span<const uint8_t> as_bytes(const std::string& text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

int run_server(int port) {
  // ---- excerpt: server ----
  auto transport = std::make_shared<wsp::WebSocketMultiplayerPeer>();
  if (transport->create_server(port, "127.0.0.1") != wsp::OK) return 1;
  wsp::MultiplayerSession session;  // relays between clients, room by room (/rooms/NAME)
  session.set_multiplayer_peer(transport);
  std::printf("listening on port %d\n", transport->get_local_port());
  std::fflush(stdout);
  for (;;) {
    transport->wait(1000);  // sleeps until something happens
    session.poll();
    Event event;
    while (session.take_event(&event)) {
      if (event.type == Event::PEER_CONNECTED) {
        std::printf("%d joined room \"%s\"\n", event.peer,
                    transport->get_peer_room(event.peer).c_str());
      } else if (event.type == Event::PEER_DISCONNECTED) {
        std::printf("%d left\n", event.peer);
      }
      std::fflush(stdout);
    }
  }
  // ---- end ----
}

int run_client(const std::string& url, const std::string& name, int greetings) {
  // ---- excerpt: client ----
  auto transport = std::make_shared<wsp::WebSocketMultiplayerPeer>();
  if (transport->create_client(url) != wsp::OK) return 1;
  auto session = std::make_shared<wsp::MultiplayerSession>();
  session->set_multiplayer_peer(transport);
  wsp::run_main_loop([=, heard = 0]() mutable {  // natively a loop; in a browser, per frame
    session->poll();
    Event event;
    while (session->take_event(&event)) {
      switch (event.type) {
        case Event::PEER_CONNECTED:  // the server (1), then each peer of the room
          if (event.peer != 1) session->send_bytes(as_bytes("hello from " + name), event.peer);
          break;
        case Event::PEER_PACKET:
          std::printf("%.*s\n", static_cast<int>(event.data.size()),
                      reinterpret_cast<const char*>(event.data.data()));
          if (++heard == greetings) transport->close();
          break;
        case Event::CONNECTION_FAILED:
        case Event::SERVER_DISCONNECTED:
          std::printf("disconnected\n");
          break;
        default:
          break;
      }
    }
    std::fflush(stdout);
    return transport->get_connection_status() != wsp::MultiplayerPeer::CONNECTION_DISCONNECTED;
  });
  // ---- end ----
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string role = argc > 1 ? argv[1] : "";
  if (role == "server") return run_server(argc > 2 ? std::atoi(argv[2]) : 0);
  if (role == "client" && argc > 3) {
    return run_client(argv[2], argv[3], argc > 4 ? std::atoi(argv[4]) : 1);
  }
  std::fprintf(stderr, "usage: multiplayer server [PORT] | client URL NAME [GREETINGS]\n");
  return 2;
}
