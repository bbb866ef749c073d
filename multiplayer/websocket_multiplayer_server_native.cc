// WebSocketMultiplayerPeer's server, native builds: a TCPServer and a PeerPoller. Each client's
// request is decided (join policy, room) before the 101; once open it gets its id as its first
// message. Received packets stay in their peer's queue: the server keeps only the order of
// their sources, so a packet is copied once, by the peer that received it.
#include <algorithm>
#include <chrono>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>

#include "wspeer/core/close_code.h"
#include "wspeer/multiplayer/resume.h"
#include "wspeer/multiplayer/session_packet.h"
#include "wspeer/multiplayer/websocket_multiplayer_peer.h"
#include "wspeer/platform/native/peer_poller.h"
#include "wspeer/platform/native/stream_peer_tls.h"
#include "wspeer/platform/native/tcp_server.h"

namespace wsp {

/// A connection a returned member had before, kept while its packets wait to be taken.
struct EarlierConnection {
  std::unique_ptr<WebSocketPeer> peer;
  int listed = 0;
};

struct WebSocketMultiplayerPeer::Member {
  using Clock = std::chrono::steady_clock;
  std::unique_ptr<WebSocketPeer> peer;
  std::string room;
  int listed = 0;        ///< its packets counted in `order`
  bool gone = false;     ///< closed; kept until its packets are taken
  bool closing = false;  ///< disconnect_peer(): its close handshake runs out, then it goes
  std::string token;     ///< its secret to come back with (empty: it cannot)
  std::optional<Clock::time_point> away_until;  ///< dropped: its place is kept until then
  std::unique_ptr<resume::HeldPackets> held;    ///< packets for it while away
  std::deque<EarlierConnection> earlier;        ///< older packets first
  bool has_packets() const { return listed > 0 || !earlier.empty(); }
};

struct WebSocketMultiplayerPeer::Admission {
  std::string room;
  std::optional<std::string> returning;  ///< the token it comes back with
  bool can_resume = false;  ///< it offered the resume sub-protocol (and we keep places)
};

struct WebSocketMultiplayerPeer::Server {
  using Clock = Member::Clock;
  TCPServer listener;
  PeerPoller poller;
  std::shared_ptr<const TLSOptions> tls;
  /// Accepted, not open yet: the room decided for each (when decided).
  std::unordered_map<WebSocketPeer*, std::unique_ptr<WebSocketPeer>> pending;
  std::unordered_map<WebSocketPeer*, Admission> admission;
  std::map<int, Member> connected;
  std::unordered_map<WebSocketPeer*, int> id_of;
  std::unordered_map<std::string, int> by_token;      ///< the peers that may come back
  std::set<int> away;                                 ///< the peers whose place is kept
  std::vector<std::unique_ptr<WebSocketPeer>> spent;  ///< earlier connections, freed next call
  std::deque<int> order;      ///< the source of every packet not taken yet, in arrival order
  PreparedMessage broadcast;  ///< a packet for several peers, framed once
  std::vector<int> retired;   ///< gone peers whose last packet was taken (freed at the next call)
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
    spent.clear();
  }

  /// It will not come back: nobody may return as it any more.
  void forget_place(Member& c, int id) {
    if (!c.token.empty()) by_token.erase(c.token);
    c.token.clear();
    c.away_until.reset();
    c.held.reset();
    away.erase(id);
  }
};

// Here, where the server's state is a complete type.
WebSocketMultiplayerPeer::WebSocketMultiplayerPeer() = default;
WebSocketMultiplayerPeer::~WebSocketMultiplayerPeer() { clear(); }

Error WebSocketMultiplayerPeer::start_server(int port, const std::string& bind_address,
                                             std::shared_ptr<const TLSOptions> tls) {
  auto server = std::make_unique<Server>();
  if (port >= 0) {  // -1: the application hands over the connections (accept_stream())
    if (!trusted_proxies_.empty()) {
      if (const Error error = server->listener.set_proxy_protocol(trusted_proxies_); error != OK) {
        return error;
      }
    }
    if (const Error error = server->listener.listen(port, bind_address); error != OK) return error;
    server->poller.add_server(&server->listener);
  }
  server->tls = std::move(tls);
  server_ = std::move(server);
  return OK;
}

