// StreamPeerTCP: a non-blocking TCP stream (Godot's StreamPeerTCP).
#pragma once

#include <memory>
#include <string>

#include "wspeer/core/stream_peer.h"
#include "wspeer/platform/native/socket_address.h"

namespace wsp {

class StreamPeerTCP : public StreamPeer {
 public:
  StreamPeerTCP() = default;
  ~StreamPeerTCP() override;
  StreamPeerTCP(const StreamPeerTCP&) = delete;
  StreamPeerTCP& operator=(const StreamPeerTCP&) = delete;

  /// Wraps a connected socket from accept(); takes ownership of `fd`.
  static std::shared_ptr<StreamPeerTCP> from_accepted(int fd, const SocketAddress& remote);

  /// Starts a non-blocking connection to an IP address (IPv4 or IPv6 literal) and port.
  /// poll() until get_status() leaves STATUS_CONNECTING.
  Error connect_to_host(const std::string& ip, int port);
  Error connect_to_address(const SocketAddress& address);

  Error put_partial_data(const uint8_t* data, int size, int* sent) override;
  Error put_partial_data_v(const ConstBuffer* parts, int count, size_t* sent) override;
  Error get_partial_data(uint8_t* buffer, int size, int* received) override;
  /// Completes a pending connect.
  void poll() override;
  Status get_status() const override { return status_; }
  void disconnect() override;
  void shutdown_write() override;

  std::string get_connected_host() const override;
  int get_connected_port() const override;
  /// Disable Nagle's algorithm to improve latency for small packets.
  void set_no_delay(bool enabled) override;
  int get_native_handle() const override { return fd_; }
  Hangup check_hangup() const override;
  std::string get_last_error() const override { return last_error_ ? *last_error_ : ""; }

 private:
  void fail(std::string message);

  int fd_ = -1;
  Status status_ = STATUS_NONE;
  SocketAddress remote_;
  /// Allocated with the first failure: a healthy connection carries only the pointer.
  std::unique_ptr<std::string> last_error_;
  void set_last_error(std::string message) {
    last_error_ = std::make_unique<std::string>(std::move(message));
  }
};

}  // namespace wsp
