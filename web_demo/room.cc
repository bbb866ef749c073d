#include "web_demo/room.h"

#include <cmath>
#include <cstdio>
#include <vector>

#include "web_demo/room_protocol.h"

namespace wsp::demo {
namespace {

const char* const kColors[] = {"#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4",
                               "#42d4f4", "#f032e6", "#9a6324", "#469990", "#800000"};

// Where the n-th newcomer of a room appears: a golden-angle spiral around the centre, so that
// markers and labels of people who join one after another do not overlap.
void spawn_spot(int n, float* x, float* y) {
  const double angle = n * 2.399963229728653;  // the golden angle, in radians
  const double radius = 0.12 + 0.26 * ((n * 7) % 10) / 10.0;
  *x = static_cast<float>(0.5 + radius * std::cos(angle));
  *y = static_cast<float>(0.5 + radius * std::sin(angle));
}

std::span<const uint8_t> as_bytes(const std::string& text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

void append_position(std::string* state, int id, float x, float y) {
  char entry[64];
  std::snprintf(entry, sizeof(entry), "%s%d %.4f %.4f", state->empty() ? "" : ";", id, x, y);
  *state += entry;
}

}  // namespace

void Rooms::handle(const MultiplayerSession::Event& event) {
  switch (event.type) {
    case MultiplayerSession::Event::PEER_PACKET:
      on_message(event.peer, std::string_view(reinterpret_cast<const char*>(event.data.data()),
                                              event.data.size()));
      break;
    case MultiplayerSession::Event::PEER_DISCONNECTED:
      // The layer tells the others of the room (DEL_PEER); the game forgets the participant.
      participants_.erase(event.peer);
      break;
    case MultiplayerSession::Event::ROOM_MEMBER_JOINED:
      // Someone in one of our rooms on another server (several servers share rooms through
      // Redis): it learns of our participants from us, as a newcomer here does in greet().
      introduce_to(event.peer);
      break;
    default:
      break;
  }
}

void Rooms::send(int id, const std::string& message) {
  session_->send_bytes(as_bytes(message), id);
}

void Rooms::send_to_room(const std::string& room, const std::string& message, int except) {
  session_->send_bytes_to_room(room, as_bytes(message), except);
}

void Rooms::on_message(int id, std::string_view message) {
  auto [verb, rest] = split_command(message);
  if (verb == "ping") {  // before or after hello
    send(id, "pong " + std::string(rest.substr(0, 32)));
    return;
  }
  const auto found = participants_.find(id);
  if (verb == "hello" && found == participants_.end()) {
    Participant newcomer;
    newcomer.room = session_->get_multiplayer_peer()->get_peer_room(id);
    newcomer.name = clean_text(rest, 24);
    if (newcomer.name.empty()) newcomer.name = "guest";
    const int n = ++arrivals_[newcomer.room];  // from 1: the first spot is off the centre
    newcomer.color = kColors[n % (sizeof(kColors) / sizeof(kColors[0]))];
    spawn_spot(n, &newcomer.x, &newcomer.y);
    Participant& added = participants_.emplace(id, std::move(newcomer)).first->second;
    greet(id, added);
    send_to_room(added.room, "join " + std::to_string(id) + " " + added.color + " " + added.name,
                 id);
    return;
  }
  if (found == participants_.end()) return;
  Participant& participant = found->second;
  if (verb == "move") {
    const std::string args(rest);
    float x, y;
    if (std::sscanf(args.c_str(), "%f %f", &x, &y) == 2) {
      participant.x = x < 0 ? 0 : (x > 1 ? 1 : x);
      participant.y = y < 0 ? 0 : (y > 1 ? 1 : y);
      participant.moved = true;
    }
  } else if (verb == "chat") {
    const std::string text = clean_text(rest, 200);
    if (!text.empty()) send_to_room(participant.room, "chat " + std::to_string(id) + " " + text);
  }
}

// The newcomer's welcome (its colour and spot), then who is already in its room and where.
void Rooms::greet(int id, Participant& newcomer) {
  char welcome[96];
  std::snprintf(welcome, sizeof(welcome), "welcome %d %s %.4f %.4f", id, newcomer.color.c_str(),
                newcomer.x, newcomer.y);
  send(id, welcome);
  newcomer.moved = true;  // the others learn where the newcomer is at the next tick
  std::string state;
  for (const auto& [other_id, other] : participants_) {
    if (other_id == id || other.room != newcomer.room) continue;
    send(id, "join " + std::to_string(other_id) + " " + other.color + " " + other.name);
    append_position(&state, other_id, other.x, other.y);
  }
  if (!state.empty()) send(id, "state " + state);
}

void Rooms::introduce_to(int id) {
  const std::string room = session_->get_peer_room(id);
  std::string state;
  for (const auto& [own_id, own] : participants_) {
    if (own.room != room) continue;
    send(id, "join " + std::to_string(own_id) + " " + own.color + " " + own.name);
    append_position(&state, own_id, own.x, own.y);
  }
  if (!state.empty()) send(id, "state " + state);
}

void Rooms::tick() {
  std::map<std::string, std::string> states;
  for (auto& [id, participant] : participants_) {
    if (!participant.moved) continue;
    participant.moved = false;
    append_position(&states[participant.room], id, participant.x, participant.y);
  }
  for (const auto& [room, state] : states) send_to_room(room, "state " + state);
}

}  // namespace wsp::demo
