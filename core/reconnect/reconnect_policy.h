// When a client that lost its connection tries again, sans-I/O: exponential backoff with jitter,
// which endings are worth another attempt, Retry-After, and when the count starts over.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace wsp {

/// How one connection (or attempt) ended, as the reconnecting client saw it.
struct ConnectionEnd {
  bool was_open = false;    ///< it reached STATE_OPEN
  double open_seconds = 0;  ///< how long it stayed open
  int close_code = -1;      ///< get_close_code(): -1 when it ended without a close frame
  int http_status = 0;      ///< get_handshake_status() of a refused handshake (0: no answer)
  std::string retry_after;  ///< the refusal's Retry-After header, if any
  std::string reason;       ///< get_last_error() or the close reason: for events and logs
};

struct ReconnectPolicy {
  /// Delays grow from min_delay, doubling each attempt, up to max_delay; each is drawn at random
  /// between min_delay and that ceiling ("full jitter" above the minimum) so that clients cut off
  /// together do not come back together.
  double min_delay = 0.5;
  double max_delay = 30;
  /// Attempts after a loss before giving up; 0 tries forever.
  int max_attempts = 0;
  /// A connection must stay open this long before the next loss starts from min_delay again (a
  /// server that accepts and then drops at once would otherwise be hammered).
  double stable_after = 10;
  /// The longest Retry-After honoured (a larger one is cut to this).
  double max_retry_after = 300;
  /// Decides instead of the default rules (see should_retry()) when set: return true to try
  /// again.
  std::function<bool(const ConnectionEnd&)> retry_if;
};

/// The default rules: retried are endings without an HTTP answer (DNS, TCP, TLS, timeouts, a
/// dropped connection), HTTP 408, 429 and 5xx refusals, and closes with any code except those
/// that say "do not come back": 1008 (policy violation) and the ranges 3500-3999 and 4500-4999
/// (the convention Centrifugo uses; the ranges 3000-3499 and 4000-4499 mean "come back").
/// Not retried: other 4xx refusals (401, 403, 404: a retry would fail the same way) and 3xx.
bool should_retry(const ConnectionEnd& end);

/// Seconds to wait from a Retry-After value: delta-seconds ("120") or an HTTP-date
/// ("Wed, 21 Oct 2015 07:28:00 GMT", compared with `now_unix_seconds`); nullopt when absent or
/// malformed.
std::optional<double> parse_retry_after(std::string_view value, int64_t now_unix_seconds);

/// The attempts after a loss: when each is due, and when to give up.
class ReconnectSchedule {
 public:
  /// `random01` returns a number in [0, 1) (tests pass their own).
  ReconnectSchedule(ReconnectPolicy policy, std::function<double()> random01);

  const ReconnectPolicy& policy() const { return policy_; }

  struct Decision {
    bool retry = false;
    int attempt = 0;     ///< 1 for the first attempt after a loss
    double delay = 0;    ///< seconds to wait before it
    std::string reason;  ///< why not, when not retrying
  };
  /// A connection or attempt ended: whether and when to try again. An end after a connection that
  /// stayed open for stable_after starts the count over.
  Decision ended(const ConnectionEnd& end, int64_t now_unix_seconds);
  int attempts() const { return attempts_; }

 private:
  ReconnectPolicy policy_;
  std::function<double()> random01_;
  int attempts_ = 0;
};

}  // namespace wsp
