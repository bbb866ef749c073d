// Happy Eyeballs (RFC 8305) for a client's connection attempts, sans-I/O: in which order the
// resolved addresses are tried and when each attempt starts. An attempt does not wait for the
// previous one to fail: the next starts 250 ms later (at once when the previous fails), the
// earlier ones keep going, and the first to connect wins. So a dead IPv6 route (or any address
// that never answers) costs 250 ms, not a whole connect timeout.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <vector>

#include "wspeer/core/heartbeat.h"  // Clock

namespace wsp {

class HappyEyeballs {
 public:
  /// RFC 8305 §5 recommends 250 ms between attempts.
  static constexpr std::chrono::milliseconds kAttemptDelay{250};

  /// The order to try addresses in, given each one's family (4 or 6) in the resolver's order
  /// (which already prefers what RFC 6724 says): the families alternate, starting with the
  /// resolver's first, each family keeping its own order (RFC 8305 §4, one address of the first
  /// family before switching). Returns indices into `families`.
  static std::vector<size_t> interleave(const std::vector<int>& families);

  /// A race over `count` addresses (in the order to try them) starting at `now`.
  HappyEyeballs(size_t count, Clock::time_point now);

  /// The next attempt to start now, if one is due: the first at once, each next one
  /// kAttemptDelay after the previous started, or at once after a failure.
  std::optional<size_t> start_due(Clock::time_point now);
  /// An attempt failed: the next one is due at once.
  void failed(Clock::time_point now);
  /// When start_due() will next have something (max() when every address was tried).
  Clock::time_point next_start() const;
  /// Attempts started and not failed (one of them may connect).
  size_t in_flight() const { return started_ - failures_; }
  /// Every address was tried and every attempt failed.
  bool exhausted() const { return started_ == count_ && failures_ == count_; }

 private:
  size_t count_;
  size_t started_ = 0;
  size_t failures_ = 0;
  Clock::time_point next_start_;
};

}  // namespace wsp
