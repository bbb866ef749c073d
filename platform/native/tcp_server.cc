#include "wspeer/platform/native/tcp_server.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "wspeer/platform/native/net.h"

namespace wsp {

using native::error_text;

TCPServer::~TCPServer() { stop(); }

Error TCPServer::listen(int port, const std::string& bind_address) {
  stop();
  last_error_.clear();
  if (port < 0 || port > 65535) {
    last_error_ = "listen(): the port must be 0 (any) or 1-65535.";
    return ERR_INVALID_PARAMETER;
  }
  std::optional<SocketAddress> address;
  bool dual_stack = false;
  if (bind_address == "*") {
    address = SocketAddress::from_ip("::", port);
    dual_stack = true;
  } else if (bind_address == "localhost") {
    address = SocketAddress::from_ip("127.0.0.1", port);
  } else if (!(address = SocketAddress::from_ip(bind_address, port))) {
    last_error_ = "listen(): bind address must be \"*\", \"localhost\" or an IP address, not \"" +
                  bind_address + "\".";
    return ERR_INVALID_PARAMETER;
  }

  int error = 0;
  int fd = native::open_listener(*address, dual_stack, share_port_, &error);
  if (fd == native::kNoSocket && dual_stack && native::is_family_unsupported(error)) {
    // No IPv6 on this machine: listen on every IPv4 address instead.
    fd =
        native::open_listener(*SocketAddress::from_ip("0.0.0.0", port), false, share_port_, &error);
  }
  if (fd == native::kNoSocket && error == native::kPortSharingUnsupported) {
    last_error_ =
        "listen(): sharing a port between listeners (set_share_port) needs Linux's "
        "SO_REUSEPORT; on this platform use one listener.";
    return ERR_UNAVAILABLE;
  }
  if (fd == native::kNoSocket) {
    last_error_ = "Cannot listen on " + bind_address + " port " + std::to_string(port) + ": " +
                  error_text(error) + ".";
    return native::is_address_in_use(error) ? ERR_ALREADY_IN_USE : ERR_CANT_CREATE;
  }
  port_ = native::local_port(fd);
  fd_ = fd;
  if (defer_accept_seconds_ > 0) native::set_defer_accept(fd_, defer_accept_seconds_);
  return OK;
}

bool TCPServer::set_defer_accept(double seconds) {
  defer_accept_seconds_ = seconds > 0 ? static_cast<int>(std::ceil(seconds)) : 0;
  return fd_ < 0 || native::set_defer_accept(fd_, defer_accept_seconds_);
}

std::vector<std::unique_ptr<TCPServer>> TCPServer::listen_shared(int count, int port,
                                                                 const std::string& bind_address,
                                                                 std::string* error) {
  std::vector<std::unique_ptr<TCPServer>> servers;
  for (int i = 0; i < count; ++i) {
    servers.push_back(std::make_unique<TCPServer>());
    servers.back()->set_share_port(count > 1);
    if (servers.back()->listen(port, bind_address) != OK) {
      *error = servers.back()->get_last_error();
      return {};
    }
    port = servers.back()->get_local_port();
  }
  return servers;
}

bool TCPServer::is_connection_available() const {
  return fd_ >= 0 && (native::wait_for(fd_, native::kReadable, 0) & native::kReadable);
}

Error TCPServer::set_proxy_protocol(const std::vector<std::string>& trusted_proxies) {
  std::vector<std::string> hosts;
  for (const std::string& proxy : trusted_proxies) {
    const std::optional<SocketAddress> address = SocketAddress::from_ip(proxy, 0);
    if (!address) {
      last_error_ = "set_proxy_protocol: \"" + proxy + "\" is not an IP address.";
      return ERR_INVALID_PARAMETER;
    }
    hosts.push_back(address->host());  // one spelling per address
  }
  trusted_proxies_ = std::move(hosts);
  return OK;
}

std::shared_ptr<StreamPeerTCP> TCPServer::take_connection() {
  while (fd_ >= 0) {
    SocketAddress remote;
    int error = 0;
    const int fd = native::accept_connection(fd_, &remote, &error);
    if (fd == native::kNoSocket) {
      if (error != 0) last_error_ = "accept() failed: " + error_text(error) + ".";
      return nullptr;
    }
    auto stream = StreamPeerTCP::from_accepted(fd, remote);
    if (trusted_proxies_.empty()) return stream;
    // Only a trusted balancer may say whom a connection is from.
    if (std::find(trusted_proxies_.begin(), trusted_proxies_.end(), remote.host()) ==
        trusted_proxies_.end()) {
      ++untrusted_refused_;
      last_error_ = "Refused a connection from " + remote.text() +
                    ": this listener takes PROXY protocol connections from trusted proxies only.";
      continue;  // the stream closes the socket as it goes
    }
    stream->expect_proxy_header();
    return stream;
  }
  return nullptr;
}

void TCPServer::stop() {
  native::close_socket(fd_);
  fd_ = -1;
  port_ = 0;
}

}  // namespace wsp
