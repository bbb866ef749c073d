// The demo's client logic, the same C++ in the browser (web backend) and in the native bot: a
// MultiplayerSession over a WebSocketMultiplayerPeer, and the game's messages on top.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "wspeer/core/websocket_peer.h"
#include "wspeer/multiplayer/multiplayer_session.h"
#include "wspeer/multiplayer/websocket_multiplayer_peer.h"

namespace wsp::demo {

struct Participant {
  int id = 0;
  std::string name;
  std::string color;
  float x = 0.5f;
  float y = 0.5f;
};

struct ChatLine {
  std::string from;
  std::string color;
  std::string text;
};

struct Stats {
  WebSocketPeer::State state = WebSocketPeer::STATE_CLOSED;
  double rtt_ms = -1;  // last round trip of a ping message through the library
  double in_per_second = 0;
  double out_per_second = 0;
  int64_t buffered = 0;  // get_current_outbound_buffered_amount()
  int close_code = -1;
  std::string close_reason;
  std::string error;  // get_last_error() when something went wrong
};

class RoomClient {
 public:
  explicit RoomClient(std::string name);

  /// Joins the room `url` names (ws://HOST:PORT/ws, or .../rooms/NAME for another room).
  Error connect(const std::string& url);
  void disconnect();
  // Call every frame with a millisecond clock: polls, handles messages, sends the position at
  // the room's tick and a ping once a second.
  void update(double now_ms);
  void move_to(float x, float y);
  // Moves the own marker by a step (arrow keys).
  void nudge(float dx, float dy) { move_to(target_x_ + dx, target_y_ + dy); }
  void say(const std::string& text);

  const std::map<int, Participant>& participants() const { return participants_; }
  int own_id() const { return own_id_; }
  const std::deque<ChatLine>& chat() const { return chat_; }
  const Stats& stats() const { return stats_; }
  const std::string& url() const { return url_; }
  // The connection to the server (for backend-specific tuning); null when there is none.
  WebSocketPeer* peer() const;
  // Called for every chat line from someone else (the bot answers them).
  std::function<void(const Participant& from, const std::string& text)> on_chat;

 private:
  void handle(std::string_view message);
  void send(const std::string& message);
  void update_stats(double now_ms);

  std::shared_ptr<WebSocketMultiplayerPeer> transport_;
  std::unique_ptr<MultiplayerSession> session_;
  std::string name_;
  std::string url_;
  bool joined_ = false;  // the server admitted us (connected_to_server)
  bool closed_ = true;
  int own_id_ = 0;
  std::map<int, Participant> participants_;
  std::deque<ChatLine> chat_;
  Stats stats_;
  float target_x_ = 0.5f, target_y_ = 0.5f;
  float sent_x_ = -1, sent_y_ = -1;
  double now_ms_ = 0;
  double next_tick_ms_ = 0;
  double next_ping_ms_ = 0;
  double window_start_ms_ = 0;
  int window_in_ = 0, window_out_ = 0;
};

}  // namespace wsp::demo
