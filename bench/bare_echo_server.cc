// The physical reference for the server benchmarks, as memcpy is for the core micro-benchmarks:
// the least work a single-threaded epoll echo server can do per message, with none of a
// library's duties (no limits, no UTF-8 checks, no queues, no close handshake, no timers).
// One recv per readiness, frames unmasked in place, each reply's header written over the
// request's (a server header is 4 bytes shorter), and one sendmsg per read for every reply in
// it. No real server should run this; it shows how fast any library could be on this machine.
// Usage: bare_echo_server PORT (prints "listening on port N").
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "bench/bare_server_parts.h"
#include "wspeer/core/mask.h"

namespace {

using wsp::bench::FrameHeader;
using wsp::bench::parse_header;
using wsp::bench::upgrade;
using wsp::bench::write_reply_header;

constexpr size_t kReadSpace = 64 * 1024;
constexpr size_t kMaxFrame = 64 << 20;
constexpr int kMaxRepliesPerSend = 64;

// `out` keeps what a short send left behind.
using Connection = wsp::bench::BareConnection;

class Server {
 public:
  explicit Server(int listener)
      : listener_(listener), epoll_(wsp::bench::epoll_with_listener(listener)) {}

  [[noreturn]] void run() {
    wsp::bench::serve_events<Connection>(
        epoll_, [this] { accept_all(); },
        [this](Connection* connection, uint32_t events) {
          const bool alive = (events & EPOLLOUT) ? flush(connection) : read(connection);
          if (!alive) close_connection(connection);
        });
  }

 private:
  void accept_all() {
    wsp::bench::accept_each(listener_, [this](int fd) {
      auto* connection = new Connection;
      connection->fd = fd;
      wsp::bench::watch(epoll_, fd, EPOLLIN, connection);
    });
  }

  void close_connection(Connection* connection) {
    close(connection->fd);
    delete connection;
  }

  void want_output(Connection* connection, bool output) {
    wsp::bench::watch(epoll_, connection->fd, output ? EPOLLOUT : EPOLLIN, connection,
                      /*change=*/true);
  }

  bool read(Connection* connection) {
    if (!receive(connection, kReadSpace, kMaxFrame)) return false;
    if (!connection->upgraded && !upgrade(connection)) return false;
    return reply(connection);
  }

  // Echoes the complete frames in the input, up to kMaxRepliesPerSend per sendmsg.
  bool reply(Connection* connection) {
    bool more = true;
    while (more) {
      if (!reply_batch(connection, &more)) return false;
    }
    return true;
  }

  bool reply_batch(Connection* connection, bool* more) {
    *more = false;
    uint8_t* data = connection->in.data();
    size_t offset = 0;
    iovec replies[kMaxRepliesPerSend + 1];
    int count = 0;
    if (!connection->out.empty()) {  // the handshake response goes first
      replies[count++] = {connection->out.data(), connection->out.size()};
    }
    FrameHeader header;
    while (count < kMaxRepliesPerSend &&
           parse_header(data + offset, connection->in_length - offset, &header) &&
           connection->in_length - offset >= header.header_size + header.payload_size) {
      uint8_t* frame = data + offset;
      uint8_t* payload = frame + header.header_size;
      uint8_t key[4];
      std::memcpy(key, payload - 4, 4);
      wsp::mask_in_place(payload, header.payload_size, key, 0);
      uint8_t* start = write_reply_header(payload, frame[0], header.payload_size);
      replies[count++] = {start, static_cast<size_t>(payload + header.payload_size - start)};
      offset += header.header_size + header.payload_size;
    }
    if (count == 0) return true;
    msghdr message{};
    message.msg_iov = replies;
    message.msg_iovlen = static_cast<size_t>(count);
    ssize_t sent = sendmsg(connection->fd, &message, MSG_NOSIGNAL);
    if (sent < 0 && errno != EAGAIN) return false;
    size_t done = sent < 0 ? 0 : static_cast<size_t>(sent);
    // Whatever the socket did not take waits in `out` until it is writable.
    std::vector<uint8_t> rest;
    for (int i = 0; i < count; ++i) {
      const size_t skip = std::min(done, replies[i].iov_len);
      done -= skip;
      const auto* base = static_cast<const uint8_t*>(replies[i].iov_base);
      rest.insert(rest.end(), base + skip, base + replies[i].iov_len);
    }
    connection->out = std::move(rest);
    connection->out_position = 0;
    std::memmove(data, data + offset, connection->in_length - offset);
    connection->in_length -= offset;
    if (!connection->out.empty()) {
      want_output(connection, true);
    } else {
      *more = count == kMaxRepliesPerSend;
    }
    return true;
  }

  bool flush(Connection* connection) {
    std::vector<uint8_t>& out = connection->out;
    const ssize_t sent = send(connection->fd, out.data() + connection->out_position,
                              out.size() - connection->out_position, MSG_NOSIGNAL);
    if (sent < 0) return errno == EAGAIN;
    connection->out_position += static_cast<size_t>(sent);
    if (connection->out_position < out.size()) return true;
    out.clear();
    connection->out_position = 0;
    want_output(connection, false);
    return reply(connection);  // frames that arrived while the output was blocked
  }

  int listener_;
  int epoll_;
};

}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  const int listener = wsp::bench::open_loopback_listener(argc > 1 ? std::atoi(argv[1]) : 0, &port);
  if (listener < 0) {
    std::perror("bare_echo_server");
    return 1;
  }
  std::printf("listening on port %d\n", port);
  std::fflush(stdout);
  Server(listener).run();
}
