#include "wspeer/core/heartbeat.h"

namespace wsp {

void Heartbeat::start(double interval_seconds, Clock::time_point now) {
  enabled_ = interval_seconds > 0;
  awaiting_pong_ = false;
  if (!enabled_) return;
  interval_ =
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(interval_seconds));
  next_ = now + interval_;
}

Heartbeat::Action Heartbeat::tick(Clock::time_point now, bool input_paused) {
  if (!enabled_ || now < next_) return Action::kNone;
  next_ = now + interval_;
  if (awaiting_pong_ && !input_paused) return Action::kPeerDead;
  if (awaiting_pong_) return Action::kNone;  // still waiting; the pong may be queued unread
  awaiting_pong_ = true;
  return Action::kSendPing;
}

}  // namespace wsp
