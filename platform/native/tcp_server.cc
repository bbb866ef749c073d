#include "wspeer/platform/native/tcp_server.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "wspeer/platform/native/net.h"

namespace wsp {

using native::errno_text;

TCPServer::~TCPServer() { stop(); }

Error TCPServer::listen(int port, const std::string& bind_address) {
  stop();
  last_error_.clear();
  if (port < 0 || port > 65535) {
    last_error_ = "listen(): the port must be 0 (any) or 1-65535.";
    return ERR_INVALID_PARAMETER;
  }
  sockaddr_storage address;
  socklen_t length = 0;
  bool dual_stack = false;
  if (bind_address == "*") {
    native::parse_ip_literal("::", port, &address, &length);
    dual_stack = true;
  } else if (bind_address == "localhost") {
    native::parse_ip_literal("127.0.0.1", port, &address, &length);
  } else if (!native::parse_ip_literal(bind_address, port, &address, &length)) {
    last_error_ = "listen(): bind address must be \"*\", \"localhost\" or an IP address, not \"" +
                  bind_address + "\".";
    return ERR_INVALID_PARAMETER;
  }

  int fd = socket(address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0 && dual_stack) {
    // No IPv6 on this machine: listen on every IPv4 address instead.
    native::parse_ip_literal("0.0.0.0", port, &address, &length);
    dual_stack = false;
    fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
  }
  if (fd < 0) {
    last_error_ = "Cannot create a socket: " + errno_text(errno) + ".";
    return ERR_CANT_CREATE;
  }
  const int yes = 1, no = 0;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  if (dual_stack) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &no, sizeof(no));
  if (bind(fd, reinterpret_cast<const sockaddr*>(&address), length) != 0) {
    const int error = errno;
    ::close(fd);
    last_error_ = "Cannot listen on " + bind_address + " port " + std::to_string(port) + ": " +
                  errno_text(error) + ".";
    return error == EADDRINUSE ? ERR_ALREADY_IN_USE : ERR_CANT_CREATE;
  }
  if (::listen(fd, SOMAXCONN) != 0) {
    last_error_ = "listen() failed: " + errno_text(errno) + ".";
    ::close(fd);
    return ERR_CANT_CREATE;
  }
  sockaddr_storage bound;
  socklen_t bound_length = sizeof(bound);
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bound_length);
  port_ = native::address_port(bound);
  fd_ = fd;
  return OK;
}

bool TCPServer::is_connection_available() const {
  if (fd_ < 0) return false;
  pollfd entry{fd_, POLLIN, 0};
  return ::poll(&entry, 1, 0) > 0 && (entry.revents & POLLIN);
}

std::shared_ptr<StreamPeerTCP> TCPServer::take_connection() {
  if (fd_ < 0) return nullptr;
  sockaddr_storage remote;
  socklen_t length = sizeof(remote);
  const int fd =
      accept4(fd_, reinterpret_cast<sockaddr*>(&remote), &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      last_error_ = "accept() failed: " + errno_text(errno) + ".";
    }
    return nullptr;
  }
  return StreamPeerTCP::from_accepted(fd, remote);
}

void TCPServer::stop() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  port_ = 0;
}

}  // namespace wsp
