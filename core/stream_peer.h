// StreamPeer: a non-blocking byte stream, the transport a server-side WebSocketPeer is built on
// (native StreamPeerTCP and StreamPeerTLS implement it; tests use in-memory streams).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "wspeer/core/error.h"

namespace wsp {

/// One piece of a scattered write.
struct ConstBuffer {
  const uint8_t* data;
  size_t size;
};

class StreamPeer {
 public:
  enum Status {
    STATUS_NONE = 0,        ///< not connected
    STATUS_CONNECTING = 1,  ///< connecting, or a TLS handshake is in progress
    STATUS_CONNECTED = 2,
    STATUS_ERROR = 3,
  };

  virtual ~StreamPeer() = default;

  /// Sends up to `size` bytes without blocking; `*sent` is how many were taken (possibly 0).
  /// ERR_CONNECTION_ERROR once the stream is broken.
  virtual Error put_partial_data(const uint8_t* data, int size, int* sent) = 0;
  /// Sends the pieces in order as one write where the transport allows (a frame header and its
  /// payload without joining them first); `*sent` is the total taken.
  virtual Error put_partial_data_v(const ConstBuffer* parts, int count, size_t* sent);
  /// Receives up to `size` bytes without blocking; `*received` is how many arrived (0: none yet).
  /// ERR_FILE_EOF when the remote closed the stream in order, ERR_CONNECTION_ERROR on failure.
  virtual Error get_partial_data(uint8_t* buffer, int size, int* received) = 0;
  /// Advances internal state (connection progress, TLS handshake) without blocking.
  virtual void poll() {}
  virtual Status get_status() const = 0;
  /// Closes the stream at once.
  virtual void disconnect() = 0;
  /// Sends end-of-stream after everything written so far, but keeps reading (a graceful close:
  /// the peer's last bytes are not answered with a reset).
  virtual void shutdown_write() {}

  /// Address and port of the remote end, when there is one.
  virtual std::string get_connected_host() const { return ""; }
  virtual int get_connected_port() const { return 0; }
  /// Disables Nagle's algorithm where the transport has one.
  virtual void set_no_delay(bool enabled) {}

  /// For readiness-driven loops: the OS handle to wait on (-1 if none), whether the stream holds
  /// bytes it still has to write, and whether it holds received bytes a read would return without
  /// waiting (a TLS record already decrypted).
  virtual int get_native_handle() const { return -1; }
  virtual bool has_pending_output() const { return false; }
  virtual bool has_pending_input() const { return false; }

  /// What the OS knows of the remote end without reading anything: it finished sending (its end
  /// of stream waits behind any unread bytes), or the connection broke (reset, or closed in both
  /// directions). Lets a peer that stopped reading notice that its transport is gone.
  enum Hangup { HANGUP_NONE = 0, HANGUP_REMOTE_FINISHED = 1, HANGUP_BROKEN = 2 };
  virtual Hangup check_hangup() const { return HANGUP_NONE; }

  /// Whether bytes arrived since the last call that no read could return yet (the start of a TLS
  /// record): proof that the remote is alive although nothing was delivered (the heartbeat
  /// counts it). Streams that deliver every byte they receive answer false.
  virtual bool take_undelivered_arrival() { return false; }

  /// Human-readable reason of the latest failure, empty if none.
  virtual std::string get_last_error() const { return ""; }
};

}  // namespace wsp
