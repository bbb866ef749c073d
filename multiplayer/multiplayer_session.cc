#include "wspeer/multiplayer/multiplayer_session.h"

#include <algorithm>

#include "wspeer/multiplayer/session_packet.h"

namespace wsp {

using session::ParsedPacket;
using session::SysCommand;

void MultiplayerSession::set_multiplayer_peer(std::shared_ptr<MultiplayerPeer> peer) {
  if (peer == peer_) return;
  clear();
  peer_ = std::move(peer);
  if (peer_ && bus_) peer_->set_peer_id_source([bus = bus_] { return bus->make_peer_id(); });
  update_status();
}

void MultiplayerSession::set_room_bus(RoomBus* bus) {
  if (bus_ && bus != bus_) {
    for (const auto& [id, room] : room_of_) bus_->leave(room, id);
  }
  if (bus && bus != bus_) {
    for (const auto& [id, room] : room_of_) bus->join(room, id);
  }
  bus_ = bus;
  if (!peer_) return;
  if (bus_) {
    peer_->set_peer_id_source([bus] { return bus->make_peer_id(); });
  } else {
    peer_->set_peer_id_source(nullptr);
  }
}

void MultiplayerSession::clear() {
  if (bus_) {  // this server's clients are gone from the other nodes' rooms too
    for (const auto& [id, room] : room_of_) bus_->leave(room, id);
  }
  last_status_ = MultiplayerPeer::CONNECTION_DISCONNECTED;
  pending_.clear();
  connected_.clear();
  room_of_.clear();
  rooms_.clear();
}

int MultiplayerSession::get_unique_id() const { return peer_ ? peer_->get_unique_id() : 0; }

bool MultiplayerSession::is_server() const { return get_unique_id() == 1; }

std::vector<int> MultiplayerSession::get_peer_ids() const {
  return std::vector<int>(connected_.begin(), connected_.end());
}

std::vector<int> MultiplayerSession::get_authenticating_peer_ids() const {
  std::vector<int> ids;
  for (const auto& [id, pending] : pending_) ids.push_back(id);
  return ids;
}

bool MultiplayerSession::take_event(Event* event) {
  if (events_.empty()) return false;
  *event = std::move(events_.front());
  events_.pop_front();
  return true;
}

void MultiplayerSession::emit(Event::Type type, int peer, std::span<const uint8_t> data) {
  events_.push_back({type, peer, std::vector<uint8_t>(data.begin(), data.end())});
}

Error MultiplayerSession::set_auth_timeout(double seconds) {
  if (!(seconds >= 0)) return ERR_INVALID_PARAMETER;  // 0: no timeout
  auth_timeout_ = std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000 + 0.5));
  return OK;
}

bool MultiplayerSession::relays() const {
  return server_relay_ && peer_ && peer_->is_server_relay_supported();
}

// ---------------------------------------------------------------------------------------------
// Connection status and the transport's peers

void MultiplayerSession::update_status() {
  const MultiplayerPeer::ConnectionStatus status =
      peer_ ? peer_->get_connection_status() : MultiplayerPeer::CONNECTION_DISCONNECTED;
  if (status == last_status_) return;
  if (status == MultiplayerPeer::CONNECTION_DISCONNECTED) {
    const bool was_connecting = last_status_ == MultiplayerPeer::CONNECTION_CONNECTING;
    clear();
    emit(was_connecting ? Event::CONNECTION_FAILED : Event::SERVER_DISCONNECTED, 1);
  }
  last_status_ = status;
}

void MultiplayerSession::poll() {
  update_status();
  if (last_status_ == MultiplayerPeer::CONNECTION_DISCONNECTED) return;
  peer_->poll();
  // Peers that connected come before their packets, peers that left after theirs: a packet
  // received just before its sender left is still processed.
  MultiplayerPeer::PeerEvent event;
  std::vector<int> left;
  while (peer_->take_event(&event)) {
    if (event.type == MultiplayerPeer::PeerEvent::PEER_CONNECTED) {
      add_peer(event.peer);
    } else {
      left.push_back(event.peer);
    }
  }
  while (peer_->get_available_packet_count() > 0) {
    const int from = peer_->get_packet_peer();
    const uint8_t* data = nullptr;
    int size = 0;
    if (peer_->get_packet(&data, &size) != OK) break;
    process(from, std::span<const uint8_t>(data, static_cast<size_t>(size)));
  }
  for (int id : left) del_peer(id, /*notify_application=*/true);
  expire_authentication();
  if (bus_ && is_server()) process_bus();
  update_status();
}

