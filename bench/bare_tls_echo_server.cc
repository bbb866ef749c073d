// The reference for the wss benchmarks, as bench/bare_echo_server.cc is for ws: the least work
// a single-threaded epoll echo server over OpenSSL can do per message, with none of a library's
// duties (no limits, no UTF-8 checks, no queues, no close handshake, no timers, no buffer
// release when idle). OpenSSL reads and writes the socket itself (no memory BIOs), every record
// it has is read before replying, frames are unmasked in place, and all the replies of one read
// go out through one SSL_write (so small messages share a record); a lone reply is written from
// where it arrived, uncopied.
// Usage: bare_tls_echo_server PORT CERT.pem KEY.pem (prints "listening on port N").
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
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

// `out` gathers the replies for one SSL_write, or keeps what a blocked one left.
struct Connection : wsp::bench::BareConnection {
  SSL* ssl = nullptr;
  bool waiting_to_write = false;
};

class Server {
 public:
  Server(int listener, SSL_CTX* context)
      : listener_(listener), context_(context), epoll_(wsp::bench::epoll_with_listener(listener)) {}

  [[noreturn]] void run() {
    wsp::bench::serve_events<Connection>(
        epoll_, [this] { accept_all(); },
        [this](Connection* connection, uint32_t) {
          if (!serve(connection)) close_connection(connection);
        });
  }

 private:
  void accept_all() {
    wsp::bench::accept_each(listener_, [this](int fd) {
      auto* connection = new Connection;
      connection->fd = fd;
      connection->ssl = SSL_new(context_);
      SSL_set_fd(connection->ssl, fd);
      SSL_set_accept_state(connection->ssl);
      wsp::bench::watch(epoll_, fd, EPOLLIN, connection);
    });
  }

  void close_connection(Connection* connection) {
    SSL_free(connection->ssl);
    close(connection->fd);
    delete connection;
  }

  void want_output(Connection* connection, bool output) {
    if (connection->waiting_to_write == output) return;
    connection->waiting_to_write = output;
    wsp::bench::watch(epoll_, connection->fd, output ? EPOLLOUT : EPOLLIN, connection,
                      /*change=*/true);
  }

  // False when the connection is over.
  bool serve(Connection* connection) {
    if (!connection->out.empty()) {
      const int state = write_pending(connection);
      if (state <= 0) return state == 0;
    }
    if (!read_all(connection)) return false;
    if (!connection->upgraded && !upgrade(connection)) return false;
    return connection->upgraded ? reply(connection) : true;
  }

  // Reads every record OpenSSL can decrypt now; false when the peer left or TLS failed.
  bool read_all(Connection* connection) {
    std::vector<uint8_t>& in = connection->in;
    for (;;) {
      // Room for the whole of a frame already begun, so a large payload arrives in place.
      size_t need = connection->in_length + kReadSpace;
      FrameHeader header;
      if (connection->upgraded && parse_header(in.data(), connection->in_length, &header)) {
        if (header.payload_size > kMaxFrame) return false;
        need = std::max<size_t>(need, header.header_size + header.payload_size);
      }
      if (in.size() < need) in.resize(need);
      const size_t room = std::min<size_t>(in.size() - connection->in_length, 1 << 30);
      const int received =
          SSL_read(connection->ssl, in.data() + connection->in_length, static_cast<int>(room));
      if (received > 0) {
        connection->in_length += static_cast<size_t>(received);
        continue;
      }
      const int reason = SSL_get_error(connection->ssl, received);
      ERR_clear_error();
      return reason == SSL_ERROR_WANT_READ || reason == SSL_ERROR_WANT_WRITE;
    }
  }

  // Echoes every complete frame in the input through one SSL_write.
  bool reply(Connection* connection) {
    uint8_t* data = connection->in.data();
    size_t offset = 0;
    const uint8_t* lone_start = nullptr;  // the only reply, if there is just one
    size_t lone_size = 0;
    int replies = 0;
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
      if (++replies == 1 && connection->out.empty()) {
        lone_start = start;
        lone_size = size;
      } else {
        if (lone_start) connection->out.assign(lone_start, lone_start + lone_size);
        lone_start = nullptr;
        connection->out.insert(connection->out.end(), start, start + size);
      }
      offset += header.header_size + header.payload_size;
    }
    int state = 1;
    if (lone_start) {
      const int written = write_some(connection, lone_start, lone_size);
      if (written < 0) return false;
      // What the socket did not take waits in `out` until it is writable.
      if (static_cast<size_t>(written) < lone_size) {
        connection->out.assign(lone_start + written, lone_start + lone_size);
      }
    }
    if (!connection->out.empty()) state = write_pending(connection);
    std::memmove(data, data + offset, connection->in_length - offset);
    connection->in_length -= offset;
    return state >= 0;
  }

  // Bytes SSL_write took (0 if the socket is full), or -1 when TLS failed.
  int write_some(Connection* connection, const uint8_t* data, size_t size) {
    size_t done = 0;
    while (done < size) {
      const int written = SSL_write(connection->ssl, data + done,
                                    static_cast<int>(std::min<size_t>(size - done, 1 << 30)));
      if (written <= 0) {
        const int reason = SSL_get_error(connection->ssl, written);
        ERR_clear_error();
        if (reason != SSL_ERROR_WANT_WRITE && reason != SSL_ERROR_WANT_READ) return -1;
        break;
      }
      done += static_cast<size_t>(written);
    }
    return static_cast<int>(done);
  }

  // 1 when `out` went out, 0 when it waits for the socket, -1 when TLS failed.
  int write_pending(Connection* connection) {
    std::vector<uint8_t>& out = connection->out;
    const int written = write_some(connection, out.data() + connection->out_position,
                                   out.size() - connection->out_position);
    if (written < 0) return -1;
    connection->out_position += static_cast<size_t>(written);
    if (connection->out_position < out.size()) {
      want_output(connection, true);
      return 0;
    }
    out.clear();
    connection->out_position = 0;
    want_output(connection, false);
    return 1;
  }

  int listener_;
  SSL_CTX* context_;
  int epoll_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: bare_tls_echo_server PORT CERT.pem KEY.pem\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);  // OpenSSL writes to sockets whose peer may have left
  SSL_CTX* context = SSL_CTX_new(TLS_server_method());
  // A blocked SSL_write is retried from `out`, not from where the bytes first were.
  SSL_CTX_set_mode(context, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (SSL_CTX_use_certificate_chain_file(context, argv[2]) != 1 ||
      SSL_CTX_use_PrivateKey_file(context, argv[3], SSL_FILETYPE_PEM) != 1) {
    ERR_print_errors_fp(stderr);
    return 1;
  }
  int port = 0;
  const int listener = wsp::bench::open_loopback_listener(std::atoi(argv[1]), &port);
  if (listener < 0) {
    std::perror("bare_tls_echo_server");
    return 1;
  }
  std::printf("listening on port %d\n", port);
  std::fflush(stdout);
  Server(listener, context).run();
}
