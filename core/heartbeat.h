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
/// due and the previous ping is still unanswered, the peer is considered dead. The interval is
/// passed at each tick, so a new heartbeat_interval takes effect from the next ping on.
class Heartbeat {
 public:
  enum class Action { kNone, kSendPing, kPeerDead };

  /// An interval of 0 leaves the heartbeat off.
  void start(uint32_t interval_ms, Clock::time_point now);
  void stop() { due_ = kOff; }
  /// `input_paused`: we are not reading (the application is not draining messages), so a pong
  /// could be waiting unread; the peer is then not declared dead. An interval of 0 stops it.
  Action tick(uint32_t interval_ms, Clock::time_point now, bool input_paused);
  void pong_received() { due_ &= ~kAwaitingPong; }
  bool enabled() const { return due_ != kOff; }
  Clock::time_point next_due() const {
    return Clock::time_point(Clock::duration(due_ & ~kAwaitingPong));
  }

 private:
  using Ticks = Clock::duration::rep;
  static_assert(Clock::period::den >= 1'000'000, "a tick must be a microsecond or finer");
  static constexpr Ticks kOff = -1;
  static constexpr Ticks kAwaitingPong = 1;
  /// `now` plus the interval, with no ping awaited.
  static Ticks due_after(Clock::time_point now, uint32_t interval_ms) {
    return (now + std::chrono::milliseconds(interval_ms)).time_since_epoch().count() &
           ~kAwaitingPong;
  }
  // One word per connection: when the next ping is due, in clock ticks, whose lowest bit says
  // that the last ping is unanswered (one tick more or less is never noticed).
  Ticks due_ = kOff;
};

}  // namespace wsp
