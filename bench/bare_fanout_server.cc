// The reference for the fan-out benchmark: the least work a single-threaded epoll server can do
// to pass a message on to everyone else. Every frame a connection sends is framed once (its
// payload unmasked in place behind a server header) and that one buffer is sent to every other
// connection; what a socket does not take waits in its own queue. No limits, no rooms, no ids:
// it shows how fast any fan-out could be on this machine (bench/fanout_bench.py).
// Usage: bare_fanout_server [PORT] (prints "listening on port N").
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unordered_set>
#include <vector>

#include "bench/bare_server_parts.h"
#include "wspeer/core/mask.h"

namespace {

using wsp::bench::FrameHeader;
using wsp::bench::parse_header;
using wsp::bench::write_reply_header;
using Connection = wsp::bench::BareConnection;

constexpr size_t kReadSpace = 64 * 1024;
constexpr size_t kMaxFrame = 16 << 20;

class Server {
 public:
  explicit Server(int listener)
      : listener_(listener), epoll_(wsp::bench::epoll_with_listener(listener)) {}

  [[noreturn]] void run() {
    wsp::bench::serve_events<Connection>(
        epoll_, [this] { accept_all(); },
        [this](Connection* connection, uint32_t events) {
          bool alive = true;
          if (events & EPOLLOUT) alive = flush(connection);
          if (alive && (events & (EPOLLIN | EPOLLHUP | EPOLLERR))) alive = read(connection);
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
    members_.erase(connection);
    close(connection->fd);
    delete connection;
  }

  void want_output(Connection* connection, bool output) {
    wsp::bench::watch(epoll_, connection->fd, output ? EPOLLIN | EPOLLOUT : EPOLLIN, connection,
                      /*change=*/true);
  }

  // Sends `bytes` now, or queues what the socket does not take behind what already waits.
  void send_or_queue(Connection* connection, const uint8_t* bytes, size_t size) {
    size_t done = 0;
    if (connection->out.size() == connection->out_position) {
      const ssize_t sent = send(connection->fd, bytes, size, MSG_NOSIGNAL);
      if (sent > 0) done = static_cast<size_t>(sent);
    }
    if (done == size) return;
    const bool was_empty = connection->out.size() == connection->out_position;
    connection->out.insert(connection->out.end(), bytes + done, bytes + size);
    if (was_empty) want_output(connection, true);
  }

  bool read(Connection* connection) {
    if (!receive(connection, kReadSpace, kMaxFrame)) return false;
    if (!connection->upgraded) {
      if (!wsp::bench::upgrade(connection)) return false;
      if (!connection->upgraded) return true;
      std::vector<uint8_t> response = std::move(connection->out);
      connection->out.clear();
      connection->out_position = 0;
      send_or_queue(connection, response.data(), response.size());
      members_.insert(connection);
    }
    uint8_t* data = connection->in.data();
    size_t offset = 0;
    FrameHeader header;
    while (parse_header(data + offset, connection->in_length - offset, &header) &&
           connection->in_length - offset >= header.header_size + header.payload_size) {
      uint8_t* frame = data + offset;
      uint8_t* payload = frame + header.header_size;
      uint8_t key[4];
      std::memcpy(key, payload - 4, 4);
      wsp::mask_in_place(payload, header.payload_size, key, 0);
      uint8_t* start = write_reply_header(payload, frame[0], header.payload_size);
      const size_t size = static_cast<size_t>(payload + header.payload_size - start);
      for (Connection* member : members_) {
        if (member != connection) send_or_queue(member, start, size);
      }
      offset += header.header_size + header.payload_size;
    }
    std::memmove(data, data + offset, connection->in_length - offset);
    connection->in_length -= offset;
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
    return true;
  }

  int listener_;
  int epoll_;
  std::unordered_set<Connection*> members_;
};

}  // namespace

int main(int argc, char** argv) {
  rlimit files;  // a thousand members need more descriptors than the usual soft limit
  if (getrlimit(RLIMIT_NOFILE, &files) == 0) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  int port = 0;
  const int listener = wsp::bench::open_loopback_listener(argc > 1 ? std::atoi(argv[1]) : 0, &port);
  if (listener < 0) {
    std::perror("bare_fanout_server");
    return 1;
  }
  std::printf("listening on port %d\n", port);
  std::fflush(stdout);
  Server(listener).run();
}
