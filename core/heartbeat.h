// Automatic pings with dead-peer detection (decisions §2.6).
#pragma once

#include <chrono>
#include <cstdint>

namespace wsp {

using Clock = std::chrono::steady_clock;

/// A ping goes out one interval after OPEN and every interval after that; when the next one is
/// due and the previous ping is still unanswered, the peer is considered dead.
class Heartbeat {
 public:
  enum class Action { kNone, kSendPing, kPeerDead };

  /// interval <= 0 disables the heartbeat.
  void start(double interval_seconds, Clock::time_point now);
  void stop() { enabled_ = false; }
  /// `input_paused`: we are not reading (the application is not draining messages), so a pong
  /// could be waiting unread; the peer is then not declared dead.
  Action tick(Clock::time_point now, bool input_paused);
  void pong_received() { awaiting_pong_ = false; }
  bool enabled() const { return enabled_; }
  Clock::time_point next_due() const { return next_; }

 private:
  // Milliseconds in 32 bits (up to 49 days) keep every connection's heartbeat at 16 bytes.
  bool enabled_ = false;
  bool awaiting_pong_ = false;
  uint32_t interval_ms_ = 0;
  Clock::time_point next_{};
};

}  // namespace wsp
