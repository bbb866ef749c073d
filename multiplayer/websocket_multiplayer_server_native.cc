// WebSocketMultiplayerPeer's server, native builds: a TCPServer and a PeerPoller. Each client's
// request is decided (join policy, room) before the 101; once open it gets its id as its first
// message. Received packets stay in their peer's queue: the server keeps only the order of
// their sources, so a packet is copied once, by the peer that received it.
#include <algorithm>
#include <deque>
#include <map>
#include <unordered_map>

#include "wspeer/multiplayer/session_packet.h"
#include "wspeer/multiplayer/websocket_multiplayer_peer.h"
#include "wspeer/platform/native/peer_poller.h"
#include "wspeer/platform/native/stream_peer_tls.h"
#include "wspeer/platform/native/tcp_server.h"

namespace wsp {

struct WebSocketMultiplayerPeer::Server {
  struct Connected {
    std::unique_ptr<WebSocketPeer> peer;
    std::string room;
    int listed = 0;        ///< its packets counted in `order`
    bool gone = false;     ///< closed; kept until its packets are taken
    bool closing = false;  ///< disconnect_peer(): its close handshake runs out, then it goes
  };

  TCPServer listener;
  PeerPoller poller;
  std::shared_ptr<const TLSOptions> tls;
  /// Accepted, not open yet: the room decided for each (when decided).
  std::unordered_map<WebSocketPeer*, std::unique_ptr<WebSocketPeer>> pending;
  std::unordered_map<WebSocketPeer*, std::string> pending_room;
  std::map<int, Connected> connected;
  std::unordered_map<WebSocketPeer*, int> id_of;
  std::deque<int> order;     ///< the source of every packet not taken yet, in arrival order
  std::vector<int> retired;  ///< gone peers whose last packet was taken (freed at the next call)
  /// A round of the poller (wait()'s answer), taken by wait() or by poll(), and processed by
  /// poll(): copied, because processing adds and removes peers.
  std::vector<WebSocketPeer*> ready;
  bool listener_ready = false;
  bool round_taken = false;

  void take_round(int timeout_ms) {
    const std::vector<WebSocketPeer*>& round = poller.wait(timeout_ms);
    ready.assign(round.begin(), round.end());
    listener_ready = !poller.ready_servers().empty();
    round_taken = true;
  }

