// TCPServer: a listening TCP socket (Godot's TCPServer).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "wspeer/core/error.h"
#include "wspeer/platform/native/stream_peer_tcp.h"

namespace wsp {

class TCPServer {
 public:
  TCPServer() = default;
  ~TCPServer();
  TCPServer(const TCPServer&) = delete;
  TCPServer& operator=(const TCPServer&) = delete;

  /// Listens on `port` on `bind_address`: "*" (every IPv6 and IPv4 address), an IPv4 or IPv6
  /// literal, or "localhost". Port 0 picks a free port; get_local_port() tells which.
  Error listen(int port, const std::string& bind_address = "*");
  /// Lets several TCPServers of this process listen on the same port, each typically in its own
  /// thread with its own PeerPoller; the kernel spreads new connections over them (Linux's
  /// SO_REUSEPORT). Set before listen() on every one of them; the first may use port 0 and the
  /// others its get_local_port(). Elsewhere listen() then fails with ERR_UNAVAILABLE.
  void set_share_port(bool enabled) { share_port_ = enabled; }
  /// Opens `count` listeners on one port, one per thread: with more than one they share it
  /// (set_share_port), the first listens on `port` (0 picks one) and the others on its
  /// get_local_port(). Returns all of them, or none with the reason in `*error`.
  static std::vector<std::unique_ptr<TCPServer>> listen_shared(int count, int port,
                                                               const std::string& bind_address,
                                                               std::string* error);
  /// Keeps connections that have sent nothing out of take_connection() for up to `seconds`
  /// (0: off, the default): they wait in the kernel, costing the application no accept, no
  /// peer and no place, and most silent sockets never reach it. For protocols where the client
  /// speaks first, as WebSocket does (a PeerPoller with a first-byte timeout sets it on the
  /// servers it watches). Linux (TCP_DEFER_ACCEPT); elsewhere it has no effect and returns
  /// false. May be set before or after listen().
  bool set_defer_accept(double seconds);
  /// Returns true if a connection is available for taking.
  bool is_connection_available() const;
  /// If a connection is available, returns a StreamPeerTCP with the connection; else nullptr.
  std::shared_ptr<StreamPeerTCP> take_connection();

  /// Beyond Godot: this listener is behind load balancers that send the PROXY protocol (v1 or
  /// v2, HAProxy's send-proxy / send-proxy-v2), from these addresses only. A connection from any
  /// other address is closed at once by take_connection(); the others begin with the header,
  /// which their stream reads first (StreamPeerTCP::expect_proxy_header()), so the peers see the
  /// clients' addresses. Empty (the default): no PROXY protocol. ERR_INVALID_PARAMETER for an
  /// entry that is not an IP address.
  Error set_proxy_protocol(const std::vector<std::string>& trusted_proxies);
  /// Connections closed because they came from an address not trusted to send PROXY headers.
  uint64_t get_untrusted_refused() const { return untrusted_refused_; }
  /// Returns the local port this server is listening on.
  int get_local_port() const { return port_; }
  /// Returns true if the server is currently listening for connections.
  bool is_listening() const { return fd_ >= 0; }
  /// Stops listening.
  void stop();
  int get_native_handle() const { return fd_; }
  const std::string& get_last_error() const { return last_error_; }

 private:
  int fd_ = -1;
  int port_ = 0;
  bool share_port_ = false;
  int defer_accept_seconds_ = 0;
  std::string last_error_;
  std::vector<std::string> trusted_proxies_;  ///< their host() form
  uint64_t untrusted_refused_ = 0;
};

}  // namespace wsp
