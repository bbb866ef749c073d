#include "tools/echo_service.h"

#include <chrono>
#include <cstdio>
#include <memory>

#include "tools/echo.h"
#include "wspeer/core/close_code.h"
#include "wspeer/core/websocket_peer.h"
#include "wspeer/platform/native/stream_peer_tls.h"

namespace wsp::tool {
namespace {

// Replies wait in memory up to this much per client; beyond it the client's input pauses.
constexpr int64_t kMaxBufferedReplies = 256 * 1024;

std::unique_ptr<WebSocketPeer> accept_client(std::shared_ptr<StreamPeerTCP> tcp,
                                             const EchoSettings& settings) {
  std::shared_ptr<StreamPeer> stream = tcp;
  if (settings.tls) {
    auto secure = std::make_shared<StreamPeerTLS>();
    if (secure->accept_stream(tcp, settings.tls) != OK) {
      if (!settings.quiet)
        std::fprintf(stderr, "TLS setup failed: %s\n", secure->get_last_error().c_str());
      return nullptr;
    }
    stream = secure;
  }
  std::unique_ptr<WebSocketPeer> peer = WebSocketPeer::create();
  peer->set_inbound_buffer_size(settings.max_message);
  peer->set_outbound_buffer_size(0);
  peer->set_supported_protocols(settings.protocols);
  peer->set_deflate_options(settings.deflate);
  peer->set_handshake_timeout(settings.handshake_timeout);
  peer->set_close_timeout(settings.close_timeout);
  peer->set_heartbeat_interval(settings.heartbeat_interval);
  peer->set_keep_request_headers(false);  // only the path is logged, and it is kept anyway
  if (peer->accept_stream(stream) != OK) return nullptr;
  return peer;
}

void log_open(WebSocketPeer& peer) {
  const std::string& extensions = peer.get_selected_extensions();
  std::fprintf(stderr, "open: %s:%d %s%s%s%s\n", peer.get_connected_host().c_str(),
               peer.get_connected_port(), peer.get_request_path().c_str(),
               extensions.empty() ? "" : " (", extensions.c_str(), extensions.empty() ? "" : ")");
}

}  // namespace

size_t serve_echo(TCPServer& server, const EchoSettings& settings, const std::atomic<bool>& stop) {
  PeerPoller poller;
  poller.set_busy_poll(std::chrono::microseconds(settings.busy_poll_us));
  poller.set_limits(settings.limits);
  poller.add_server(&server);
  // The poller owns the clients: the echo keeps nothing per client of its own (whether one was
  // logged open is seen from the state change within a poll).
  size_t accepted = 0;
  bool stopping = false;
  Clock::time_point stop_deadline{};

  while (true) {
    if (stop.load(std::memory_order_relaxed) && !stopping) {
      stopping = true;
      stop_deadline = Clock::now() + std::chrono::seconds(2);
      poller.remove_server(&server);
      server.stop();
      for (WebSocketPeer* client : poller.peers()) {
        client->close(kCloseGoingAway, "server shutting down");
        poller.update(client);
      }
    }
    if (stopping && (poller.size() == 0 || Clock::now() > stop_deadline)) break;

    const std::vector<WebSocketPeer*>& ready = poller.wait(stopping ? 50 : 500);
    for (TCPServer* listening : poller.ready_servers()) {
      while (auto tcp = listening->take_connection()) {
        std::unique_ptr<WebSocketPeer> peer = accept_client(std::move(tcp), settings);
        if (peer && poller.add(std::move(peer))) ++accepted;
      }
    }
    for (WebSocketPeer* raw : ready) {
      WebSocketPeer& peer = *raw;
      const bool was_connecting = peer.get_ready_state() == WebSocketPeer::STATE_CONNECTING;
      peer.poll();
      if (was_connecting && peer.get_ready_state() == WebSocketPeer::STATE_OPEN &&
          !settings.quiet) {
        log_open(peer);
      }
      echo_pending(peer, kMaxBufferedReplies);
      if (peer.get_ready_state() == WebSocketPeer::STATE_CLOSED) {
        if (!settings.quiet) {
          std::fprintf(stderr, "closed: code %d%s%s\n", peer.get_close_code(),
                       peer.get_last_error().empty() ? "" : ", ", peer.get_last_error().c_str());
        }
        poller.remove(raw);  // and destroys it
      }
    }
  }
  return accepted;
}

}  // namespace wsp::tool