void MultiplayerSession::add_peer(int id) {
  if (auth_callback_) {
    pending_[id] = Pending{Clock::now()};
    emit(Event::PEER_AUTHENTICATING, id);
  } else {
    admit_peer(id);
  }
}

void MultiplayerSession::admit_peer(int id) {
  if (relays() && is_server()) {
    // Tell the room of the newcomer, and the newcomer of the room.
    const std::string room = peer_->get_peer_room(id);
    const auto members = rooms_.find(room);
    if (members != rooms_.end() && !members->second.empty()) {
      const std::vector<int> others(members->second.begin(), members->second.end());
      scratch_.clear();
      session::append_sys(&scratch_, SysCommand::kAddPeer, id);
      send_to_many(others, scratch_);
      for (int other : others) {
        scratch_.clear();
        session::append_sys(&scratch_, SysCommand::kAddPeer, other);
        send_to(id, scratch_);
      }
    }
    if (bus_) {  // and of the room's members on the other nodes
      for (int other : bus_->remote_members(room)) {
        scratch_.clear();
        session::append_sys(&scratch_, SysCommand::kAddPeer, other);
        send_to(id, scratch_);
      }
    }
  }
  connected_.insert(id);
  if (is_server()) {
    const std::string room = peer_->get_peer_room(id);
    room_of_[id] = room;
    rooms_[room].insert(id);
    if (bus_) bus_->join(room, id);
  }
  if (id == 1) emit(Event::CONNECTED_TO_SERVER, 1);
  emit(Event::PEER_CONNECTED, id);
}

void MultiplayerSession::del_peer(int id, bool notify_application) {
  if (pending_.erase(id) > 0) {
    emit(Event::PEER_AUTHENTICATION_FAILED, id);
    return;
  }
  if (connected_.count(id) == 0) return;
  const std::vector<int> mates = room_mates(id);
  if (relays() && is_server() && !mates.empty()) {
    scratch_.clear();
    session::append_sys(&scratch_, SysCommand::kDelPeer, id);
    send_to_many(mates, scratch_);
  }
  connected_.erase(id);
  if (const auto room = room_of_.find(id); room != room_of_.end()) {
    if (bus_) bus_->leave(room->second, id);
    auto members = rooms_.find(room->second);
    members->second.erase(id);
    if (members->second.empty()) rooms_.erase(members);  // empty rooms disappear
    room_of_.erase(room);
  }
  if (notify_application) emit(Event::PEER_DISCONNECTED, id);
}

void MultiplayerSession::disconnect_peer(int id) {
  if (!peer_ || last_status_ != MultiplayerPeer::CONNECTION_CONNECTED) return;
  del_peer(id, /*notify_application=*/false);
  peer_->disconnect_peer(id);
}

void MultiplayerSession::expire_authentication() {
  if (pending_.empty() || auth_timeout_.count() == 0) return;
  const Clock::time_point now = Clock::now();
  std::vector<int> expired;
  for (const auto& [id, pending] : pending_) {
    if (now - pending.since >= auth_timeout_) expired.push_back(id);
  }
  for (int id : expired) {
    peer_->disconnect_peer(id, /*force=*/true);
    pending_.erase(id);
    emit(Event::PEER_AUTHENTICATION_FAILED, id);
  }
}

std::vector<int> MultiplayerSession::room_mates(int id) const {
  std::vector<int> mates;
  const auto room = room_of_.find(id);
  if (room == room_of_.end()) return mates;
  for (int member : rooms_.at(room->second)) {
    if (member != id) mates.push_back(member);
  }
  return mates;
}

// ---------------------------------------------------------------------------------------------
// Receiving

