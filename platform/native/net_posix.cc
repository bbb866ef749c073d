// The platform seam on POSIX systems (Linux; macOS and BSD where marked).
#ifndef _WIN32

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "wspeer/platform/native/net.h"

namespace wsp::native {
namespace {

#ifdef MSG_NOSIGNAL
constexpr int kNoSignal = MSG_NOSIGNAL;  // a write to a reset connection returns EPIPE
#else
constexpr int kNoSignal = 0;  // macOS/BSD: SO_NOSIGPIPE, set when the socket is made
#endif

void no_sigpipe(int fd) {
#ifdef SO_NOSIGPIPE
  const int yes = 1;
  setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &yes, sizeof(yes));
#else
  (void)fd;
#endif
}

short to_poll_events(short interest) {
  short events = 0;
  if (interest & kReadable) events |= POLLIN;
  if (interest & kWritable) events |= POLLOUT;
#ifdef POLLRDHUP
  if (interest & kPeerClosed) events |= POLLRDHUP;
#endif
  return events;
}

short from_poll_events(short revents) {
  short ready = 0;
  if (revents & POLLIN) ready |= kReadable;
  if (revents & POLLOUT) ready |= kWritable;
  if (revents & POLLHUP) ready |= kHangup;
  if (revents & (POLLERR | POLLNVAL)) ready |= kError;
#ifdef POLLRDHUP
  if (revents & POLLRDHUP) ready |= kPeerClosed;
#endif
  return ready;
}

}  // namespace

void start_sockets() {}

int last_error() { return errno; }

std::string error_text(int error) {
  char buffer[256];
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
  // GNU strerror_r returns a pointer that may or may not be `buffer`.
  return std::string(strerror_r(error, buffer, sizeof(buffer)));
#else
  if (strerror_r(error, buffer, sizeof(buffer)) != 0) return "error " + std::to_string(error);
  return buffer;
#endif
}

bool is_transient(int error) { return error == EAGAIN || error == EWOULDBLOCK || error == EINTR; }

int open_tcp_socket(int ip_version) {
  const int family = ip_version == 6 ? AF_INET6 : AF_INET;
#ifdef SOCK_NONBLOCK
  const int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
#else
  const int fd = socket(family, SOCK_STREAM, IPPROTO_TCP);
  if (fd >= 0) {
    set_nonblocking(fd);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
#endif
  if (fd >= 0) no_sigpipe(fd);
  return fd < 0 ? kNoSocket : fd;
}

void close_socket(int fd) {
  if (fd >= 0) ::close(fd);
}

bool set_nonblocking(int fd, bool enabled) {
  const int flags = fcntl(fd, F_GETFL, 0);
  return flags >= 0 &&
         fcntl(fd, F_SETFL, enabled ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK)) == 0;
}

bool set_tcp_nodelay(int fd, bool enabled) {
  const int value = enabled ? 1 : 0;
  return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &value, sizeof(value)) == 0;
}

bool set_defer_accept(int listener, int seconds) {
#ifdef TCP_DEFER_ACCEPT
  return setsockopt(listener, IPPROTO_TCP, TCP_DEFER_ACCEPT, &seconds, sizeof(seconds)) == 0;
#else
  (void)listener;
  (void)seconds;
  return false;
#endif
}

bool start_connect(int fd, const SocketAddress& address, int* error) {
  const NativeAddress target = to_native(address);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&target.storage), target.length) == 0) {
    *error = 0;
    return true;
  }
  *error = errno;
  return errno == EINPROGRESS;
}

int connect_result(int fd) {
  int error = 0;
  socklen_t length = sizeof(error);
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
  return error;
}

int open_listener(const SocketAddress& address, bool dual_stack, bool share_port, int* error) {
#ifndef __linux__
  // macOS and the BSDs accept SO_REUSEPORT but give every connection to one listener.
  if (share_port) {
    *error = kPortSharingUnsupported;
    return kNoSocket;
  }
#endif
  const int fd = open_tcp_socket(address.ip_version());
  if (fd == kNoSocket) {
    *error = errno;
    return kNoSocket;
  }
  // POSIX SO_REUSEADDR only lets a restarted server bind while old connections linger.
  const int yes = 1, no = 0;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  if (dual_stack) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &no, sizeof(no));
