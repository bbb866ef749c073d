// WebSocketMultiplayerPeer in Web builds: a browser cannot accept connections, so there is no
// server side (create_server() returns ERR_UNAVAILABLE, as Godot's web export does).
#include "wspeer/multiplayer/websocket_multiplayer_peer.h"

namespace wsp {

struct WebSocketMultiplayerPeer::Server {};

// Here, where the server's state is a complete type.
WebSocketMultiplayerPeer::WebSocketMultiplayerPeer() = default;
WebSocketMultiplayerPeer::~WebSocketMultiplayerPeer() { clear(); }

Error WebSocketMultiplayerPeer::start_server(int, const std::string&,
                                             std::shared_ptr<const TLSOptions>) {
  return ERR_UNAVAILABLE;  // "Server not supported in Web builds"
}

void WebSocketMultiplayerPeer::clear() {
  server_.reset();
  clear_client();
  status_ = CONNECTION_DISCONNECTED;
  unique_id_ = 0;
  clear_events();
}

void WebSocketMultiplayerPeer::poll_server() {}
void WebSocketMultiplayerPeer::server_wait(int) {}
int WebSocketMultiplayerPeer::server_local_port() const { return 0; }
PeerPoller* WebSocketMultiplayerPeer::server_poller() const { return nullptr; }
int WebSocketMultiplayerPeer::server_packet_count() const { return 0; }
int WebSocketMultiplayerPeer::server_next_packet_source() const { return TARGET_PEER_SERVER; }
Error WebSocketMultiplayerPeer::server_get_packet(const uint8_t**, int*) { return ERR_UNAVAILABLE; }
WebSocketPeer* WebSocketMultiplayerPeer::server_peer(int) const { return nullptr; }
std::string WebSocketMultiplayerPeer::server_peer_room(int) const { return ""; }
Error WebSocketMultiplayerPeer::server_put(int, const uint8_t*, int) { return ERR_UNAVAILABLE; }
Error WebSocketMultiplayerPeer::server_accept_stream(std::shared_ptr<StreamPeer>,
                                                     std::string_view) {
  return ERR_UNAVAILABLE;
}
Error WebSocketMultiplayerPeer::server_put_to_peers(std::span<const int>, const uint8_t*, int) {
  return ERR_UNAVAILABLE;
}
void WebSocketMultiplayerPeer::server_disconnect(int, bool) {}

}  // namespace wsp
