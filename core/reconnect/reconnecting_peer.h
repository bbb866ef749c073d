// A client WebSocketPeer that comes back after its connection drops (docs/client.md): attempts
// with exponential backoff and jitter per a ReconnectPolicy, events a poll loop can watch, the URL
// and headers refreshed before each attempt, and an optional bounded queue for what is sent while
// disconnected. Built on the public API only, so it behaves the same natively and in the browser.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wspeer/core/reconnect/reconnect_policy.h"
#include "wspeer/core/websocket_peer.h"

namespace wsp {

class ReconnectingPeer {
 public:
  struct Event {
    enum Type {
      CONNECTED,            ///< open: the first time (attempt 0) or again after `attempt` tries
      DISCONNECTED,         ///< an open connection ended (close_code, reason)
      RECONNECT_SCHEDULED,  ///< attempt number `attempt` starts in `delay` seconds (reason: why)
      GAVE_UP,              ///< no more attempts (reason); `dropped` queued messages discarded
    };
    Type type = CONNECTED;
    int attempt = 0;
    double delay = 0;
    int close_code = -1;
    int http_status = 0;  ///< a refused handshake's status, 0 otherwise
    std::string reason;
    size_t dropped = 0;
  };

  explicit ReconnectingPeer(ReconnectPolicy policy = {});

  /// The connection itself: its settings (kept across attempts), get_packet(), state, errors.
  WebSocketPeer& peer() { return *peer_; }
  const WebSocketPeer& peer() const { return *peer_; }

  /// Called before each new attempt (not the first connection): it may change the URL and the
  /// peer's settings, e.g. set_handshake_headers() with a fresh token.
  void set_before_attempt(std::function<void(std::string* url, WebSocketPeer& peer)> callback) {
    before_attempt_ = std::move(callback);
  }
  /// What send() does while not open: with `max_messages` 0 (the default) it refuses with FAILED;
  /// otherwise messages wait, up to `max_messages` and `max_bytes` of payload together (further
  /// ones are refused with ERR_OUT_OF_MEMORY, never dropped silently), and go out in order once
  /// the connection is open again. Those still waiting when it gives up are discarded (counted
  /// in GAVE_UP).
  void set_send_queue(size_t max_messages, size_t max_bytes);

  /// Starts connecting; from now on a lost or failed connection is tried again per the policy
  /// until close() or GAVE_UP. Errors as WebSocketPeer::connect_to_url().
  Error connect_to_url(const std::string& url,
                       std::shared_ptr<const TLSOptions> tls_client_options = nullptr);
  /// Polls the connection and starts attempts that are due; call it as often as the peer's poll().
  void poll();
  /// The next event, oldest first; false when none.
  bool take_event(Event* event);

  Error send(std::span<const uint8_t> message,
             WebSocketPeer::WriteMode mode = WebSocketPeer::WRITE_MODE_BINARY);
  Error send_text(std::string_view message);
  /// Closes the connection and stops reconnecting.
  void close(int code = 1000, std::string_view reason = "");

  /// Connecting, open, or waiting to try again: false before connect_to_url(), after close() has
  /// finished and after GAVE_UP.
  bool is_active() const { return active_; }
  /// Waiting for an attempt (the peer is STATE_CLOSED meanwhile).
  bool is_waiting() const { return waiting_; }
  /// Seconds until the attempt waited for; 0 when none.
  double get_time_until_attempt() const;
  /// Why the last send() was refused, or why reconnecting stopped.
  const std::string& get_last_error() const { return last_error_; }
  size_t get_queued_messages() const { return queue_.size(); }

 private:
  using Clock = std::chrono::steady_clock;
  struct Queued {
    std::vector<uint8_t> data;
    bool is_text;
  };

  void connection_ended(Clock::time_point now);
  void start_attempt();
  void give_up(std::string reason, int close_code, int http_status);
  void flush_queue();
  void push(Event event) { events_.push_back(std::move(event)); }

  std::unique_ptr<WebSocketPeer> peer_;
  ReconnectSchedule schedule_;
  std::function<void(std::string*, WebSocketPeer&)> before_attempt_;
  std::string url_;
  std::shared_ptr<const TLSOptions> tls_;
  bool active_ = false;   ///< connecting, open or waiting to try again
  bool open_ = false;     ///< the current connection reached STATE_OPEN
  bool waiting_ = false;  ///< until due_
  bool closing_ = false;  ///< close() was called
  Clock::time_point due_{};
  Clock::time_point opened_at_{};
  std::deque<Event> events_;
  std::deque<Queued> queue_;
  size_t queue_bytes_ = 0;
  size_t max_queued_messages_ = 0;
  size_t max_queued_bytes_ = 0;
  std::string last_error_;
};

}  // namespace wsp