void WebSocketMultiplayerPeer::clear() {
  if (server_) {
    for (auto& [raw, peer] : server_->pending) server_->poller.remove(raw);
    for (auto& [id, connected] : server_->connected) {
      if ((!connected.gone && !connected.away_until) || connected.closing) {
        server_->poller.remove(connected.peer.get());
      }
    }
  }
  server_.reset();
  clear_client();
  status_ = CONNECTION_DISCONNECTED;
  unique_id_ = 0;
  clear_events();
}

void WebSocketMultiplayerPeer::server_wait(int timeout_ms) {
  Server& server = *server_;
  // A place that runs out needs poll() then, even if no connection does anything.
  for (int id : server.away) {
    const auto left = *server.connected.at(id).away_until - Member::Clock::now();
    const auto ms =
        std::max<long long>(0, std::chrono::ceil<std::chrono::milliseconds>(left).count());
    if (timeout_ms < 0 || ms < timeout_ms) timeout_ms = static_cast<int>(ms);
  }
  // The round is kept for the next poll(): a peer reported now is not reported again.
  if (!server.round_taken) server.take_round(timeout_ms);
}

PeerPoller* WebSocketMultiplayerPeer::server_poller() const { return &server_->poller; }

int WebSocketMultiplayerPeer::server_local_port() const {
  return server_->listener.get_local_port();
}

void WebSocketMultiplayerPeer::poll_server() {
  Server& server = *server_;
  server.free_retired();
  expire_places();
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
      server_accept_stream(std::move(stream), {});
    }
  }
  for (WebSocketPeer* peer : server.ready) {
    if (const auto pending = server.pending.find(peer); pending != server.pending.end()) {
      peer->poll();
      if (peer->is_request_pending()) decide_request(*peer);
      if (peer->get_ready_state() == WebSocketPeer::STATE_OPEN &&
          server.admission.count(peer) > 0) {
        Admission admission = std::move(server.admission[peer]);
        server.admission.erase(peer);
        if (admission.returning) {
          welcome_back(pending->second, *admission.returning);
        } else {
          welcome(pending->second, admission);
        }
        if (server.pending.count(peer) == 0) continue;  // it is a member now
      }
      if (peer->get_ready_state() == WebSocketPeer::STATE_CLOSED) {
        server.poller.remove(peer);
        server.admission.erase(peer);
        server.pending.erase(peer);
      }
      continue;
    }
    const auto found = server.id_of.find(peer);
    if (found == server.id_of.end()) continue;
    peer->poll();
    const int id = found->second;
    Member& connected = server.connected.at(id);
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
      const int code = peer->get_close_code();
      // A drop, not a close it asked for: its place waits for it (without a word to the others).
      if (!connected.token.empty() && (code == kCloseUnclean || code == 1006)) {
        connected.away_until =
            Member::Clock::now() + std::chrono::duration_cast<Member::Clock::duration>(
                                       std::chrono::duration<double>(reconnect_grace_));
        connected.held = std::make_unique<resume::HeldPackets>(
            static_cast<size_t>(outbound_buffer_size_), static_cast<size_t>(max_queued_packets_));
        server.away.insert(id);
        continue;
      }
      leave(id, true);
    }
  }
}

Error WebSocketMultiplayerPeer::server_accept_stream(std::shared_ptr<StreamPeer> stream,
                                                     std::string_view pre_read) {
  Server& server = *server_;
  std::unique_ptr<WebSocketPeer> peer = make_peer();
  // Selected when a client offers it and nothing of the application's: some clients (Node's
  // ws) fail when none of the sub-protocols they offered is selected.
  peer->set_supported_protocols(protocols_with_resume());
  peer->set_manual_accept(true);  // the join policy decides before the 101
  if (const Error error = peer->accept_stream(std::move(stream), pre_read); error != OK) {
    return error;
  }
  WebSocketPeer* raw = peer.get();
  server.pending.emplace(raw, std::move(peer));
  server.poller.add(raw);
  return OK;
}

void WebSocketMultiplayerPeer::decide_request(WebSocketPeer& peer) {
  Server& server = *server_;
  const std::vector<std::string> offered = peer.get_requested_protocols();
  std::optional<std::string> returning = resume::offered_token(offered);
  if (is_refusing_new_connections() && !returning) {  // one coming back is not new
    peer.reject_request(503, {"Retry-After: 5"}, "This server is not accepting new connections.\n");
  } else {
    const JoinDecision decision = join_policy_ ? join_policy_(peer) : default_join_decision(peer);
    if (decision.accept) {
      server.admission[&peer] = {decision.room, std::move(returning),
                                 reconnect_grace_ > 0 && resume::offers_resume(offered)};
      peer.accept_request("", decision.headers);
    } else {
      peer.reject_request(decision.status, decision.headers, decision.reason);
    }
  }
  server.poller.update(&peer);
}

