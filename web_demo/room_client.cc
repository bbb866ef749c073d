#include "web_demo/room_client.h"

#include <cstdio>
#include <cstdlib>

#include "web_demo/room_protocol.h"

namespace wsp::demo {

RoomClient::RoomClient(std::string name) : name_(clean_text(name, 24)) {
  if (name_.empty()) name_ = "guest";
}

WebSocketPeer* RoomClient::peer() const {
  return transport_ ? transport_->get_peer(MultiplayerPeer::TARGET_PEER_SERVER) : nullptr;
}

Error RoomClient::connect(const std::string& url) {
  if (transport_) transport_->close();
  // A new session and peer for each connection: nothing of the last one carries over.
  transport_ = std::make_shared<WebSocketMultiplayerPeer>();
  session_ = std::make_unique<MultiplayerSession>();
  url_ = url;
  joined_ = false;
  closed_ = false;
  own_id_ = 0;
  participants_.clear();
  stats_ = Stats();
  sent_x_ = sent_y_ = -1;
  const Error error = transport_->create_client(url);
  session_->set_multiplayer_peer(transport_);
  if (error != OK) closed_ = true;
  update_stats(0);
  return error;
}

void RoomClient::disconnect() {
  if (WebSocketPeer* server = peer()) server->close(1000, "bye");
}

void RoomClient::move_to(float x, float y) {
  target_x_ = x < 0 ? 0 : (x > 1 ? 1 : x);
  target_y_ = y < 0 ? 0 : (y > 1 ? 1 : y);
  if (auto own = participants_.find(own_id_); own != participants_.end()) {
    own->second.x = target_x_;  // drawn at once; the server's echo confirms it
    own->second.y = target_y_;
  }
}

void RoomClient::say(const std::string& text) {
  const std::string clean = clean_text(text, 200);
  if (!clean.empty()) send("chat " + clean);
}

void RoomClient::send(const std::string& message) {
  // Not while the connection closes: the close, not a failed send, is what the page should say.
  const WebSocketPeer* server = peer();
  if (!joined_ || !server || server->get_ready_state() != WebSocketPeer::STATE_OPEN) return;
  const std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(message.data()),
                                       message.size());
  if (session_->send_bytes(bytes, MultiplayerPeer::TARGET_PEER_SERVER) == OK) ++window_out_;
}

void RoomClient::update(double now_ms) {
  if (!session_) return;
  now_ms_ = now_ms;
  session_->poll();
  MultiplayerSession::Event event;
  while (session_->take_event(&event)) {
    switch (event.type) {
      case MultiplayerSession::Event::CONNECTED_TO_SERVER:
        joined_ = true;
        send("hello " + name_);
        next_ping_ms_ = now_ms;
        break;
      case MultiplayerSession::Event::PEER_PACKET:
        ++window_in_;
        handle(
            std::string_view(reinterpret_cast<const char*>(event.data.data()), event.data.size()));
        break;
      case MultiplayerSession::Event::PEER_DISCONNECTED:
        participants_.erase(event.peer);  // someone left the room
        break;
      case MultiplayerSession::Event::SERVER_DISCONNECTED:
      case MultiplayerSession::Event::CONNECTION_FAILED:
        joined_ = false;
        closed_ = true;
        break;
      default:
        break;
    }
  }
  if (joined_) {
    if (now_ms >= next_tick_ms_) {
      next_tick_ms_ = now_ms + kTickMilliseconds;
      // Not before the welcome: the server gives us our first spot.
      if (own_id_ > 0 && (target_x_ != sent_x_ || target_y_ != sent_y_)) {
        char message[64];
        std::snprintf(message, sizeof(message), "move %.4f %.4f", target_x_, target_y_);
        send(message);
        sent_x_ = target_x_;
        sent_y_ = target_y_;
      }
    }
    if (now_ms >= next_ping_ms_) {
      next_ping_ms_ = now_ms + 1000;
      char message[64];
      std::snprintf(message, sizeof(message), "ping %.3f", now_ms);
      send(message);
    }
  }
  update_stats(now_ms);
}

void RoomClient::update_stats(double now_ms) {
  if (now_ms - window_start_ms_ >= 1000) {
    const double seconds = (now_ms - window_start_ms_) / 1000.0;
    stats_.in_per_second = window_start_ms_ > 0 ? window_in_ / seconds : 0;
    stats_.out_per_second = window_start_ms_ > 0 ? window_out_ / seconds : 0;
    window_in_ = window_out_ = 0;
    window_start_ms_ = now_ms;
  }
  if (const WebSocketPeer* server = closed_ ? nullptr : peer()) {
    stats_.state = server->get_ready_state();
    stats_.buffered = server->get_current_outbound_buffered_amount();
    stats_.close_code = server->get_close_code();
    stats_.close_reason = server->get_close_reason();
    stats_.error = server->get_last_error();
    return;
  }
  // Gone: how it ended, as the multiplayer peer remembers it.
  stats_.state = WebSocketPeer::STATE_CLOSED;
  stats_.buffered = 0;
  if (transport_) {
    stats_.close_code = transport_->get_close_code();
    stats_.close_reason = transport_->get_close_reason();
    stats_.error = transport_->get_last_error();
  }
  participants_.clear();
  stats_.in_per_second = stats_.out_per_second = 0;
  stats_.rtt_ms = -1;  // no round trip without a connection
}

void RoomClient::handle(std::string_view message) {
  auto [verb, rest] = split_command(message);
  const std::string args(rest);
  if (verb == "welcome") {
    int id = 0;
    char color[16] = {0};
    float x = 0, y = 0;
    const int fields = std::sscanf(args.c_str(), "%d %15s %f %f", &id, color, &x, &y);
    if (fields >= 2) {
      own_id_ = id;
      if (fields == 4) {  // the spot the server gave us: the server knows it already
        target_x_ = sent_x_ = x;
        target_y_ = sent_y_ = y;
      }
      participants_[id] = {id, name_, color, target_x_, target_y_};
    }
  } else if (verb == "join") {
    int id = 0, consumed = 0;
    char color[16] = {0};
    if (std::sscanf(args.c_str(), "%d %15s %n", &id, color, &consumed) >= 2) {
      Participant& p = participants_[id];
      p.id = id;
      p.color = color;
      p.name = args.substr(static_cast<size_t>(consumed));
    }
  } else if (verb == "state") {
    size_t start = 0;
    while (start < args.size()) {
      const size_t end = args.find(';', start);
      const std::string entry = args.substr(start, end == std::string::npos ? end : end - start);
      int id;
      float x, y;
      if (std::sscanf(entry.c_str(), "%d %f %f", &id, &x, &y) == 3 && id != own_id_) {
        auto found = participants_.find(id);
        if (found != participants_.end()) {
          found->second.x = x;
          found->second.y = y;
        }
      }
      if (end == std::string::npos) break;
      start = end + 1;
    }
  } else if (verb == "chat") {
    const size_t space = args.find(' ');
    const int id = std::atoi(args.c_str());
    const std::string text = space == std::string::npos ? "" : args.substr(space + 1);
    auto found = participants_.find(id);
    ChatLine line{found != participants_.end() ? found->second.name : "?",
                  found != participants_.end() ? found->second.color : "#888", text};
    chat_.push_back(line);
    while (chat_.size() > 50) chat_.pop_front();
    if (id != own_id_ && found != participants_.end() && on_chat) on_chat(found->second, text);
  } else if (verb == "pong") {
    const double sent = std::atof(args.c_str());
    stats_.rtt_ms = now_ms_ - sent;
  }
}

}  // namespace wsp::demo