#ifdef __linux__
  // Listeners of the same user sharing a port: the kernel spreads connections by their address.
  if (share_port) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &yes, sizeof(yes));
#endif
  const NativeAddress local = to_native(address);
  if (bind(fd, reinterpret_cast<const sockaddr*>(&local.storage), local.length) != 0 ||
      ::listen(fd, SOMAXCONN) != 0) {
    *error = errno;
    ::close(fd);
    return kNoSocket;
  }
  *error = 0;
  return fd;
}

int accept_connection(int listener, SocketAddress* remote, int* error) {
  sockaddr_storage from{};
  socklen_t length = sizeof(from);
#ifdef SOCK_NONBLOCK
  const int fd =
      accept4(listener, reinterpret_cast<sockaddr*>(&from), &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
#else
  const int fd = accept(listener, reinterpret_cast<sockaddr*>(&from), &length);
  if (fd >= 0) {
    set_nonblocking(fd);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
#endif
  if (fd < 0) {
    *error = is_transient(errno) ? 0 : errno;
    return kNoSocket;
  }
  no_sigpipe(fd);
  *remote = from_native(from);
  *error = 0;
  return fd;
}

bool is_address_in_use(int error) { return error == EADDRINUSE; }

bool is_family_unsupported(int error) { return error == EAFNOSUPPORT || error == EPFNOSUPPORT; }

int local_port(int fd) {
  sockaddr_storage bound;
  socklen_t length = sizeof(bound);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length) != 0) return 0;
  return from_native(bound).port();
}

long send_some(int fd, const ConstBuffer* parts, int count, int* error) {
  ssize_t n;
  if (count == 1) {
    n = ::send(fd, parts[0].data, parts[0].size, kNoSignal);  // no iovec for the kernel to copy
  } else {
    iovec vectors[8];
    const int used = count < 8 ? count : 8;
    for (int i = 0; i < used; ++i) {
      vectors[i] = {const_cast<uint8_t*>(parts[i].data), parts[i].size};
    }
    msghdr message{};
    message.msg_iov = vectors;
    message.msg_iovlen = static_cast<decltype(message.msg_iovlen)>(used);
    n = ::sendmsg(fd, &message, kNoSignal);
  }
  if (n >= 0) return static_cast<long>(n);
  *error = is_transient(errno) ? 0 : errno;
  return -1;
}

long receive_some(int fd, void* buffer, size_t size, int* error) {
  const ssize_t n = ::recv(fd, buffer, size, 0);
  if (n >= 0) return static_cast<long>(n);
  *error = is_transient(errno) ? 0 : errno;
  return -1;
}

void shutdown_write(int fd) { ::shutdown(fd, SHUT_WR); }

void abort_socket(int fd) {
  if (fd < 0) return;
  const linger option{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &option, sizeof(option));
  ::close(fd);
}

short wait_for(int fd, short interest, int timeout_ms) {
  pollfd entry{fd, to_poll_events(interest), 0};
  if (::poll(&entry, 1, timeout_ms) <= 0) return 0;
  return from_poll_events(entry.revents);
}

int wait_many(WaitEntry* entries, size_t count, int timeout_ms) {
  thread_local std::vector<pollfd> fds;
  fds.resize(count);
  for (size_t i = 0; i < count; ++i)
    fds[i] = {entries[i].fd, to_poll_events(entries[i].interest), 0};
  const int ready = ::poll(fds.data(), static_cast<nfds_t>(count), timeout_ms);
  for (size_t i = 0; i < count; ++i)
    entries[i].ready = ready > 0 ? from_poll_events(fds[i].revents) : 0;
  return ready < 0 && errno == EINTR ? 0 : ready;
}

}  // namespace wsp::native

#endif  // !_WIN32
