// Automatic pings with dead-peer detection (decisions §2.6).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

namespace wsp {

using Clock = std::chrono::steady_clock;

/// Seconds as whole milliseconds in 32 bits, as every peer stores its intervals and timeouts:
/// rounded to the nearest; 0 stays 0, anything positive is at least 1 ms and at most UINT32_MAX
/// ms (49.7 days).
uint32_t whole_milliseconds(double seconds);

/// A ping goes out one interval after OPEN and every interval after that. A peer is dead only when
/// its last ping is unanswered and nothing at all arrived from it for a whole interval: a pong
/// can wait behind a large message the peer is still sending, so bytes arriving prove it alive
/// (Godot's rule, "no pong by the next ping", would cut such a download or upload off). The
/// interval is passed at each tick, so a new heartbeat_interval takes effect from the next ping.
class Heartbeat {
 public:
  enum class Action { kNone, kSendPing, kPeerDead };

  /// An interval of 0 leaves the heartbeat off.
  void start(uint32_t interval_ms, Clock::time_point now);
  void stop() { due_ = kOff; }
  /// `input_paused`: we are not reading (the application is not draining messages), so a pong
  /// could be waiting unread; the peer is then not declared dead. An interval of 0 stops it.
  Action tick(uint32_t interval_ms, Clock::time_point now, bool input_paused);
  void pong_received() {
    if (enabled()) due_ &= ~(kAwaitingPong | kPingFresh);
  }
  /// How long after our ping a pong that just arrived came, when the awaited ping went out at the
  /// last tick (its time is then the tick's: next_due() less the interval); nullopt otherwise (no
  /// ping awaited, or it was sent intervals ago while the peer was busy). Call before
  /// pong_received(). The first pong after our ping counts as its answer (ours carry no payload).
  std::optional<Clock::duration> answered_after(uint32_t interval_ms, Clock::time_point now) const;
  /// The interval changed: the awaited ping's time can no longer be worked out.
  void forget_ping_time() {
    if (enabled()) due_ &= ~kPingFresh;
  }
  /// Bytes arrived from the peer (data, control frames, part of a TLS record). One OR of a bit:
  /// cheap enough to call for every read; no effect while the heartbeat is off.
  void input_arrived() { due_ |= kHeard; }
  bool enabled() const { return due_ != kOff; }
  Clock::time_point next_due() const { return Clock::time_point(Clock::duration(due_ & ~kFlags)); }

 private:
  using Ticks = Clock::duration::rep;
  static_assert(Clock::period::den >= 1'000'000, "a tick must be a microsecond or finer");
  static constexpr Ticks kOff = -1;
  static constexpr Ticks kAwaitingPong = 1;
  static constexpr Ticks kHeard = 2;      ///< input arrived since the last tick
  static constexpr Ticks kPingFresh = 4;  ///< the awaited ping went out at the last tick
  static constexpr Ticks kFlags = kAwaitingPong | kHeard | kPingFresh;
  /// `now` plus the interval, with no ping awaited and nothing heard yet.
  static Ticks due_after(Clock::time_point now, uint32_t interval_ms) {
    return (now + std::chrono::milliseconds(interval_ms)).time_since_epoch().count() & ~kFlags;
  }
  // One word per connection: when the next tick is due, in clock ticks, whose three lowest bits
  // say that the last ping is unanswered, that input arrived since the last tick and that the
  // ping went out at the last tick (seven ticks more or less are never noticed). Off is all bits
  // set, so input_arrived() keeps it.
  Ticks due_ = kOff;
};

}  // namespace wsp