  void free_retired() {
    for (int id : retired) connected.erase(id);
    retired.clear();
  }
};

// Here, where the server's state is a complete type.
WebSocketMultiplayerPeer::WebSocketMultiplayerPeer() = default;
WebSocketMultiplayerPeer::~WebSocketMultiplayerPeer() { clear(); }

Error WebSocketMultiplayerPeer::start_server(int port, const std::string& bind_address,
                                             std::shared_ptr<const TLSOptions> tls) {
  auto server = std::make_unique<Server>();
  if (const Error error = server->listener.listen(port, bind_address); error != OK) return error;
  server->tls = std::move(tls);
  server->poller.add_server(&server->listener);
  server_ = std::move(server);
  return OK;
}

void WebSocketMultiplayerPeer::clear() {
  if (server_) {
    for (auto& [raw, peer] : server_->pending) server_->poller.remove(raw);
    for (auto& [id, connected] : server_->connected) {
      if (!connected.gone || connected.closing) server_->poller.remove(connected.peer.get());
    }
  }
  server_.reset();
  client_.reset();
  status_ = CONNECTION_DISCONNECTED;
  unique_id_ = 0;
  clear_events();
}

void WebSocketMultiplayerPeer::server_wait(int timeout_ms) {
  // The round is kept for the next poll(): a peer reported now is not reported again.
  if (!server_->round_taken) server_->take_round(timeout_ms);
}

PeerPoller* WebSocketMultiplayerPeer::server_poller() const { return &server_->poller; }

int WebSocketMultiplayerPeer::server_local_port() const {
  return server_->listener.get_local_port();
}

void WebSocketMultiplayerPeer::poll_server() {
  Server& server = *server_;
  server.free_retired();
  if (!server.round_taken) server.take_round(0);
  server.round_taken = false;
  if (server.listener_ready) {
    while (auto tcp = server.listener.take_connection()) {
      std::shared_ptr<StreamPeer> stream = tcp;
      if (server.tls) {
        auto secure = std::make_shared<StreamPeerTLS>();
        if (secure->accept_stream(tcp, server.tls) != OK) continue;
        stream = secure;
      }
      std::unique_ptr<WebSocketPeer> peer = make_peer();
      peer->set_manual_accept(true);  // the join policy decides before the 101
      if (peer->accept_stream(stream) != OK) continue;
      WebSocketPeer* raw = peer.get();
      server.pending.emplace(raw, std::move(peer));
      server.poller.add(raw);
    }
  }
  for (WebSocketPeer* peer : server.ready) {
    peer->poll();
    if (const auto pending = server.pending.find(peer); pending != server.pending.end()) {
      if (peer->is_request_pending()) {
        if (is_refusing_new_connections()) {
          peer->reject_request(503, {"Retry-After: 5"},
                               "This server is not accepting new connections.\n");
        } else {
          const JoinDecision decision =
              join_policy_ ? join_policy_(*peer) : default_join_decision(*peer);
          if (decision.accept) {
            server.pending_room[peer] = decision.room;
            peer->accept_request("", decision.headers);
          } else {
            peer->reject_request(decision.status, decision.headers, decision.reason);
          }
        }
        server.poller.update(peer);
      }
      if (peer->get_ready_state() == WebSocketPeer::STATE_OPEN) {
        int id = generate_unique_id();
        while (server.connected.count(id) > 0) id = generate_unique_id();
        std::vector<uint8_t> id_message;
        session::append_int32(&id_message, id);
        if (peer->put_packet(id_message.data(), static_cast<int>(id_message.size())) != OK) {
          peer->close(-1);
        } else {
          Server::Connected connected{std::move(pending->second), server.pending_room[peer]};
          server.pending_room.erase(peer);
          server.pending.erase(pending);
          server.id_of[peer] = id;
          server.connected.emplace(id, std::move(connected));
          emit(PeerEvent::PEER_CONNECTED, id);
          server.poller.update(peer);
        }
      }
      if (peer->get_ready_state() == WebSocketPeer::STATE_CLOSED) {
        server.poller.remove(peer);
        server.pending_room.erase(peer);
        server.pending.erase(peer);
      }
      continue;
    }
    const auto found = server.id_of.find(peer);
    if (found == server.id_of.end()) continue;
    const int id = found->second;
    Server::Connected& connected = server.connected.at(id);
    if (connected.closing) {  // nothing it sends now is read
      if (peer->get_ready_state() == WebSocketPeer::STATE_CLOSED) {
        server.poller.remove(peer);
        server.id_of.erase(found);
        server.retired.push_back(id);
      }
      continue;
    }
    // New packets keep their place in the order of arrival; they stay in the peer's queue.
    for (int count = peer->get_available_packet_count(); connected.listed < count;
         ++connected.listed) {
      server.order.push_back(id);
    }
    if (peer->get_ready_state() == WebSocketPeer::STATE_CLOSED) {
      server.poller.remove(peer);
      server.id_of.erase(found);
      connected.gone = true;
      emit(PeerEvent::PEER_DISCONNECTED, id);
      if (connected.listed == 0) server.retired.push_back(id);
    }
  }
}

int WebSocketMultiplayerPeer::server_packet_count() const {
  return static_cast<int>(server_->order.size());
}

int WebSocketMultiplayerPeer::server_next_packet_source() const {
  return server_->order.empty() ? TARGET_PEER_SERVER : server_->order.front();
}

Error WebSocketMultiplayerPeer::server_get_packet(const uint8_t** buffer, int* size) {
  Server& server = *server_;
  server.free_retired();
  if (server.order.empty()) return ERR_UNAVAILABLE;
  const int id = server.order.front();
  server.order.pop_front();
  Server::Connected& connected = server.connected.at(id);
  --connected.listed;
  const Error error = connected.peer->get_packet(buffer, size);
  // A peer that left goes once its last packet is taken; the view stays valid until then.
  if (connected.gone && connected.listed == 0) server.retired.push_back(id);
  return error;
}

WebSocketPeer* WebSocketMultiplayerPeer::server_peer(int id) const {
  const auto found = server_->connected.find(id);
  return found == server_->connected.end() || found->second.gone ? nullptr
                                                                 : found->second.peer.get();
}

std::string WebSocketMultiplayerPeer::server_peer_room(int id) const {
  const auto found = server_->connected.find(id);
  return found == server_->connected.end() ? "" : found->second.room;
}

Error WebSocketMultiplayerPeer::server_put(int target, const uint8_t* buffer, int size) {
  Server& server = *server_;
  const auto send = [&](Server::Connected& connected) {
    WebSocketPeer& peer = *connected.peer;
    Error error = peer.put_packet(std::span<const uint8_t>(buffer, static_cast<size_t>(size)));
    if (error == ERR_OUT_OF_MEMORY && peer.get_ready_state() == WebSocketPeer::STATE_OPEN) {
      // Its outbound limits are full: it reads too slowly for what is sent to it.
      if (slow_peer_policy_ == SLOW_PEER_DROP) {
        ++dropped_packets_;
      } else {
        ++slow_peers_disconnected_;
        peer.close(1008, "Too slow: the packets for you exceeded the server's buffer for you.");
      }
    }
    server.poller.update(&peer);  // written now, or when the socket has room
    return error;
  };
  if (target > 0) {
    const auto found = server.connected.find(target);
    if (found == server.connected.end() || found->second.gone) return ERR_INVALID_PARAMETER;
    return send(found->second);
  }
  // Everyone (but -target); one peer's error does not stop the others (Godot returns OK too).
  for (auto& [id, connected] : server.connected) {
    if (!connected.gone && id != -target) send(connected);
  }
  return OK;
}

void WebSocketMultiplayerPeer::server_disconnect(int id, bool force) {
  Server& server = *server_;
  const auto found = server.connected.find(id);
  if (found == server.connected.end() || found->second.gone) return;
  WebSocketPeer* peer = found->second.peer.get();
  // A clean close: the peer stays with the poller until its close handshake ends (bounded by
  // close_timeout), but it is nobody's peer from now on.
  peer->close(1000);
  server.poller.update(peer);
  found->second.gone = true;
  found->second.closing = true;
  if (!force) emit(PeerEvent::PEER_DISCONNECTED, id);
  // Its unread packets are of no use to anyone now.
  server.order.erase(std::remove(server.order.begin(), server.order.end(), id), server.order.end());
  found->second.listed = 0;
}

}  // namespace wsp
