// StreamPeerTCP: a non-blocking TCP stream (Godot's StreamPeerTCP).
#pragma once

#include <memory>
#include <string>
#include <vector>

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
  std::string get_last_error() const override { return rare_ ? rare_->last_error : ""; }
  bool has_pending_input() const override;

  /// Beyond Godot: the connection begins with a PROXY protocol header (from a trusted load
  /// balancer: TCPServer::set_proxy_protocol()). The first reads take it off the stream, so
  /// what reads on (TLS, HTTP, WebSocket) never sees it, and get_connected_host() and
  /// get_connected_port() answer the client it names from then on. A connection that does not
  /// begin with a valid header fails with the reason in get_last_error().
  void expect_proxy_header();
  /// The header is still being read.
  bool is_reading_proxy_header() const { return rare_ && rare_->proxy_pending; }

 private:
  void fail(std::string message);
  Error read_proxy_header(uint8_t* buffer, int size, int* received);
  /// What only some connections need, allocated when first needed: a healthy, direct
  /// connection carries only the pointer (it is in every idle connection's cost).
  struct Rare {
    std::string last_error;
    /// A PROXY header being read, then the bytes read after it not handed out yet.
    std::vector<uint8_t> proxy_bytes;
    bool proxy_pending = false;
  };
  Rare& rare();
  int fd_ = -1;
  Status status_ = STATUS_NONE;
  SocketAddress remote_;  ///< the client a PROXY header names, once it is read
  std::unique_ptr<Rare> rare_;
  void set_last_error(std::string message) { rare().last_error = std::move(message); }
};

}  // namespace wsp
