// What a client says to its proxy before the WebSocket handshake, sans-I/O: bytes to write out,
// received bytes in, until the tunnel to the server is open (TLS and the HTTP upgrade then run
// inside it as on a direct connection) or refused.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "wspeer/core/proxy/ip_literal.h"
#include "wspeer/core/proxy/proxy_url.h"

namespace wsp {

class ProxyHandshake {
 public:
  enum class Status : uint8_t { kWorking, kOpen, kFailed };

  virtual ~ProxyHandshake() = default;
  /// Bytes to write to the proxy now. The caller writes all of them (and clears the string)
  /// before it feeds the answer to receive().
  std::string& output() { return output_; }
  /// Consumes what it needs of `size` received bytes and returns how many it took. It never
  /// takes a byte past the end of the proxy's reply: what follows came from the server.
  virtual size_t receive(const uint8_t* data, size_t size) = 0;
  Status status() const { return status_; }
  /// Why the proxy refused or failed, as a sentence (the proxy's URL without credentials in it).
  const std::string& error() const { return error_; }
  /// An HTTP proxy's status code once it answered (407, 403, 502, ...); 0 for SOCKS5.
  int http_status() const { return http_status_; }

 protected:
  void open() { status_ = Status::kOpen; }
  void fail(std::string message) {
    status_ = Status::kFailed;
    error_ = std::move(message);
  }
  std::string output_;
  int http_status_ = 0;

 private:
  Status status_ = Status::kWorking;
  std::string error_;
};

/// Where the tunnel leads: the WebSocket server.
struct ProxyTarget {
  std::string host;  ///< as in WsUrl: lowercased, an IPv6 literal without brackets
  bool host_is_ipv6 = false;
  uint16_t port = 0;
  /// For socks5:// (the client resolves): the address the name resolved to.
  std::optional<IpLiteral> resolved;
};

/// Whether the client must resolve the server's name before starting: socks5:// with a name
/// that is not an IP literal (HTTP proxies and socks5h:// resolve it themselves).
bool needs_local_resolution(const ProxyUrl& proxy, const ProxyTarget& target);

/// The handshake for `proxy`, its first bytes already in output().
std::unique_ptr<ProxyHandshake> start_proxy_handshake(const ProxyUrl& proxy,
                                                      const ProxyTarget& target);

}  // namespace wsp
