#include "wspeer/platform/native/stream_peer_tcp.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "wspeer/platform/native/net.h"

namespace wsp {

using native::address_host;
using native::address_port;
using native::address_text;
using native::errno_text;

StreamPeerTCP::~StreamPeerTCP() { StreamPeerTCP::disconnect(); }

std::shared_ptr<StreamPeerTCP> StreamPeerTCP::from_accepted(int fd,
                                                            const sockaddr_storage& remote) {
  auto stream = std::make_shared<StreamPeerTCP>();
  native::set_nonblocking(fd);
  stream->fd_ = fd;
  stream->set_remote(remote);
  stream->status_ = STATUS_CONNECTED;
  return stream;
}

Error StreamPeerTCP::connect_to_host(const std::string& ip, int port) {
  sockaddr_storage address;
  socklen_t length;
  if (port < 1 || port > 65535 || !native::parse_ip_literal(ip, port, &address, &length)) {
    last_error_ = "connect_to_host needs an IP address and a port from 1 to 65535.";
    return ERR_INVALID_PARAMETER;
  }
  return connect_to_address(address);
}

Error StreamPeerTCP::connect_to_address(const sockaddr_storage& address) {
  disconnect();
  last_error_.clear();
  set_remote(address);
  fd_ = socket(address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd_ < 0) {
    fail("Cannot create a socket: " + errno_text(errno) + ".");
    return ERR_CANT_CREATE;
  }
  if (connect(fd_, reinterpret_cast<const sockaddr*>(&address), native::address_length(address)) ==
      0) {
    status_ = STATUS_CONNECTED;
    return OK;
  }
  if (errno == EINPROGRESS) {
    status_ = STATUS_CONNECTING;
    return OK;
  }
  fail("Cannot connect to " + address_text(address) + ": " + errno_text(errno) + ".");
  return ERR_CANT_CONNECT;
}

void StreamPeerTCP::poll() {
  if (status_ != STATUS_CONNECTING) return;
  pollfd entry{fd_, POLLOUT, 0};
  if (::poll(&entry, 1, 0) <= 0) return;
  int error = 0;
  socklen_t length = sizeof(error);
  if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
  if (error == 0) {
    status_ = STATUS_CONNECTED;
  } else {
    fail("Cannot connect to " + address_text(remote()) + ": " + errno_text(error) + ".");
  }
}

Error StreamPeerTCP::put_partial_data(const uint8_t* data, int size, int* sent) {
  const ConstBuffer part{data, size > 0 ? static_cast<size_t>(size) : 0};
  size_t taken = 0;
  const Error error = put_partial_data_v(&part, 1, &taken);
  *sent = static_cast<int>(taken);
  return error;
}

Error StreamPeerTCP::put_partial_data_v(const ConstBuffer* parts, int count, size_t* sent) {
  *sent = 0;
  if (status_ != STATUS_CONNECTED) return status_ == STATUS_CONNECTING ? OK : ERR_CONNECTION_ERROR;
  ssize_t n;
  if (count == 1) {
    n = ::send(fd_, parts[0].data, parts[0].size, MSG_NOSIGNAL);  // no iovec for the kernel to copy
  } else {
    iovec vectors[8];
    const int used = count < 8 ? count : 8;
    for (int i = 0; i < used; ++i)
      vectors[i] = {const_cast<uint8_t*>(parts[i].data), parts[i].size};
    msghdr message{};
    message.msg_iov = vectors;
    message.msg_iovlen = static_cast<size_t>(used);
    n = ::sendmsg(fd_, &message, MSG_NOSIGNAL);
  }
  if (n >= 0) {
    *sent = static_cast<size_t>(n);
    return OK;
  }
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return OK;
  fail("Connection to " + address_text(remote()) + " failed while sending: " + errno_text(errno) +
       ".");
  return ERR_CONNECTION_ERROR;
}

Error StreamPeerTCP::get_partial_data(uint8_t* buffer, int size, int* received) {
  *received = 0;
  if (status_ != STATUS_CONNECTED) return status_ == STATUS_CONNECTING ? OK : ERR_CONNECTION_ERROR;
  if (size <= 0) return OK;
  const ssize_t n = ::recv(fd_, buffer, static_cast<size_t>(size), 0);
  if (n > 0) {
    *received = static_cast<int>(n);
    return OK;
  }
  if (n == 0) {
    last_error_ = "Connection closed by " + address_text(remote()) + ".";
    return ERR_FILE_EOF;
  }
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return OK;
  fail("Connection to " + address_text(remote()) + " failed while receiving: " + errno_text(errno) +
       ".");
  return ERR_CONNECTION_ERROR;
}

void StreamPeerTCP::disconnect() {
  if (fd_ >= 0) {
    // Closing a socket with unread input makes the kernel send RST, which can destroy data
    // (our close frame) still on its way to the peer. Discard what already arrived first, so
    // the peer gets an orderly FIN after everything we sent.
    if (status_ == STATUS_CONNECTED) {
      uint8_t sink[4096];
      for (int i = 0; i < 256 && ::recv(fd_, sink, sizeof(sink), MSG_DONTWAIT) > 0; ++i) {
      }
    }
    ::close(fd_);
  }
  fd_ = -1;
  if (status_ != STATUS_ERROR) status_ = STATUS_NONE;
}

StreamPeer::Hangup StreamPeerTCP::check_hangup() const {
  if (status_ == STATUS_ERROR) return HANGUP_BROKEN;
  if (fd_ < 0 || status_ != STATUS_CONNECTED) return HANGUP_NONE;
  pollfd entry{fd_, POLLRDHUP, 0};
  if (::poll(&entry, 1, 0) <= 0) return HANGUP_NONE;
  if (entry.revents & (POLLERR | POLLHUP)) return HANGUP_BROKEN;
  return (entry.revents & POLLRDHUP) ? HANGUP_REMOTE_FINISHED : HANGUP_NONE;
}

void StreamPeerTCP::shutdown_write() {
  if (fd_ >= 0 && status_ == STATUS_CONNECTED) ::shutdown(fd_, SHUT_WR);
}

std::string StreamPeerTCP::get_connected_host() const {
  return fd_ >= 0 ? address_host(remote()) : std::string();
}

int StreamPeerTCP::get_connected_port() const { return fd_ >= 0 ? address_port(remote()) : 0; }

void StreamPeerTCP::set_no_delay(bool enabled) {
  if (fd_ >= 0) native::set_tcp_nodelay(fd_, enabled);
}

void StreamPeerTCP::set_remote(const sockaddr_storage& address) {
  std::memcpy(&remote_, &address, native::address_length(address));
}

sockaddr_storage StreamPeerTCP::remote() const {
  sockaddr_storage address{};
  std::memcpy(&address, &remote_, sizeof(remote_));
  return address;
}

void StreamPeerTCP::fail(std::string message) {
  last_error_ = std::move(message);
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  status_ = STATUS_ERROR;
}

}  // namespace wsp
