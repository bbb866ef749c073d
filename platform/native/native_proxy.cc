// The native WebSocketPeer's way through a proxy: asking it for a tunnel (the rules of each proxy
// are in core/proxy/). Once the tunnel is open, TLS and the HTTP upgrade run inside it as on a
// direct connection.
#include "wspeer/platform/native/native_peer_parts.h"
#include "wspeer/platform/native/native_websocket_peer.h"

namespace wsp {

using namespace native_peer;  // NOLINT: the constants and helpers the parts share

void NativeWebSocketPeer::start_tunnel() {
  HandshakeState& handshake = *handshake_;
  stream_ = handshake.tcp;
  handshake.route->tunnel = start_proxy_handshake(
      *handshake.route->proxy, ProxyTarget{handshake.url.host, handshake.url.host_is_ipv6,
                                           handshake.url.port, handshake.route->target_ip});
  if (handshake.route->tunnel->status() == ProxyHandshake::Status::kFailed) {
    fail_handshake(handshake.route->tunnel->error());
    return;
  }
  handshake.out = std::move(handshake.route->tunnel->output());
  handshake.route->tunnel->output().clear();
  handshake.written = 0;
  phase_ = Phase::kProxyTunnel;
}

bool NativeWebSocketPeer::step_tunnel() {
  HandshakeState& handshake = *handshake_;
  ProxyHandshake& tunnel = *handshake.route->tunnel;
  uint8_t* buffer = read_buffer();
  while (true) {
    if (!write_handshake_bytes()) return false;
    int received = 0;
    const Error error = stream_->get_partial_data(buffer, static_cast<int>(kMinRead), &received);
    if (error != OK) {
      const std::string& detail = stream_->get_last_error();
      fail_handshake("The proxy " + handshake.route->proxy->to_string() +
                     " closed the connection before the tunnel was open" +
                     (detail.empty() ? "." : ": " + detail));
      return false;
    }
    if (received == 0) return false;
    const size_t used = tunnel.receive(buffer, static_cast<size_t>(received));
    if (tunnel.status() == ProxyHandshake::Status::kFailed) {
      fail_handshake(tunnel.error());
      return false;
    }
    if (tunnel.status() == ProxyHandshake::Status::kOpen) {
      // Nothing may follow the proxy's reply yet: the server speaks only when spoken to (over
      // TLS, after our hello), so these bytes came from the proxy, not from the server.
      if (used < static_cast<size_t>(received)) {
        fail_handshake("The proxy " + handshake.route->proxy->to_string() + " sent " +
                       std::to_string(static_cast<size_t>(received) - used) +
                       " unexpected bytes after opening the tunnel (a body with its answer?).");
        return false;
      }
      handshake.route->tunnel.reset();
      start_tls_or_request();
      return state_ != STATE_CLOSED;
    }
    handshake.out = std::move(tunnel.output());
    tunnel.output().clear();
    handshake.written = 0;
  }
}

}  // namespace wsp
