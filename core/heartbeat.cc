#include "wspeer/core/heartbeat.h"

#include <algorithm>

namespace wsp {

void Heartbeat::start(double interval_seconds, Clock::time_point now) {
  enabled_ = interval_seconds > 0;
  awaiting_pong_ = false;
  if (!enabled_) return;
  const double ms = std::clamp(interval_seconds * 1000.0, 1.0, double{UINT32_MAX});
  interval_ms_ = static_cast<uint32_t>(ms);
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
