#include "wspeer/core/heartbeat.h"

#include <algorithm>
#include <cmath>

namespace wsp {

uint32_t whole_milliseconds(double seconds) {
  if (!(seconds > 0)) return 0;
  // Rounded, not truncated: 0.29 s is 289.99999999999997 ms in binary and must stay 290.
  return static_cast<uint32_t>(std::clamp(std::round(seconds * 1000.0), 1.0, double{UINT32_MAX}));
}

void Heartbeat::start(uint32_t interval_ms, Clock::time_point now) {
  if (interval_ms == 0) {
    stop();
    return;
  }
  due_ = due_after(now, interval_ms);
}

Heartbeat::Action Heartbeat::tick(uint32_t interval_ms, Clock::time_point now, bool input_paused) {
  if (!enabled() || now < next_due()) return Action::kNone;
  if (interval_ms == 0) {
    stop();
    return Action::kNone;
  }
  const bool awaiting_pong = (due_ & kAwaitingPong) != 0;
  const bool heard = (due_ & kHeard) != 0;
  due_ = due_after(now, interval_ms);
  // Silent for a whole interval with a ping unanswered. While our reading is paused its pong
  // (or anything else) may be waiting unread, so the peer is not blamed.
  if (awaiting_pong && !heard && !input_paused) return Action::kPeerDead;
  due_ |= kAwaitingPong;  // a ping goes out now, or the last one is still awaited (maybe unread)
  if (awaiting_pong) return Action::kNone;
  due_ |= kPingFresh;
  return Action::kSendPing;
}

std::optional<Clock::duration> Heartbeat::answered_after(uint32_t interval_ms,
                                                         Clock::time_point now) const {
  if (!enabled() || (due_ & (kAwaitingPong | kPingFresh)) != (kAwaitingPong | kPingFresh)) {
    return std::nullopt;
  }
  const Clock::duration interval = std::chrono::milliseconds(interval_ms);
  const Clock::time_point sent = next_due() - interval;
  // Out of range only when the interval changed since the ping: no sound figure then.
  if (now < sent || now - sent > interval) return std::nullopt;
  return now - sent;
}

}  // namespace wsp