void WebSocketMultiplayerPeer::welcome(std::unique_ptr<WebSocketPeer>& pending,
                                       const Admission& admission) {
  Server& server = *server_;
  WebSocketPeer* peer = pending.get();
  int id = new_peer_id();
  while (server.connected.count(id) > 0) id = new_peer_id();
  const std::string token = admission.can_resume ? resume::make_token() : std::string();
  const std::vector<uint8_t> message = resume::welcome(id, token);
  if (peer->put_packet(message.data(), static_cast<int>(message.size())) != OK) {
    peer->close(-1);
    return;
  }
  Member connected;
  connected.peer = std::move(pending);
  connected.room = admission.room;
  connected.token = token;
  if (!token.empty()) server.by_token[token] = id;
  server.pending.erase(peer);
  server.id_of[peer] = id;
  server.connected.emplace(id, std::move(connected));
  emit(PeerEvent::PEER_CONNECTED, id);
  server.poller.update(peer);
}

void WebSocketMultiplayerPeer::welcome_back(std::unique_ptr<WebSocketPeer>& pending,
                                            const std::string& token) {
  Server& server = *server_;
  WebSocketPeer* peer = pending.get();
  const auto place = server.by_token.find(token);
  if (place == server.by_token.end()) {
    peer->close(resume::kPlaceGoneCode, "The place to come back to is gone.");
    server.poller.update(peer);
    return;
  }
  const int id = place->second;
  Member& connected = server.connected.at(id);
  if (!connected.away_until) {
    // It came back before its old connection was seen to drop (a half-open TCP connection):
    // the token proves who it is, so the old connection goes now.
    WebSocketPeer* old = connected.peer.get();
    server.poller.remove(old);
    server.id_of.erase(old);
    old->close(-1);
  }
  // Packets its earlier connection received stay readable, before the new ones.
  if (connected.listed > 0) {
    connected.earlier.push_back({std::move(connected.peer), connected.listed});
  } else {
    server.spent.push_back(std::move(connected.peer));
  }
  connected.listed = 0;
  connected.peer = std::move(pending);
  server.pending.erase(peer);
  server.id_of[peer] = id;
  server.away.erase(id);
  connected.away_until.reset();
  server.by_token.erase(place);
  connected.token = resume::make_token();
  server.by_token[connected.token] = id;
  std::unique_ptr<resume::HeldPackets> held = std::move(connected.held);
  const std::vector<uint8_t> message = resume::welcome(id, connected.token);
  Error error = peer->put_packet(message.data(), static_cast<int>(message.size()));
  while (error == OK && held && !held->empty()) {
    error = peer->put_packet(held->front().data(), static_cast<int>(held->front().size()));
    held->pop_front();
  }
  if (error != OK) peer->close(1008, "Too slow: the packets held for you do not fit any more.");
  server.poller.update(peer);
}

void WebSocketMultiplayerPeer::expire_places() {
  Server& server = *server_;
  if (server.away.empty()) return;
  const auto now = Member::Clock::now();
  std::vector<int> expired;
  for (int id : server.away) {
    if (now >= *server.connected.at(id).away_until) expired.push_back(id);
  }
  for (int id : expired) leave(id, true);
}

void WebSocketMultiplayerPeer::leave(int id, bool tell) {
  Server& server = *server_;
  Member& connected = server.connected.at(id);
  server.forget_place(connected, id);
  connected.gone = true;
  if (tell) emit(PeerEvent::PEER_DISCONNECTED, id);
  if (!connected.has_packets()) server.retired.push_back(id);
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
  Member& connected = server.connected.at(id);
  Error error = OK;
  if (!connected.earlier.empty()) {  // what an earlier connection of a returned peer received
    EarlierConnection& earlier = connected.earlier.front();
    error = earlier.peer->get_packet(buffer, size);
    if (--earlier.listed == 0) {
      server.spent.push_back(std::move(earlier.peer));  // the view stays valid until then
      connected.earlier.pop_front();
    }
  } else {
    --connected.listed;
    error = connected.peer->get_packet(buffer, size);
  }
  // A peer that left goes once its last packet is taken; the view stays valid until then.
  if (connected.gone && !connected.has_packets()) server.retired.push_back(id);
  return error;
}

