// Automatic pings with dead-peer detection (decisions §2.6).
#pragma once

#include <chrono>
#include <cstdint>

namespace wsp {

using Clock = std::chrono::steady_clock;

/// Seconds as whole milliseconds in 32 bits, as every peer stores its intervals and timeouts:
/// rounded to the nearest; 0 stays 0, anything positive is at least 1 ms and at most UINT32_MAX
/// ms (49.7 days).
uint32_t whole_milliseconds(double seconds);

/// A ping goes out one interval after OPEN and every interval after that; when the next one is
/// due and the previous ping is still unanswered, the peer is considered dead.
class Heartbeat {
 public:
  enum class Action { kNone, kSendPing, kPeerDead };

  /// An interval of 0 disables the heartbeat.
  void start(uint32_t interval_ms, Clock::time_point now);
  void stop() { enabled_ = false; }
  /// `input_paused`: we are not reading (the application is not draining messages), so a pong
  /// could be waiting unread; the peer is then not declared dead.
  Action tick(Clock::time_point now, bool input_paused);
  void pong_received() { awaiting_pong_ = false; }
  bool enabled() const { return enabled_; }
  Clock::time_point next_due() const { return next_; }

 private:
  // Milliseconds in 32 bits keep every connection's heartbeat at 16 bytes.
  bool enabled_ = false;
  bool awaiting_pong_ = false;
  uint32_t interval_ms_ = 0;
  Clock::time_point next_{};
};

}  // namespace wsp
