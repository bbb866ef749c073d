// Waiting on many sockets at once, for PeerPoller: epoll on Linux (edge-triggered for peers, so
// a round costs what is active), and poll(2)/WSAPoll() everywhere (level-triggered, a round
// costs what is watched). Part of the platform seam with net.h.
#pragma once

#include <memory>

namespace wsp::native {

class ReadinessSet {
 public:
  struct Event {
    void* tag;
    short ready;  ///< kReadable | kWritable | kHangup | kError | kPeerClosed (net.h)
  };

  virtual ~ReadinessSet() = default;
  /// Watches `fd` for `interest` (kReadable | kWritable), reporting it under `tag`; calling it
  /// again for the same tag changes what is watched. `edge`: report only changes (the caller
  /// reads and writes until the socket would block); otherwise report while ready.
  virtual void watch(void* tag, int fd, short interest, bool edge) = 0;
  /// Stops watching. `still_open` is false when the socket was closed already (its number may
  /// belong to another socket by now).
  virtual void forget(void* tag, int fd, bool still_open) = 0;
  /// Waits up to `timeout_ms` (0: not at all, -1: no limit); returns how many events it wrote.
  virtual int wait(Event* events, int max_events, int timeout_ms) = 0;
  /// Whether watch(..., edge = true) really reports only changes. When not, the caller must keep
  /// `interest` to what it wants now, or it is woken while a socket stays ready.
  virtual bool edge_triggered() const = 0;
};

/// The best set for this platform: epoll on Linux, poll elsewhere.
std::unique_ptr<ReadinessSet> make_default_readiness_set();
/// poll(2) / WSAPoll(): on every platform (Linux too, to test it).
std::unique_ptr<ReadinessSet> make_poll_readiness_set();

}  // namespace wsp::native
