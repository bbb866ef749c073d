#include "web_demo/room.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "web_demo/room_protocol.h"

namespace wsp::demo {
namespace {

const char* const kColors[] = {"#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4",
                               "#42d4f4", "#f032e6", "#9a6324", "#469990", "#800000"};

// State updates are dropped for a client that does not read (a newer position will follow);
// chat and membership changes are always queued.
constexpr int64_t kMaxBufferedForState = 256 * 1024;

// Where newcomer `id` appears: a golden-angle spiral around the centre, so that markers and
// labels of people who join one after another do not overlap.
void spawn_spot(int id, float* x, float* y) {
  const double angle = id * 2.399963229728653;  // the golden angle, in radians
  const double radius = 0.12 + 0.26 * ((id * 7) % 10) / 10.0;
  *x = static_cast<float>(0.5 + radius * std::cos(angle));
  *y = static_cast<float>(0.5 + radius * std::sin(angle));
}

}  // namespace

void Room::admit(std::unique_ptr<WebSocketPeer> peer) {
  WebSocketPeer* raw = peer.get();
  Member member;
  member.peer = std::move(peer);
  member.id = hub_ ? hub_->next_id() : next_id_++;
  member.color = kColors[member.id % (sizeof(kColors) / sizeof(kColors[0]))];
  spawn_spot(member.id, &member.x, &member.y);
  members_.emplace(raw, std::move(member));
}

void Room::send(Member& member, const std::string& message) {
  if (member.peer->get_ready_state() == WebSocketPeer::STATE_OPEN) member.peer->send_text(message);
}

void Room::send_to_members(const std::string& message, const Member* except, bool state_update) {
  for (auto& [raw, member] : members_) {
    if (&member == except || !member.joined) continue;
    // A newer position will follow: a client that does not read gets no more of them.
    if (state_update &&
        member.peer->get_current_outbound_buffered_amount() >= kMaxBufferedForState) {
      continue;
    }
    send(member, message);
  }
}

void Room::broadcast(const std::string& message, const Member* except) {
  send_to_members(message, except, /*state_update=*/false);
  if (hub_) hub_->publish(index_, message);
}

void Room::deliver() {
  if (!hub_) return;
  for (const std::string& message : hub_->take(index_)) {
    send_to_members(message, nullptr, message.compare(0, 6, "state ") == 0);
  }
}

bool Room::service(WebSocketPeer* peer) {
  auto found = members_.find(peer);
  if (found == members_.end()) return false;
  Member& member = found->second;
  while (peer->get_available_packet_count() > 0) {
    const uint8_t* data;
    int size;
    if (peer->get_packet(&data, &size) != OK) break;
    if (peer->was_string_packet()) {
      handle(member,
             std::string_view(reinterpret_cast<const char*>(data), static_cast<size_t>(size)));
    }
  }
  return peer->get_ready_state() != WebSocketPeer::STATE_CLOSED;
}

void Room::remove(WebSocketPeer* peer) {
  auto found = members_.find(peer);
  if (found == members_.end()) return;
  const bool was_joined = found->second.joined;
  const int id = found->second.id;
  members_.erase(found);
  if (hub_) hub_->remove_member(id);
  if (was_joined) broadcast("leave " + std::to_string(id));
}

void Room::handle(Member& member, std::string_view message) {
  auto [verb, rest] = split_command(message);
  if (verb == "hello" && !member.joined) {
    member.name = clean_text(rest, 24);
    if (member.name.empty()) member.name = "guest";
    member.joined = true;
    greet(member);
    broadcast("join " + std::to_string(member.id) + " " + member.color + " " + member.name,
              &member);
  } else if (verb == "move" && member.joined) {
    const std::string args(rest);
    float x, y;
    if (std::sscanf(args.c_str(), "%f %f", &x, &y) == 2) {
      member.x = x < 0 ? 0 : (x > 1 ? 1 : x);
      member.y = y < 0 ? 0 : (y > 1 ? 1 : y);
      member.moved = true;
    }
  } else if (verb == "chat" && member.joined) {
    const std::string text = clean_text(rest, 200);
    if (!text.empty()) broadcast("chat " + std::to_string(member.id) + " " + text);
  } else if (verb == "ping") {
    send(member, "pong " + std::string(rest.substr(0, 32)));
  }
}

// The newcomer's welcome, then who is already there (in every thread's room) and where.
void Room::greet(Member& member) {
  char welcome[96];
  std::snprintf(welcome, sizeof(welcome), "welcome %d %s %.4f %.4f", member.id,
                member.color.c_str(), member.x, member.y);
  send(member, welcome);
  member.moved = true;  // the others learn where the newcomer is at the next tick
  std::map<int, RoomHub::Entry> others;
  if (hub_) {
    others = hub_->roster(member.id);
    hub_->set_member(member.id, {member.color, member.name, member.x, member.y});
  } else {
    for (auto& [raw, other] : members_) {
      if (other.joined && &other != &member) {
        others[other.id] = {other.color, other.name, other.x, other.y};
      }
    }
  }
  std::string state;
  for (const auto& [id, other] : others) {
    send(member, "join " + std::to_string(id) + " " + other.color + " " + other.name);
    char entry[64];
    std::snprintf(entry, sizeof(entry), "%s%d %.4f %.4f", state.empty() ? "" : ";", id, other.x,
                  other.y);
    state += entry;
  }
  if (!state.empty()) send(member, "state " + state);
}

void Room::tick() {
  std::string state;
  for (auto& [raw, member] : members_) {
    if (!member.moved) continue;
    member.moved = false;
    if (hub_) hub_->move_member(member.id, member.x, member.y);
    char entry[64];
    std::snprintf(entry, sizeof(entry), "%s%d %.4f %.4f", state.empty() ? "" : ";", member.id,
                  member.x, member.y);
    state += entry;
  }
  if (state.empty()) return;
  const std::string message = "state " + state;
  send_to_members(message, nullptr, /*state_update=*/true);
  if (hub_) hub_->publish(index_, message);
}

void Room::close_all(int code, const std::string& reason) {
  for (auto& [raw, member] : members_) member.peer->close(code, reason);
}

}  // namespace wsp::demo