void MultiplayerSession::process(int from, std::span<const uint8_t> packet) {
  const ParsedPacket parsed = session::parse(packet);
  if (const auto pending = pending_.find(from); pending != pending_.end()) {
    // A peer in authentication sends nothing but AUTH.
    if (parsed.kind != ParsedPacket::Kind::kAuth) {
      ++refusals_.unauthenticated;
      return;
    }
    if (!parsed.payload.empty()) {
      if (auth_callback_) auth_callback_(from, parsed.payload);
      return;
    }
    pending->second.remote = true;  // the remote side completed
    if (pending->second.local) {
      pending_.erase(pending);
      admit_peer(from);
    }
    return;
  }
  if (connected_.count(from) == 0) return;  // gone, or never admitted
  switch (parsed.kind) {
    case ParsedPacket::Kind::kRaw:
      emit(Event::PEER_PACKET, from, parsed.payload);
      return;
    case ParsedPacket::Kind::kAuth:
      // After admission only the completion notice may come (it crossed ours): nothing to do.
      if (!parsed.payload.empty()) ++refusals_.malformed;
      return;
    case ParsedPacket::Kind::kAddPeer:
    case ParsedPacket::Kind::kDelPeer:
    case ParsedPacket::Kind::kRelay:
      process_sys(from, parsed);
      return;
    case ParsedPacket::Kind::kUnsupported:
      ++refusals_.unsupported;
      return;
    case ParsedPacket::Kind::kInvalid:
      ++refusals_.malformed;
      return;
  }
}

void MultiplayerSession::process_sys(int from, const ParsedPacket& packet) {
  if (!relays()) {
    ++refusals_.relay_refused;
    return;
  }
  if (is_server()) {
    // Clients may only ask for relaying; the source of what is relayed is the sender, always.
    if (packet.kind != ParsedPacket::Kind::kRelay) {
      ++refusals_.malformed;
      return;
    }
    relay(from, packet.peer, packet.payload);
    return;
  }
  if (from != 1) {  // only the server speaks for the others
    ++refusals_.malformed;
    return;
  }
  switch (packet.kind) {
    case ParsedPacket::Kind::kAddPeer:
      if (packet.peer > 1 && packet.peer != get_unique_id() && connected_.count(packet.peer) == 0)
        admit_peer(packet.peer);  // relayed peers are accepted as they are
      return;
    case ParsedPacket::Kind::kDelPeer:
      del_peer(packet.peer, /*notify_application=*/true);
      return;
    default:  // RELAY: from the server, with the source it wrote
      if (packet.peer == get_unique_id() || packet.peer == 0) {
        ++refusals_.malformed;
        return;
      }
      process_payload(packet.peer, packet.payload);
      return;
  }
}

void MultiplayerSession::relay(int from, int target, std::span<const uint8_t> inner) {
  // A SYS packet inside a relay would be refused by whoever got it: it is not passed on.
  if (!inner.empty() &&
      (inner[0] & session::kCommandMask) == static_cast<uint8_t>(session::Command::kSys)) {
    ++refusals_.malformed;
    return;
  }
  const std::string& room = room_of_.at(from);
  scratch_.clear();
  session::append_sys(&scratch_, SysCommand::kRelay, from, inner);  // the source: the sender
  if (target > 0) {
    // One peer of the sender's room (not the server: packets for it come directly, and not
    // the sender itself).
    const auto to = room_of_.find(target);
    if (target != from && to == room_of_.end() && bus_ && bus_->is_remote_member(room, target)) {
      bus_->send(room, from, target, inner);  // on another node
      return;
    }
    if (target == from || to == room_of_.end() || to->second != room) {
      ++refusals_.relay_refused;
      return;
    }
    send_to(target, scratch_);
    return;
  }
  // Everyone in the room but the sender and the excluded one; the server too unless excluded.
  std::vector<int> targets;
  for (int member : rooms_.at(room)) {
    if (member != from && member != -target) targets.push_back(member);
  }
  send_to_many(targets, scratch_);
  if (bus_) bus_->send(room, from, target, inner);
  if (target != -1) process_payload(from, inner);
}

// ---------------------------------------------------------------------------------------------
// The room bus: the other nodes' members, told to ours as if they were here

