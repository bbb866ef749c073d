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
  enabled_ = interval_ms > 0;
  awaiting_pong_ = false;
  if (!enabled_) return;
  interval_ms_ = interval_ms;
  next_ = now + std::chrono::milliseconds(interval_ms_);
}

Heartbeat::Action Heartbeat::tick(Clock::time_point now, bool input_paused) {
  if (!enabled_ || now < next_) return Action::kNone;
  next_ = now + std::chrono::milliseconds(interval_ms_);
  if (awaiting_pong_ && !input_paused) return Action::kPeerDead;
  if (awaiting_pong_) return Action::kNone;  // still waiting; the pong may be queued unread
  awaiting_pong_ = true;
  return Action::kSendPing;
}

}  // namespace wsp
