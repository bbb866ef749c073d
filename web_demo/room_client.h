// The demo's client logic, the same C++ in the browser (web backend) and in the native bot.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "wspeer/core/websocket_peer.h"

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
  // The connection itself (for backend-specific tuning); null before connect().
  WebSocketPeer* peer() const { return peer_.get(); }
  // Called for every chat line from someone else (the bot answers them).
  std::function<void(const Participant& from, const std::string& text)> on_chat;

 private:
  void handle(std::string_view message);
  void send(const std::string& message);

  std::unique_ptr<WebSocketPeer> peer_;
  std::string name_;
  std::string url_;
  bool greeted_ = false;
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