void MultiplayerSession::process_bus() {
  bus_->poll();
  RoomBus::Event event;
  while (bus_->take_event(&event)) {
    const auto members = rooms_.find(event.room);
    if (members == rooms_.end()) continue;  // nobody here to tell
    if (event.type == RoomBus::Event::kPacket) {
      deliver_from_bus(event);
      continue;
    }
    emit(
        event.type == RoomBus::Event::kJoined ? Event::ROOM_MEMBER_JOINED : Event::ROOM_MEMBER_LEFT,
        event.peer);
    if (!relays()) continue;
    scratch_.clear();
    session::append_sys(
        &scratch_,
        event.type == RoomBus::Event::kJoined ? SysCommand::kAddPeer : SysCommand::kDelPeer,
        event.peer);
    send_to_many(std::vector<int>(members->second.begin(), members->second.end()), scratch_);
  }
}

void MultiplayerSession::deliver_from_bus(const RoomBus::Event& event) {
  const std::set<int>& members = rooms_.at(event.room);
  std::vector<int> targets;
  if (event.target > 0) {
    if (members.count(event.target) > 0) targets.push_back(event.target);
  } else {
    for (int member : members) {
      if (member != -event.target) targets.push_back(member);
    }
  }
  const ParsedPacket inner = session::parse(event.payload);
  if (inner.kind != ParsedPacket::Kind::kRaw) {  // only application bytes cross nodes
    ++refusals_.malformed;
    return;
  }
  if (event.peer == 1) {  // the other node's server: its packet goes out as it is
    send_to_many(targets, event.payload);
    return;
  }
  if (!relays()) return;
  scratch_.clear();
  session::append_sys(&scratch_, SysCommand::kRelay, event.peer, event.payload);
  send_to_many(targets, scratch_);
}

void MultiplayerSession::process_payload(int from, std::span<const uint8_t> packet) {
  const ParsedPacket parsed = session::parse(packet);
  if (parsed.kind == ParsedPacket::Kind::kRaw) {
    emit(Event::PEER_PACKET, from, parsed.payload);
  } else if (parsed.kind == ParsedPacket::Kind::kUnsupported) {
    ++refusals_.unsupported;
  } else {
    ++refusals_.malformed;  // a relayed SYS packet, or nothing
  }
}

// ---------------------------------------------------------------------------------------------
// Sending

Error MultiplayerSession::send_to(int id, std::span<const uint8_t> packet) {
  peer_->set_transfer_channel(0);
  peer_->set_transfer_mode(MultiplayerPeer::TRANSFER_MODE_RELIABLE);
  peer_->set_target_peer(id);
  return peer_->put_packet(packet.data(), static_cast<int>(packet.size()));
}

Error MultiplayerSession::send_to_many(const std::vector<int>& ids,
                                       std::span<const uint8_t> packet) {
  if (ids.empty()) return OK;
  return peer_->put_packet_to_peers(ids, packet.data(), static_cast<int>(packet.size()));
}

Error MultiplayerSession::send_bytes(std::span<const uint8_t> bytes, int id,
                                     MultiplayerPeer::TransferMode mode, int channel) {
  if (bytes.empty()) return ERR_INVALID_DATA;  // "Trying to send an empty raw packet."
  if (!peer_) return ERR_UNCONFIGURED;
  if (last_status_ != MultiplayerPeer::CONNECTION_CONNECTED) return ERR_UNCONFIGURED;
  scratch_.clear();
  if (!is_server() && relays() && id != MultiplayerPeer::TARGET_PEER_SERVER) {
    // Another client (or everyone): through the server, which writes us in as the source.
    std::vector<uint8_t> raw;
    session::append_raw(&raw, bytes);
    session::append_sys(&scratch_, SysCommand::kRelay, id, raw);
  } else {
    session::append_raw(&scratch_, bytes);
  }
  peer_->set_transfer_channel(channel);
  peer_->set_transfer_mode(mode);
  if (!is_server()) {
    if (scratch_[0] != static_cast<uint8_t>(session::Command::kSys)) {
      // Without relaying a client knows only the server.
      if (id > MultiplayerPeer::TARGET_PEER_SERVER) return ERR_INVALID_PARAMETER;
      if (id == -MultiplayerPeer::TARGET_PEER_SERVER) return OK;  // everyone but the server: no one
    }
    peer_->set_target_peer(MultiplayerPeer::TARGET_PEER_SERVER);
    return peer_->put_packet(scratch_.data(), static_cast<int>(scratch_.size()));
  }
  if (id > 0) {
    if (connected_.count(id) == 0 && bus_) {  // a member on another node
      const std::optional<std::string> room = bus_->remote_room(id);
      if (!room || rooms_.count(*room) == 0) return ERR_INVALID_PARAMETER;
      bus_->send(*room, 1, id, scratch_);
      return OK;
    }
    if (connected_.count(id) == 0) return ERR_INVALID_PARAMETER;
    peer_->set_target_peer(id);
    return peer_->put_packet(scratch_.data(), static_cast<int>(scratch_.size()));
  }
  std::vector<int> targets;
  for (int peer : connected_) {
    if (peer != -id) targets.push_back(peer);
  }
  return send_to_many(targets, scratch_);
}

