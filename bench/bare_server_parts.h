// What the bare reference servers (bench/bare_echo_server.cc, bench/bare_tls_echo_server.cc)
// share: a loopback listener, and the least parsing an echo server needs (nothing is checked
// that a benchmark's own load generator would not send).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "wspeer/core/handshake.h"

namespace wsp::bench {

struct FrameHeader {
  size_t header_size = 0;  // including the masking key
  uint64_t payload_size = 0;
};

// False while the header is incomplete.
inline bool parse_header(const uint8_t* data, size_t size, FrameHeader* header) {
  if (size < 2) return false;
  uint64_t length = data[1] & 0x7f;
  size_t header_size = 2;
  if (length == 126) {
    if (size < 4) return false;
    length = (uint64_t{data[2]} << 8) | data[3];
    header_size = 4;
  } else if (length == 127) {
    if (size < 10) return false;
    length = 0;
    for (int i = 0; i < 8; ++i) length = (length << 8) | data[2 + i];
    header_size = 10;
  }
  header->header_size = header_size + 4;
  header->payload_size = length;
  return true;
}

// Writes the server's header so that it ends right before the payload; returns where it starts.
inline uint8_t* write_reply_header(uint8_t* payload, uint8_t first_byte, uint64_t length) {
  uint8_t* start;
  if (length < 126) {
    start = payload - 2;
    start[1] = static_cast<uint8_t>(length);
  } else if (length < 65536) {
    start = payload - 4;
    start[1] = 126;
    start[2] = static_cast<uint8_t>(length >> 8);
    start[3] = static_cast<uint8_t>(length);
  } else {
    start = payload - 10;
    start[1] = 127;
    for (int i = 0; i < 8; ++i) start[2 + i] = static_cast<uint8_t>(length >> (56 - 8 * i));
  }
  start[0] = first_byte;
  return start;
}

inline std::string_view header_value(std::string_view request, std::string_view name) {
  for (size_t line = request.find("\r\n"); line != std::string_view::npos;
       line = request.find("\r\n", line + 2)) {
    std::string_view rest = request.substr(line + 2);
    if (rest.size() > name.size() && rest[name.size()] == ':' &&
        strncasecmp(rest.data(), name.data(), name.size()) == 0) {
      rest.remove_prefix(name.size() + 1);
      rest = rest.substr(0, rest.find("\r\n"));
      while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
      return rest;
    }
  }
  return {};
}

// A non-blocking listener on 127.0.0.1:port (0 picks one); -1 on failure. *bound_port is the
// port it got.
inline int open_loopback_listener(int port, int* bound_port) {
  const int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  const int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      listen(listener, SOMAXCONN) != 0 ||
      getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    close(listener);
    return -1;
  }
  *bound_port = ntohs(address.sin_port);
  return listener;
}

// A new connection from `listener` with Nagle off, or -1 when none is waiting.
inline int accept_connection(int listener) {
  const int fd = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0) return -1;
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

// Watches `fd` for `events`, reporting `data` with them; `change` modifies an existing watch.
inline void watch(int epoll, int fd, uint32_t events, void* data, bool change = false) {
  epoll_event event{};
  event.events = events;
  event.data.ptr = data;
  epoll_ctl(epoll, change ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &event);
}

// An epoll set watching `listener` for new connections (its events carry a null pointer).
inline int epoll_with_listener(int listener) {
  const int epoll = epoll_create1(0);
  watch(epoll, listener, EPOLLIN, nullptr);
  return epoll;
}

// Takes every connection waiting on `listener`, handing each new socket to `adopt(fd)`.
template <typename Adopt>
void accept_each(int listener, Adopt adopt) {
  for (int fd = accept_connection(listener); fd >= 0; fd = accept_connection(listener)) adopt(fd);
}

// Serves `epoll` for ever: the listener's events (a null pointer) call on_listener(), the others
// on_connection(connection, events) with the connection their watch carries.
template <typename Connection, typename OnListener, typename OnConnection>
[[noreturn]] void serve_events(int epoll, OnListener on_listener, OnConnection on_connection) {
  epoll_event events[256];
  for (;;) {
    const int count = epoll_wait(epoll, events, 256, -1);
    for (int i = 0; i < count; ++i) {
      auto* connection = static_cast<Connection*>(events[i].data.ptr);
      if (connection == nullptr) {
        on_listener();
      } else {
        on_connection(connection, events[i].events);
      }
    }
  }
}

// What both bare servers keep per connection.
struct BareConnection {
  int fd = -1;
  bool upgraded = false;
  std::vector<uint8_t> in;
  size_t in_length = 0;
  std::vector<uint8_t> out;  // bytes waiting to be written
  size_t out_position = 0;
};

// One recv into the input, grown first to hold the whole of a frame already begun, so that a large
// payload arrives in place. False when the connection is over (closed, failed, or a frame over
// `max_frame`); true otherwise, also when there was nothing to read.
inline bool receive(BareConnection* connection, size_t read_space, uint64_t max_frame) {
  std::vector<uint8_t>& in = connection->in;
  size_t need = connection->in_length + read_space;
  FrameHeader header;
  if (connection->upgraded && parse_header(in.data(), connection->in_length, &header)) {
    if (header.payload_size > max_frame) return false;
    need = std::max<size_t>(need, header.header_size + header.payload_size);
  }
  if (in.size() < need) in.resize(need);
  const ssize_t received =
      recv(connection->fd, in.data() + connection->in_length, in.size() - connection->in_length, 0);
  if (received == 0) return false;
  if (received < 0) return errno == EAGAIN || errno == EINTR;
  connection->in_length += static_cast<size_t>(received);
  return true;
}

// Answers the HTTP upgrade at the start of the input once its head is complete: the 101 goes to
// `out` and the request leaves `in`. False when the head grew too big without ending.
inline bool upgrade(BareConnection* connection) {
  const std::string_view text(reinterpret_cast<const char*>(connection->in.data()),
                              connection->in_length);
  const size_t end = text.find("\r\n\r\n");
  if (end == std::string_view::npos) return connection->in_length < 8192;
  const std::string response =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Accept: " +
      compute_accept_key(header_value(text.substr(0, end), "Sec-WebSocket-Key")) + "\r\n\r\n";
  connection->out.assign(response.begin(), response.end());
  connection->out_position = 0;
  connection->upgraded = true;
  std::memmove(connection->in.data(), connection->in.data() + end + 4,
               connection->in_length - end - 4);
  connection->in_length -= end + 4;
  return true;
}

}  // namespace wsp::bench
