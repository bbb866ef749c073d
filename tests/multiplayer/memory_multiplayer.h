// An in-memory MultiplayerPeer network for testing the session layer without sockets: one
// server and any number of clients, with the transport rules of WebSocketMultiplayerPeer (a
// client's packets all go to the server, which attributes them to the client; the server's reach
// the peers it targets; joins and leaves are seen at the next poll()).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "wspeer/multiplayer/multiplayer_peer.h"

namespace wsp::test {

class MemoryNetwork;

class MemoryMultiplayerPeer : public MultiplayerPeer {
 public:
  MemoryMultiplayerPeer(MemoryNetwork* network, int id) : network_(network), id_(id) {}

  int get_available_packet_count() const override { return static_cast<int>(inbox_.size()); }
  Error get_packet(const uint8_t** buffer, int* size) override {
    if (inbox_.empty()) return ERR_UNAVAILABLE;
    current_ = std::move(inbox_.front());
    inbox_.pop_front();
    *buffer = current_.bytes.data();
    *size = static_cast<int>(current_.bytes.size());
    return OK;
  }
  Error put_packet(const uint8_t* buffer, int size) override;
  int get_max_packet_size() const override { return 1 << 20; }
  int get_packet_peer() const override { return inbox_.empty() ? 1 : inbox_.front().from; }
  void disconnect_peer(int peer, bool force) override;
  bool is_server() const override { return id_ == 1; }
  void poll() override;
  void close() override;
  int get_unique_id() const override { return status_ == CONNECTION_CONNECTED ? id_ : 0; }
  ConnectionStatus get_connection_status() const override { return status_; }
  bool is_server_relay_supported() const override { return true; }
  std::string get_peer_room(int id) const override;

  /// Packets this peer sent, in order (to check what a session put on the wire).
  struct Sent {
    int to;
    std::vector<uint8_t> bytes;
  };
  std::vector<Sent> sent;

 private:
  friend class MemoryNetwork;
  struct Packet {
    int from;
    std::vector<uint8_t> bytes;
  };
  MemoryNetwork* network_;  ///< owns this peer
  int id_;
  ConnectionStatus status_ = CONNECTION_CONNECTING;
  std::deque<Packet> inbox_;
  Packet current_;
  std::vector<PeerEvent> pending_events_;  ///< seen at the next poll()
};

class MemoryNetwork {
 public:
  static std::shared_ptr<MemoryNetwork> create() { return std::make_shared<MemoryNetwork>(); }

  std::shared_ptr<MemoryMultiplayerPeer> server() {
    if (!server_) {
      server_ = std::make_shared<MemoryMultiplayerPeer>(this, 1);
      server_->status_ = MultiplayerPeer::CONNECTION_CONNECTED;
    }
    return server_;
  }
  /// A client of `room` with the given id; it connects at its first poll().
  std::shared_ptr<MemoryMultiplayerPeer> client(int id, const std::string& room = "") {
    auto peer = std::make_shared<MemoryMultiplayerPeer>(this, id);
    clients_[id] = peer;
    rooms_[id] = room;
    server()->pending_events_.push_back({MultiplayerPeer::PeerEvent::PEER_CONNECTED, id});
    peer->pending_events_.push_back({MultiplayerPeer::PeerEvent::PEER_CONNECTED, 1});
    return peer;
  }

  void deliver(int from, int to, const uint8_t* data, int size) {
    MemoryMultiplayerPeer* target = to == 1 ? server_.get() : find(to);
    if (!target || target->status_ == MultiplayerPeer::CONNECTION_DISCONNECTED) return;
    target->inbox_.push_back({from, std::vector<uint8_t>(data, data + size)});
  }
  // The connection between the server and `id` ends (from either side).
  void cut(int id, bool tell_server, bool tell_client) {
    MemoryMultiplayerPeer* client = find(id);
    if (!client) return;
    if (tell_server) {
      server_->pending_events_.push_back({MultiplayerPeer::PeerEvent::PEER_DISCONNECTED, id});
    }
    if (tell_client) {
      client->pending_events_.push_back({MultiplayerPeer::PeerEvent::PEER_DISCONNECTED, 1});
    }
    client->inbox_.clear();
    client->status_ = MultiplayerPeer::CONNECTION_DISCONNECTED;
    clients_.erase(id);
  }
  std::string room_of(int id) const {
    const auto found = rooms_.find(id);
    return found == rooms_.end() ? "" : found->second;
  }
  MemoryMultiplayerPeer* find(int id) {
    const auto found = clients_.find(id);
    return found == clients_.end() ? nullptr : found->second.get();
  }

 private:
  std::shared_ptr<MemoryMultiplayerPeer> server_;
  std::map<int, std::shared_ptr<MemoryMultiplayerPeer>> clients_;
  std::map<int, std::string> rooms_;
};

inline Error MemoryMultiplayerPeer::put_packet(const uint8_t* buffer, int size) {
  if (status_ != CONNECTION_CONNECTED) return ERR_UNCONFIGURED;
  const int target = is_server() ? get_target_peer() : 1;
  sent.push_back({target, std::vector<uint8_t>(buffer, buffer + size)});
  if (target > 0) {
    if (is_server() && !network_->find(target)) return ERR_INVALID_PARAMETER;
    network_->deliver(id_, target, buffer, size);
    return OK;
  }
  return ERR_INVALID_PARAMETER;  // the session sends to one peer at a time here
}

inline void MemoryMultiplayerPeer::disconnect_peer(int peer, bool force) {
  if (is_server()) {
    network_->cut(peer, /*tell_server=*/!force, /*tell_client=*/true);
  } else {
    close();
  }
}

inline void MemoryMultiplayerPeer::poll() {
  if (!is_server() && status_ == CONNECTION_CONNECTING) status_ = CONNECTION_CONNECTED;
  for (const PeerEvent& event : pending_events_) {
    emit(event.type, event.peer);
    if (!is_server() && event.type == PeerEvent::PEER_DISCONNECTED) {
      status_ = CONNECTION_DISCONNECTED;
    }
  }
  pending_events_.clear();
}

inline void MemoryMultiplayerPeer::close() {
  if (!is_server()) network_->cut(id_, /*tell_server=*/true, /*tell_client=*/false);
  status_ = CONNECTION_DISCONNECTED;
}

inline std::string MemoryMultiplayerPeer::get_peer_room(int id) const {
  return network_->room_of(id);
}

}  // namespace wsp::test