Error MultiplayerSession::send_bytes_to_room(const std::string& room,
                                             std::span<const uint8_t> bytes, int except) {
  if (bytes.empty()) return ERR_INVALID_DATA;
  if (!peer_ || !is_server()) return ERR_UNCONFIGURED;
  const auto members = rooms_.find(room);
  if (members == rooms_.end()) return ERR_DOES_NOT_EXIST;
  std::vector<int> targets;
  for (int peer : members->second) {
    if (peer != except) targets.push_back(peer);
  }
  scratch_.clear();
  session::append_raw(&scratch_, bytes);
  if (bus_) bus_->send(room, 1, except > 0 ? -except : 0, scratch_);
  return send_to_many(targets, scratch_);
}

Error MultiplayerSession::send_auth(int id, std::span<const uint8_t> data) {
  if (!peer_ || last_status_ != MultiplayerPeer::CONNECTION_CONNECTED) return ERR_UNCONFIGURED;
  const auto pending = pending_.find(id);
  if (pending == pending_.end() || data.empty()) return ERR_INVALID_PARAMETER;
  // No more authentication data once either side said it completed.
  if (pending->second.local || pending->second.remote) return ERR_FILE_CANT_WRITE;
  scratch_.clear();
  session::append_auth(&scratch_, data);
  return send_to(id, scratch_);
}

Error MultiplayerSession::complete_auth(int id) {
  if (!peer_ || last_status_ != MultiplayerPeer::CONNECTION_CONNECTED) return ERR_UNCONFIGURED;
  const auto pending = pending_.find(id);
  if (pending == pending_.end()) return ERR_INVALID_PARAMETER;
  if (pending->second.local) return ERR_FILE_CANT_WRITE;
  pending->second.local = true;
  scratch_.clear();
  session::append_auth(&scratch_, {});
  const Error error = send_to(id, scratch_);
  // Admitting may send packets of its own: after the confirmation.
  if (pending->second.remote) {
    pending_.erase(pending);
    admit_peer(id);
  }
  return error;
}

// ---------------------------------------------------------------------------------------------
// Rooms

std::vector<std::string> MultiplayerSession::get_rooms() const {
  std::vector<std::string> names;
  for (const auto& [name, members] : rooms_) names.push_back(name);
  return names;
}

std::string MultiplayerSession::get_peer_room(int id) const {
  if (const auto found = room_of_.find(id); found != room_of_.end()) return found->second;
  return bus_ ? bus_->remote_room(id).value_or("") : std::string();
}

std::vector<int> MultiplayerSession::get_room_members(const std::string& room) const {
  std::vector<int> ids = get_room_peers(room);
  if (bus_) {
    const std::vector<int> remote = bus_->remote_members(room);
    ids.insert(ids.end(), remote.begin(), remote.end());
    std::sort(ids.begin(), ids.end());
  }
  return ids;
}

std::vector<int> MultiplayerSession::get_room_peers(const std::string& room) const {
  const auto members = rooms_.find(room);
  if (members == rooms_.end()) return {};
  return std::vector<int>(members->second.begin(), members->second.end());
}

}  // namespace wsp
