#include "wspeer/cluster/cluster_node.h"

#include <algorithm>

#include "wspeer/core/log.h"
#include "wspeer/core/random.h"

namespace wsp::cluster {
namespace {

// A join or leave for many members goes in messages of at most this many ids.
constexpr size_t kIdsPerMessage = 1024;
// Silenced nodes remembered (a node is one entry however many rooms it has).
constexpr size_t kMaxSilenced = 1024;

}  // namespace

ClusterNode::ClusterNode(Options options, uint64_t uid, std::function<Clock::time_point()> clock)
    : options_(std::move(options)), uid_(uid), clock_(std::move(clock)) {}

bool ClusterNode::valid_name(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

std::string ClusterNode::room_channel(const std::string& room) const {
  return options_.prefix + "room:" + room;
}

std::string ClusterNode::node_channel(const std::string& node) const {
  return options_.prefix + "to:" + node;
}

std::vector<std::string> ClusterNode::live_nodes() const {
  std::vector<std::string> names;
  for (const auto& [uid, node] : nodes_) names.push_back(node.name);
  std::sort(names.begin(), names.end());
  return names;
}

ClusterNode::Clock::duration ClusterNode::heartbeat_interval() const {
  return std::chrono::duration_cast<Clock::duration>(options_.node_timeout) / 5;
}

int ClusterNode::make_peer_id() {
  // The slot in the high bits keeps ids apart between nodes; the rest is random as Godot's.
  uint32_t low = 0;
  fill_random(reinterpret_cast<uint8_t*>(&low), sizeof(low));
  constexpr int kLowBits = 31 - kSlotBits;
  return static_cast<int>(static_cast<uint32_t>(slot_) << kLowBits |
                          (low & ((1u << kLowBits) - 1)));
}

void ClusterNode::publish(const std::string& channel, const BusMessage& message) {
  if (!link_ || !link_up_) return;  // at most once: nothing is kept for later
  scratch_.clear();
  if (!encode(message, &scratch_)) return;
  link_->publish(channel, scratch_);
  ++counters_.published;
}

BusMessage ClusterNode::from_here(BusMessage::Kind kind, std::string_view room) const {
  BusMessage message;
  message.kind = kind;
  message.node_uid = uid_;
  message.node = options_.name;
  message.room = room;
  return message;
}

void ClusterNode::announce(const std::string& room, const Room& state) {
  BusMessage message = from_here(BusMessage::Kind::kJoin, room);
  for (int id : state.local) {
    message.ids.push_back(id);
    if (message.ids.size() == kIdsPerMessage) {
      publish(room_channel(room), message);
      message.ids.clear();
    }
  }
  if (!message.ids.empty()) publish(room_channel(room), message);
}

void ClusterNode::join(const std::string& room, int id) {
  if (room.size() > kMaxNameSize) return;  // cannot be named on the bus: it stays local
  Room& state = rooms_[room];
  const bool first = state.local.empty();
  if (!state.local.insert(id).second) return;
  if (!link_ || !link_up_) return;  // announced when the link comes up
  if (first) link_->subscribe(room_channel(room));
  if (!state.hearing) return;  // announced with the others once subscribed
  link_->store_member(room, id);
  BusMessage message = from_here(BusMessage::Kind::kJoin, room);
  message.ids = {id};
  publish(room_channel(room), message);
}

void ClusterNode::leave(const std::string& room, int id) {
  const auto found = rooms_.find(room);
  if (found == rooms_.end() || found->second.local.erase(id) == 0) return;
  if (link_ && link_up_) {
    link_->drop_member(room, id);
    BusMessage message = from_here(BusMessage::Kind::kLeave, room);
    message.ids = {id};
    publish(room_channel(room), message);
  }
  if (!found->second.local.empty()) return;
  // Nobody here to tell about the others any more.
  for (const auto& [remote, uid] : found->second.remote) {
    if (const auto node = nodes_.find(uid); node != nodes_.end()) {
      node->second.members.erase({room, remote});
    }
    remote_room_of_.erase(remote);
  }
  rooms_.erase(found);
  if (link_ && link_up_) link_->unsubscribe(room_channel(room));
}

void ClusterNode::send(const std::string& room, int from, int target,
                       std::span<const uint8_t> payload) {
  const auto found = rooms_.find(room);
  if (found == rooms_.end() || found->second.remote.empty() || payload.empty()) return;
  BusMessage message = from_here(BusMessage::Kind::kPacket, room);
  message.from = from;
  message.target = target;
  message.payload = payload;
  if (target > 0) {
    // One member: only its node hears of it.
    const auto member = found->second.remote.find(target);
    const auto node =
        member == found->second.remote.end() ? nodes_.end() : nodes_.find(member->second);
    if (node == nodes_.end()) {
      ++counters_.unknown_targets;
      return;
    }
    publish(node_channel(node->second.name), message);
    return;
  }
  publish(room_channel(room), message);
}

bool ClusterNode::is_remote_member(const std::string& room, int id) const {
  const auto found = rooms_.find(room);
  return found != rooms_.end() && found->second.remote.count(id) > 0;
}

std::vector<int> ClusterNode::remote_members(const std::string& room) const {
  std::vector<int> ids;
  const auto found = rooms_.find(room);
  if (found == rooms_.end()) return ids;
  for (const auto& [id, uid] : found->second.remote) ids.push_back(id);
  return ids;
}

std::optional<std::string> ClusterNode::remote_room(int id) const {
  const auto found = remote_room_of_.find(id);
  if (found == remote_room_of_.end()) return std::nullopt;
  return found->second;
}

bool ClusterNode::take_event(Event* event) {
  if (events_.empty()) return false;
  *event = std::move(events_.front());
  events_.pop_front();
  return true;
}

ClusterNode::Clock::time_point ClusterNode::next_deadline() const {
  Clock::time_point next = next_heartbeat_;
  for (const auto& [uid, node] : nodes_) {
    next = std::min(next, node.last_heard + options_.node_timeout);
  }
  return next;
}

void ClusterNode::poll() {
  if (link_) link_->tick();
  const Clock::time_point now = clock_();
  expire_nodes(now);
  if (link_ && link_up_ && now >= next_heartbeat_) {
    next_heartbeat_ = now + heartbeat_interval();
    link_->refresh_node();
    publish(nodes_channel(), from_here(BusMessage::Kind::kHeartbeat));
  }
}

void ClusterNode::expire_nodes(Clock::time_point now) {
  std::vector<uint64_t> silent;
  for (const auto& [uid, node] : nodes_) {
    if (now - node.last_heard >= options_.node_timeout) silent.push_back(uid);
  }
  for (uint64_t uid : silent) {
    log_message("cluster: node " + nodes_.at(uid).name + " went silent; its members left");
    ++counters_.nodes_lost;
    forget_node(uid);
    if (silenced_.size() >= kMaxSilenced) silenced_.erase(silenced_.begin());
    silenced_.insert(uid);
  }
}

void ClusterNode::forget_node(uint64_t uid) {
  const auto node = nodes_.find(uid);
  if (node == nodes_.end()) return;
  const std::set<std::pair<std::string, int>> members = std::move(node->second.members);
  nodes_.erase(node);
  for (const auto& [room, id] : members) {
    if (const auto state = rooms_.find(room); state != rooms_.end()) {
      remove_remote(room, state->second, id);
    }
  }
}

ClusterNode::RemoteNode& ClusterNode::heard(uint64_t uid, std::string_view name) {
  auto node = nodes_.find(uid);
  if (node == nodes_.end()) {
    // The same name from a new process: the earlier one restarted, its members are gone.
    std::vector<uint64_t> earlier;
    for (const auto& [other, known] : nodes_) {
      if (known.name == name) earlier.push_back(other);
    }
    for (uint64_t other : earlier) forget_node(other);
    node = nodes_.emplace(uid, RemoteNode{std::string(name), {}, {}}).first;
    if (silenced_.erase(uid) > 0) {
      log_message("cluster: node " + std::string(name) + " speaks again; reading its members");
      read_all_rooms();
    }
  }
  node->second.last_heard = clock_();
  return node->second;
}

void ClusterNode::read_all_rooms() {
  if (!link_ || !link_up_) return;
  for (auto& [room, state] : rooms_) {
    if (!state.hearing) continue;  // read once its subscription is confirmed
    state.reading = true;
    state.left_while_reading.clear();
    link_->read_room(room);
  }
}

void ClusterNode::add_remote(const std::string& room, Room& state, int id, uint64_t uid) {
  if (state.local.count(id) > 0) return;  // ours: ids are never given out twice
  const auto [member, added] = state.remote.emplace(id, uid);
  if (!added) {
    if (member->second == uid) return;
    nodes_[member->second].members.erase({room, id});  // an id given out again elsewhere
    member->second = uid;
  }
  nodes_[uid].members.insert({room, id});
  remote_room_of_[id] = room;
  if (added) events_.push_back({Event::kJoined, room, id, 0, {}});
}

void ClusterNode::remove_remote(const std::string& room, Room& state, int id) {
  const auto member = state.remote.find(id);
  if (member == state.remote.end()) return;
  if (const auto node = nodes_.find(member->second); node != nodes_.end()) {
    node->second.members.erase({room, id});
  }
  state.remote.erase(member);
  remote_room_of_.erase(id);
  events_.push_back({Event::kLeft, room, id, 0, {}});
}

void ClusterNode::on_link_up() {
  link_up_ = true;
  next_heartbeat_ = {};  // at once
  link_->refresh_node();
  link_->subscribe(nodes_channel());
  link_->subscribe(node_channel(options_.name));
  // Each room's members are stored and announced when its subscription is confirmed.
  for (auto& [room, state] : rooms_) link_->subscribe(room_channel(room));
}

void ClusterNode::on_link_down() {
  if (!link_up_) return;
  link_up_ = false;
  ++counters_.link_losses;
  // Reads in flight are lost with the connection; they are made again when it is back.
  for (auto& [room, state] : rooms_) {
    state.hearing = false;
    state.reading = false;
    state.left_while_reading.clear();
  }
}

void ClusterNode::on_subscribed(const std::string& channel) {
  const std::string prefix = options_.prefix + "room:";
  if (channel.compare(0, prefix.size(), prefix) != 0) return;
  const auto state = rooms_.find(channel.substr(prefix.size()));
  if (state == rooms_.end() || !link_ || !link_up_) return;
  if (state->second.hearing) return;
  state->second.hearing = true;
  for (int id : state->second.local) link_->store_member(state->first, id);
  announce(state->first, state->second);
  // Subscribed first, read next: a member who joins meanwhile is in the read or in a message.
  state->second.reading = true;
  state->second.left_while_reading.clear();
  link_->read_room(state->first);
}

void ClusterNode::on_room_read(const std::string& room, const std::vector<StoredMember>& members) {
  const auto found = rooms_.find(room);
  if (found == rooms_.end()) return;
  Room& state = found->second;
  state.reading = false;
  for (const StoredMember& member : members) {
    if (member.node_uid == uid_ || member.id < 2) continue;
    if (state.left_while_reading.count(member.id) > 0) continue;  // its leave came first
    heard(member.node_uid, member.node);
    add_remote(room, state, member.id, member.node_uid);
  }
  state.left_while_reading.clear();
}

void ClusterNode::on_message(std::span<const uint8_t> bytes) {
  std::optional<BusMessage> message = decode(bytes);
  if (!message || !valid_name(std::string(message->node))) {
    ++counters_.malformed;
    return;
  }
  if (message->node_uid == uid_) return;  // our own, back from the broker
  ++counters_.received;
  if (message->node == options_.name) {
    ++counters_.name_conflicts;
    log_message("cluster: another process uses this node's name (" + options_.name + ")");
    return;
  }
  heard(message->node_uid, message->node);
  if (message->kind == BusMessage::Kind::kHeartbeat) return;
  const std::string room(message->room);
  const auto found = rooms_.find(room);
  if (found == rooms_.end()) return;  // no member here (any more)
  Room& state = found->second;
  switch (message->kind) {
    case BusMessage::Kind::kJoin:
      for (int32_t id : message->ids) add_remote(room, state, id, message->node_uid);
      return;
    case BusMessage::Kind::kLeave:
      for (int32_t id : message->ids) {
        if (state.reading) state.left_while_reading.insert(id);
        // Only its own node may say it left.
        const auto member = state.remote.find(id);
        if (member != state.remote.end() && member->second == message->node_uid) {
          remove_remote(room, state, id);
        }
      }
      return;
    case BusMessage::Kind::kPacket: {
      // Only from a member of this room on the sending node (or that node's server).
      const auto source = state.remote.find(message->from);
      if (message->from != 1 &&
          (source == state.remote.end() || source->second != message->node_uid)) {
        ++counters_.unknown_targets;
        return;
      }
      if (message->target > 0 && state.local.count(message->target) == 0) {
        ++counters_.unknown_targets;
        return;
      }
      events_.push_back({Event::kPacket, room, message->from, message->target,
                         std::vector<uint8_t>(message->payload.begin(), message->payload.end())});
      return;
    }
    case BusMessage::Kind::kHeartbeat:
      return;
  }
}

}  // namespace wsp::cluster