WebSocketPeer* WebSocketMultiplayerPeer::server_peer(int id) const {
  const auto found = server_->connected.find(id);
  if (found == server_->connected.end() || found->second.gone || found->second.away_until) {
    return nullptr;
  }
  return found->second.peer.get();
}

std::string WebSocketMultiplayerPeer::server_peer_room(int id) const {
  const auto found = server_->connected.find(id);
  return found == server_->connected.end() ? "" : found->second.room;
}

// One recipient: its send path writes straight from `buffer`. Several: the packet is framed
// once and every recipient writes (or holds a reference to) the same bytes.
Error WebSocketMultiplayerPeer::server_put(int target, const uint8_t* buffer, int size) {
  Server& server = *server_;
  const std::span<const uint8_t> packet(buffer, static_cast<size_t>(size));
  if (target > 0) {
    const auto found = server.connected.find(target);
    if (found == server.connected.end() || found->second.gone) return ERR_INVALID_PARAMETER;
    return server_send(found->second, target, packet, nullptr);
  }
  server.broadcast.prepare(packet);
  // Everyone (but -target); one peer's error does not stop the others (Godot returns OK too).
  for (auto& [id, connected] : server.connected) {
    if (!connected.gone && id != -target) server_send(connected, id, packet, &server.broadcast);
  }
  return OK;
}

Error WebSocketMultiplayerPeer::server_put_to_peers(std::span<const int> peers,
                                                    const uint8_t* buffer, int size) {
  Server& server = *server_;
  const std::span<const uint8_t> packet(buffer, static_cast<size_t>(size));
  if (peers.size() > 1) server.broadcast.prepare(packet);
  Error result = OK;
  for (int id : peers) {
    const auto found = server.connected.find(id);
    Error error = ERR_INVALID_PARAMETER;
    if (found != server.connected.end() && !found->second.gone) {
      error =
          server_send(found->second, id, packet, peers.size() > 1 ? &server.broadcast : nullptr);
    }
    if (error != OK) result = error;
  }
  return result;
}

Error WebSocketMultiplayerPeer::server_send(Member& connected, int id,
                                            std::span<const uint8_t> packet,
                                            const PreparedMessage* prepared) {
  if (connected.away_until) {  // held for its return, within the limits its connection had
    if (connected.held->hold(packet)) return OK;
    if (slow_peer_policy_ == SLOW_PEER_DROP) {
      ++dropped_packets_;
    } else {
      ++slow_peers_disconnected_;
      leave(id, true);  // what it missed no longer fits: it cannot come back as if nothing happened
    }
    return ERR_OUT_OF_MEMORY;
  }
  WebSocketPeer& peer = *connected.peer;
  const Error error = prepared ? peer.send_prepared(*prepared) : peer.put_packet(packet);
  if (error == ERR_OUT_OF_MEMORY && peer.get_ready_state() == WebSocketPeer::STATE_OPEN) {
    // Its outbound limits are full: it reads too slowly for what is sent to it.
    if (slow_peer_policy_ == SLOW_PEER_DROP) {
      ++dropped_packets_;
    } else {
      ++slow_peers_disconnected_;
      peer.close(1008, "Too slow: the packets for you exceeded the server's buffer for you.");
    }
  }
  server_->poller.update(&peer);  // written now, or when the socket has room
  return error;
}

void WebSocketMultiplayerPeer::server_disconnect(int id, bool force) {
  Server& server = *server_;
  const auto found = server.connected.find(id);
  if (found == server.connected.end() || found->second.gone) return;
  Member& connected = found->second;
  // Its unread packets are of no use to anyone now.
  server.order.erase(std::remove(server.order.begin(), server.order.end(), id), server.order.end());
  connected.listed = 0;
  for (EarlierConnection& earlier : connected.earlier)
    server.spent.push_back(std::move(earlier.peer));
  connected.earlier.clear();
  if (connected.away_until) {  // it has no connection to close
    leave(id, !force);
    return;
  }
  server.forget_place(connected, id);
  WebSocketPeer* peer = connected.peer.get();
  // A clean close: the peer stays with the poller until its close handshake ends (bounded by
  // close_timeout), but it is nobody's peer from now on.
  peer->close(1000);
  server.poller.update(peer);
  connected.gone = true;
  connected.closing = true;
  if (!force) emit(PeerEvent::PEER_DISCONNECTED, id);
}

}  // namespace wsp
