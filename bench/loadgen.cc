// loadgen: a WebSocket load generator of our own. One thread, epoll, raw frames: no WebSocket
// library on the client side, so what it measures is the server.
//
//   loadgen --port P [--host 127.0.0.1] [--mode echo|idle|handshakes] [--connections N]
//           [--payload BYTES] [--inflight K] [--text] [--duration S] [--warmup S]
//           [--server-pid PID] [--hold S] [--spin] [--deflate] [--tls] [--tls-resume] [--json]
//
// echo:       every connection keeps K messages in flight; reports messages/s, MB/s, p50/p99,
//             and how busy each CPU was meanwhile (pin this and the server to one CPU each).
// idle:       opens N connections, checks one echo on each, then measures the server's RSS per
//             connection (with --server-pid) while they sit idle.
// handshakes: opens, upgrades and closes connections as fast as the server allows.
// --spin:     poll without ever sleeping. A sleeping load generator makes the server pay for
//             waking it with every reply (a costly cross-CPU interrupt in a virtual machine);
//             spinning takes that cost, and the client's wake-up latency, out of the figures.
// --deflate:  negotiate permessage-deflate without context takeover in either direction and
//             send a JSON-like message compressed once (text): each echo costs the server a
//             real decompression and compression, however often the message repeats. Every
//             reply must come compressed and decompress to the message sent.
// --deflate-takeover: the same, but the server keeps its context between messages (the usual
//             default), so its replies refer back to earlier ones.
// --tls:      wss://: OpenSSL over each socket (TLS 1.3 unless the server says otherwise; the
//             certificate is not verified: this measures the server, on loopback). Several
//             queued messages go out in one TLS record, as a real client's batched writes would.
// --tls-resume: with --tls, offer the last session ticket the server sent, so handshakes are
//             resumed when the server allows it (reported as "resumed").
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "bench/cpu_usage.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string mode = "echo";
  int connections = 1;
  size_t payload = 16;
  int inflight = 1;
  bool text = false;
  double duration = 5;
  double warmup = 1;
  int server_pid = 0;
  double hold = 1;
  bool json = false;
  bool spin = false;  // poll without sleeping, so a server's replies never pay to wake us up
  bool deflate = false;
  bool deflate_takeover = false;  // the server keeps its compression context between messages
  bool tls = false;
  bool tls_resume = false;
};

const char kDeflateOffer[] =
    "Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover; "
    "server_no_context_takeover\r\n";
const char kDeflateTakeoverOffer[] =
    "Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover\r\n";

// Text shaped like a game's or an API's JSON messages, `size` bytes long.
std::string json_like(size_t size) {
  std::string text = "[";
  for (int i = 0; text.size() < size; ++i) {
    text += "{\"id\":" + std::to_string(1000 + i * 7) + ",\"name\":\"player" +
            std::to_string(i % 13) + "\",\"x\":" + std::to_string(i % 97) +
            ".5,\"alive\":" + (i % 3 ? "true" : "false") + "},";
  }
  text.resize(size);
  return text;
}

// Decompresses a connection's replies and compares each with the message sent. With the
// server's context takeover the window carries over from reply to reply.
class ReplyChecker {
 public:
  explicit ReplyChecker(bool keep_context) : keep_context_(keep_context) { inflateInit2(&z_, -15); }
  ~ReplyChecker() { inflateEnd(&z_); }
  ReplyChecker(const ReplyChecker&) = delete;
  ReplyChecker& operator=(const ReplyChecker&) = delete;

  bool matches(std::string reply, const std::string& expected) {
    reply.append("\x00\x00\xff\xff", 4);
    out_.assign(expected.size() + 1, '\0');
    z_.next_in = reinterpret_cast<Bytef*>(reply.data());
    z_.avail_in = static_cast<uInt>(reply.size());
    z_.next_out = reinterpret_cast<Bytef*>(out_.data());
    z_.avail_out = static_cast<uInt>(out_.size());
    const int status = inflate(&z_, Z_SYNC_FLUSH);
    const size_t produced = out_.size() - z_.avail_out;
    if (!keep_context_) inflateReset(&z_);
    return (status == Z_OK || status == Z_BUF_ERROR) && z_.avail_in == 0 &&
           produced == expected.size() && out_.compare(0, produced, expected) == 0;
  }

 private:
  bool keep_context_;
  z_stream z_{};
  std::string out_;
};

// Raw DEFLATE of one message with the 00 00 FF FF tail removed (RFC 7692 §7.2.1).
std::string deflate_message(const std::string& data) {
  z_stream z{};
  deflateInit2(&z, 1, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, data.size()) + 16, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_SYNC_FLUSH);
  out.resize(out.size() - z.avail_out - 4);
  deflateEnd(&z);
  return out;
}

const char kRequestTemplate[] =
    "GET / HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

struct Connection {
  int fd = -1;
  enum { kConnecting, kTlsHandshake, kUpgrading, kOpen, kClosing, kDone } phase = kConnecting;
  SSL* ssl = nullptr;       // --tls
  std::string tls_pending;  // --tls: plaintext SSL_write has not taken yet (retried as is)
  size_t tls_pending_pos = 0;
  std::string handshake;  // response bytes until the end of the HTTP head
  std::string control;    // request or close frame still to write
  size_t control_pos = 0;
  uint64_t frames_to_send = 0;  // copies of the shared message frame still to write
  size_t frame_pos = 0;         // bytes of the current copy already written
  // Incremental frame parser over received bytes (nothing is copied but headers).
  uint8_t header[14];
  size_t header_size = 0;
  uint64_t payload_left = 0;
  bool in_payload = false;
  uint8_t opcode = 0;
  bool fin = false;
  bool compressed = false;                // RSV1 on the first frame of the message being received
  std::string reply;                      // --deflate: the compressed reply being received
  std::shared_ptr<ReplyChecker> checker;  // --deflate: decompresses the replies
  uint64_t message_bytes = 0;  // payload of the message being reassembled (fragmented echoes)
  std::deque<Clock::time_point> sent_at;
  int outstanding = 0;
  bool echoed_once = false;
};

// Each CPU's shares of the measured interval, for run_bench.py to tell who ran out of CPU.
std::string cpus_json(const std::vector<wsp::bench::CpuShare>& cpus) {
  std::string out;
  for (const wsp::bench::CpuShare& cpu : cpus) {
    char item[128];
    std::snprintf(item, sizeof(item),
                  "%s{\"user\":%.3f,\"kernel\":%.3f,\"idle\":%.3f,\"steal\":%.3f}",
                  out.empty() ? "" : ",", cpu.user, cpu.kernel, cpu.idle, cpu.steal);
    out += item;
  }
  return out;
}

std::string cpus_text(const std::vector<wsp::bench::CpuShare>& cpus) {
  std::string out;
  for (size_t i = 0; i < cpus.size(); ++i) {
    char item[64];
    std::snprintf(item, sizeof(item), " %zu: %.0f%%", i, 100 * cpus[i].busy());
    out += item;
  }
  return out;
}

long rss_kib(int pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

void raise_file_limit(int needed) {
  rlimit limit;
  getrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur >= static_cast<rlim_t>(needed)) return;
  if (limit.rlim_max < static_cast<rlim_t>(needed)) limit.rlim_max = needed;  // works as root
  limit.rlim_cur = limit.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

class LoadGenerator {
 public:
  explicit LoadGenerator(const Options& options) : options_(options) {
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    char request[512];
    std::snprintf(request, sizeof(request), kRequestTemplate, options.host.c_str(), options.port);
    request_ = request;
    if (options.deflate) {
      request_.insert(request_.size() - 2,
                      options.deflate_takeover ? kDeflateTakeoverOffer : kDeflateOffer);
    }
    // One masked frame, built once; every message sends these bytes.
    const uint8_t key[4] = {0x12, 0x34, 0x56, 0x78};
    if (options.deflate) message_ = json_like(options.payload);
    const std::string payload = options.deflate ? deflate_message(message_) : std::string();
    frame_.push_back(static_cast<char>(0x80 | (options.deflate ? 0x40 : 0) |
                                       (options.text || options.deflate ? 1 : 2)));
    const size_t n = options.deflate ? payload.size() : options.payload;
    if (n < 126) {
      frame_.push_back(static_cast<char>(0x80 | n));
    } else if (n <= 0xFFFF) {
      frame_.push_back(static_cast<char>(0x80 | 126));
      frame_.push_back(static_cast<char>(n >> 8));
      frame_.push_back(static_cast<char>(n & 0xFF));
    } else {
      frame_.push_back(static_cast<char>(0x80 | 127));
      for (int i = 7; i >= 0; --i)
        frame_.push_back(static_cast<char>((uint64_t(n) >> (8 * i)) & 0xFF));
    }
    frame_.append(reinterpret_cast<const char*>(key), 4);
    for (size_t i = 0; i < n; ++i) {
      const char byte = options.deflate ? payload[i] : static_cast<char>('a' + i % 26);
      frame_.push_back(static_cast<char>(byte ^ key[i % 4]));
    }
    sockaddr_in* v4 = reinterpret_cast<sockaddr_in*>(&address_);
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(options.port));
    inet_pton(AF_INET, options.host.c_str(), &v4->sin_addr);
    if (options.tls) {
      tls_ = SSL_CTX_new(TLS_client_method());
      SSL_CTX_set_verify(tls_, SSL_VERIFY_NONE, nullptr);
      // SSL_write may return after some records, and is retried from where it stopped.
      SSL_CTX_set_mode(tls_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    }
  }

  bool open_connection(Connection& c) {
    c = Connection();
    c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) return false;
    const int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(c.fd, reinterpret_cast<sockaddr*>(&address_), sizeof(sockaddr_in)) != 0 &&
        errno != EINPROGRESS) {
      ::close(c.fd);
      c.fd = -1;
      return false;
    }
    c.control = request_;
    if (tls_) {
      c.ssl = SSL_new(tls_);
      SSL_set_fd(c.ssl, c.fd);
      SSL_set_connect_state(c.ssl);
      if (session_) SSL_set_session(c.ssl, session_);
    }
    epoll_event event{};
    event.events = EPOLLIN | EPOLLOUT | EPOLLET | EPOLLRDHUP;
    event.data.ptr = &c;
    epoll_ctl(epoll_, EPOLL_CTL_ADD, c.fd, &event);
    c.phase = tls_ ? Connection::kTlsHandshake : Connection::kUpgrading;
    return true;
  }

  // Drives the TLS handshake; false if it failed (the connection is then closed).
  bool advance_tls_handshake(Connection& c) {
    ERR_clear_error();
    const int result = SSL_do_handshake(c.ssl);
    if (result == 1) {
      c.phase = Connection::kUpgrading;
      return true;
    }
    const int reason = SSL_get_error(c.ssl, result);
    if (reason == SSL_ERROR_WANT_READ || reason == SSL_ERROR_WANT_WRITE) return true;
    fail(c, "TLS handshake failed");
    return false;
  }

  // TLS: plaintext is gathered into one buffer (one record for many small frames) and handed
  // to SSL_write; a blocked write is retried with the same bytes before anything is added.
  void flush_tls(Connection& c) {
    if (c.phase == Connection::kTlsHandshake &&
        (!advance_tls_handshake(c) || c.phase == Connection::kTlsHandshake)) {
      return;
    }
    for (;;) {
      if (c.tls_pending.empty()) {
        c.tls_pending.append(c.control, c.control_pos, std::string::npos);
        c.control.clear();
        c.control_pos = 0;
        if (c.phase == Connection::kOpen) {
          while (c.frames_to_send > 0 && c.tls_pending.size() < 64 * 1024) {
            c.tls_pending += frame_;
            --c.frames_to_send;
          }
        }
        c.tls_pending_pos = 0;
        if (c.tls_pending.empty()) return;
      }
      ERR_clear_error();
      const size_t left = c.tls_pending.size() - c.tls_pending_pos;
      const int n = SSL_write(c.ssl, c.tls_pending.data() + c.tls_pending_pos,
                              static_cast<int>(std::min<size_t>(left, 1 << 30)));
      if (n <= 0) {
        const int reason = SSL_get_error(c.ssl, n);
        if (reason != SSL_ERROR_WANT_WRITE && reason != SSL_ERROR_WANT_READ) {
          fail(c, "TLS write failed");
        }
        return;
      }
      bytes_sent_ += static_cast<uint64_t>(n);
      c.tls_pending_pos += static_cast<size_t>(n);
      if (c.tls_pending_pos == c.tls_pending.size()) {
        c.tls_pending.clear();
        c.tls_pending_pos = 0;
      }
    }
  }

  // TLS: reads until OpenSSL wants more from the socket (it buffers records of its own, so an
  // edge-triggered wake-up must be drained to the end).
  void on_readable_tls(Connection& c, bool measuring, char* buffer, size_t size) {
    if (c.phase == Connection::kTlsHandshake) {
      if (!advance_tls_handshake(c) || c.phase == Connection::kTlsHandshake) return;
      flush_tls(c);  // the upgrade request
    }
    while (c.fd >= 0) {
      ERR_clear_error();
      const int n = SSL_read(c.ssl, buffer, static_cast<int>(size));
      if (n > 0) {
        consume(c, reinterpret_cast<const uint8_t*>(buffer), static_cast<size_t>(n), measuring);
        continue;
      }
      const int reason = SSL_get_error(c.ssl, n);
      if (reason == SSL_ERROR_WANT_READ || reason == SSL_ERROR_WANT_WRITE) return;
      if (c.phase == Connection::kClosing) {
        ++closed_cleanly_;
        close_connection(c);
      } else {
        fail(c, reason == SSL_ERROR_ZERO_RETURN ? "closed by the server" : "TLS read failed");
      }
      return;
    }
  }

  void queue_message(Connection& c) {
    ++c.frames_to_send;
    c.sent_at.push_back(Clock::now());
    ++c.outstanding;
  }

  // Writes control bytes, then copies of the shared frame, straight from their buffers.
  void flush(Connection& c) {
    if (c.ssl) {
      flush_tls(c);
      return;
    }
    while (c.control_pos < c.control.size()) {
      const ssize_t n = ::send(c.fd, c.control.data() + c.control_pos,
                               c.control.size() - c.control_pos, MSG_NOSIGNAL);
      if (n <= 0) return;
      c.control_pos += static_cast<size_t>(n);
    }
    c.control.clear();
    c.control_pos = 0;
    if (c.phase != Connection::kOpen) return;
    while (c.frames_to_send > 0) {
      iovec parts[64];
      int count = 0;
      parts[count++] = {const_cast<char*>(frame_.data()) + c.frame_pos,
                        frame_.size() - c.frame_pos};
      for (uint64_t i = 1; i < c.frames_to_send && count < 64; ++i) {
        parts[count++] = {const_cast<char*>(frame_.data()), frame_.size()};
      }
      const ssize_t n = ::writev(c.fd, parts, count);
      if (n <= 0) return;
      bytes_sent_ += static_cast<uint64_t>(n);
      const size_t offered = frame_.size() - c.frame_pos + (count - 1) * frame_.size();
      // Advance over the whole frames written and into a partial one.
      size_t written = static_cast<size_t>(n) + c.frame_pos;
      c.frames_to_send -= written / frame_.size();
      c.frame_pos = written % frame_.size();
      if (static_cast<size_t>(n) < offered) return;  // the socket is full
    }
  }

  void fail(Connection& c, const char* why) {
    if (c.phase != Connection::kDone) {
      ++errors_;
      if (errors_ <= 5) std::fprintf(stderr, "loadgen: connection failed: %s\n", why);
    }
    close_connection(c);
  }

  void close_connection(Connection& c) {
    if (c.ssl) {
      // A session freed without a shutdown is marked not resumable; the benchmark ends
      // connections abruptly on purpose, so it says the shutdown happened.
      SSL_set_quiet_shutdown(c.ssl, 1);
      SSL_shutdown(c.ssl);
      SSL_free(c.ssl);
    }
    c.ssl = nullptr;
    if (c.fd >= 0) ::close(c.fd);
    c.fd = -1;
    c.phase = Connection::kDone;
  }

  // Handles readable bytes: one recv unless the buffer filled, then frames parsed in place.
  void on_readable(Connection& c, bool measuring) {
    static char buffer[256 * 1024];
    if (c.ssl) {
      on_readable_tls(c, measuring, buffer, sizeof(buffer));
      return;
    }
    while (c.fd >= 0) {
      const ssize_t n = ::recv(c.fd, buffer, sizeof(buffer), 0);
      if (n == 0) {
        if (c.phase == Connection::kClosing) {
          ++closed_cleanly_;
          close_connection(c);
        } else {
          fail(c, "closed by the server");
        }
        return;
      }
      if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK) fail(c, "recv error");
        return;
      }
      consume(c, reinterpret_cast<const uint8_t*>(buffer), static_cast<size_t>(n), measuring);
      if (static_cast<size_t>(n) < sizeof(buffer)) return;  // drained; the next edge wakes us
    }
  }

  void consume(Connection& c, const uint8_t* data, size_t size, bool measuring) {
    size_t pos = 0;
    if (c.phase == Connection::kUpgrading) {
      while (pos < size && c.handshake.find("\r\n\r\n") == std::string::npos) {
        c.handshake.push_back(static_cast<char>(data[pos++]));
      }
      if (c.handshake.find("\r\n\r\n") == std::string::npos) return;
      if (c.handshake.compare(0, 12, "HTTP/1.1 101") != 0) {
        fail(c, "handshake refused");
        return;
      }
      if (options_.deflate && c.handshake.find("permessage-deflate") == std::string::npos) {
        fail(c, "the server declined permessage-deflate");
        return;
      }
      c.handshake.clear();
      c.handshake.shrink_to_fit();
      c.phase = Connection::kOpen;
      ++upgraded_;
      if (c.ssl) remember_session(c);
      on_open(c);
    }
    while (pos < size && c.fd >= 0) {
      if (c.in_payload) {
        const size_t take = static_cast<size_t>(std::min<uint64_t>(c.payload_left, size - pos));
        if (options_.deflate && c.opcode <= 2) {
          c.reply.append(reinterpret_cast<const char*>(data + pos), take);
        }
        pos += take;
        c.payload_left -= take;
        if (c.payload_left == 0) frame_done(c, measuring);
        continue;
      }
      c.header[c.header_size++] = data[pos++];
      if (c.header_size < 2) continue;
      size_t need = 2;
      const uint8_t len7 = c.header[1] & 0x7F;
      if (len7 == 126) need = 4;
      if (len7 == 127) need = 10;
      if (c.header_size < need) continue;
      uint64_t length = len7;
      if (len7 == 126) length = (uint64_t(c.header[2]) << 8) | c.header[3];
      if (len7 == 127) {
        length = 0;
        for (int i = 0; i < 8; ++i) length = (length << 8) | c.header[2 + i];
      }
      c.opcode = c.header[0] & 0x0F;
      c.fin = (c.header[0] & 0x80) != 0;
      if (c.opcode == 1 || c.opcode == 2) c.compressed = (c.header[0] & 0x40) != 0;
      c.header_size = 0;
      c.payload_left = length;
      c.in_payload = length > 0;
      if (c.opcode != 8 && c.opcode != 9 && c.opcode != 10) c.message_bytes += length;
      if (length == 0) frame_done(c, measuring);
    }
  }

  void frame_done(Connection& c, bool measuring) {
    c.in_payload = false;
    if (c.opcode == 8) {  // the server closes
      if (c.phase != Connection::kClosing) {
        fail(c, "unexpected close frame");
      } else {
        ++closed_cleanly_;
        close_connection(c);
      }
      return;
    }
    if (c.opcode == 9 || c.opcode == 10 || !c.fin) return;  // pings, pongs, fragments
    const uint64_t total = c.message_bytes;
    c.message_bytes = 0;
    if (options_.deflate) {
      if (!c.checker) c.checker = std::make_shared<ReplyChecker>(options_.deflate_takeover);
      const bool good = c.compressed && c.checker->matches(std::move(c.reply), message_);
      c.reply.clear();
      if (!good) {
        fail(c, c.compressed ? "a compressed echo that does not decompress to the message"
                             : "an uncompressed echo");
        return;
      }
    } else if (total != options_.payload) {
      fail(c, "echo of the wrong size");
      return;
    }
    on_echo(c, measuring);
  }

  // --tls-resume: keeps the newest resumable session (TLS 1.3 tickets arrive before the 101).
  void remember_session(Connection& c) {
    if (SSL_session_reused(c.ssl)) ++resumed_;
    if (!options_.tls_resume) return;
    SSL_SESSION* session = SSL_get1_session(c.ssl);
    if (session && SSL_SESSION_is_resumable(session)) {
      if (session_) SSL_SESSION_free(session_);
      session_ = session;
    } else if (session) {
      SSL_SESSION_free(session);
    }
  }

  virtual void on_open(Connection& c) = 0;
  virtual void on_echo(Connection& c, bool measuring) = 0;
  virtual ~LoadGenerator() {
    ::close(epoll_);
    if (session_) SSL_SESSION_free(session_);
    if (tls_) SSL_CTX_free(tls_);
  }

  // Runs the event loop until `until` or `done()`.
  template <typename Done>
  void loop(Clock::time_point until, bool measuring, Done done) {
    epoll_event events[1024];
    while (Clock::now() < until && !done()) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(until - Clock::now()).count();
      const int timeout_ms =
          options_.spin ? 0 : static_cast<int>(std::clamp<long long>(left, 0, 50));
      const int count = epoll_wait(epoll_, events, 1024, timeout_ms);
      for (int i = 0; i < count; ++i) {
        Connection& c = *static_cast<Connection*>(events[i].data.ptr);
        if (c.fd < 0) continue;
        if (events[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
          on_readable(c, measuring);
        if (c.fd >= 0) flush(c);
      }
    }
  }

 protected:
  const Options& options_;
  int epoll_;
  sockaddr_storage address_{};
  std::string request_;
  std::string frame_;
  std::string message_;  // --deflate: the message before compression
  uint64_t bytes_sent_ = 0;
  uint64_t errors_ = 0;
  uint64_t upgraded_ = 0;
  uint64_t closed_cleanly_ = 0;
  SSL_CTX* tls_ = nullptr;          // --tls
  SSL_SESSION* session_ = nullptr;  // --tls-resume: offered to every new connection
  uint64_t resumed_ = 0;            // TLS handshakes the server resumed
};

class EchoLoad : public LoadGenerator {
 public:
  using LoadGenerator::LoadGenerator;
  void on_open(Connection& c) override {
    for (int i = 0; i < options_.inflight; ++i) queue_message(c);
  }
  void on_echo(Connection& c, bool measuring) override {
    const Clock::time_point now = Clock::now();
    if (measuring) {
      ++messages_;
      if (latencies_.size() < 2000000) {
        latencies_.push_back(
            std::chrono::duration<double, std::micro>(now - c.sent_at.front()).count());
      }
    }
    c.sent_at.pop_front();
    --c.outstanding;
    queue_message(c);
  }
  int run() {
    std::vector<Connection> connections(options_.connections);
    for (Connection& c : connections) {
      if (!open_connection(c)) fail(c, "connect failed");
    }
    const auto warm_end = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                             std::chrono::duration<double>(options_.warmup));
    loop(warm_end, false, [] { return false; });
    const std::vector<wsp::bench::CpuTicks> ticks_before = wsp::bench::read_cpu_ticks();
    const auto start = Clock::now();
    const auto end = start + std::chrono::duration_cast<Clock::duration>(
                                 std::chrono::duration<double>(options_.duration));
    loop(end, true, [] { return false; });
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    const std::vector<wsp::bench::CpuShare> cpus =
        wsp::bench::cpu_shares(ticks_before, wsp::bench::read_cpu_ticks());
    std::sort(latencies_.begin(), latencies_.end());
    auto percentile = [&](double q) {
      return latencies_.empty()
                 ? 0.0
                 : latencies_[std::min(latencies_.size() - 1, size_t(q * latencies_.size()))];
    };
    const double rate = messages_ / seconds;
    const double megabytes = rate * options_.payload / 1e6;
    if (options_.json) {
      std::printf(
          "{\"mode\":\"echo\",\"connections\":%d,\"payload\":%zu,\"inflight\":%d,"
          "\"messages_per_second\":%.1f,\"mb_per_second\":%.2f,\"p50_us\":%.1f,"
          "\"p99_us\":%.1f,\"errors\":%llu,\"cpus\":[%s]}\n",
          options_.connections, options_.payload, options_.inflight, rate, megabytes,
          percentile(0.5), percentile(0.99), static_cast<unsigned long long>(errors_),
          cpus_json(cpus).c_str());
    } else {
      std::printf(
          "%d connections, %zu-byte %s messages, %d in flight: %.0f msg/s, %.1f MB/s, "
          "p50 %.0f us, p99 %.0f us, %llu errors; CPUs busy:%s\n",
          options_.connections, options_.payload, options_.text ? "text" : "binary",
          options_.inflight, rate, megabytes, percentile(0.5), percentile(0.99),
          static_cast<unsigned long long>(errors_), cpus_text(cpus).c_str());
    }
    return errors_ == 0 && messages_ > 0 ? 0 : 1;
  }

 private:
  uint64_t messages_ = 0;
  std::vector<double> latencies_;
};

class IdleLoad : public LoadGenerator {
 public:
  using LoadGenerator::LoadGenerator;
  void on_open(Connection& c) override { queue_message(c); }
  void on_echo(Connection& c, bool) override {
    c.sent_at.pop_front();
    if (!c.echoed_once) {
      c.echoed_once = true;
      ++echoed_;
    }
  }
  int run() {
    const long rss_before = options_.server_pid ? rss_kib(options_.server_pid) : -1;
    std::vector<Connection> connections(options_.connections);
    // Open in waves so the listen backlog is never overrun.
    size_t opened = 0;
    const auto deadline = Clock::now() + std::chrono::seconds(120);
    while (echoed_ + errors_ < connections.size() && Clock::now() < deadline) {
      while (opened < connections.size() && opened - echoed_ - errors_ < 500) {
        if (!open_connection(connections[opened])) fail(connections[opened], "connect failed");
        ++opened;
      }
      loop(Clock::now() + std::chrono::milliseconds(20), false, [] { return false; });
    }
    // Let the server settle (idle buffers are released on its next poll), then measure.
    loop(Clock::now() + std::chrono::duration_cast<Clock::duration>(
                            std::chrono::duration<double>(options_.hold)),
         false, [] { return false; });
    const long rss_after = options_.server_pid ? rss_kib(options_.server_pid) : -1;
    size_t still_open = 0;
    for (Connection& c : connections) still_open += c.phase == Connection::kOpen;
    const double per_connection =
        rss_before >= 0 && echoed_ > 0 ? (rss_after - rss_before) * 1024.0 / echoed_ : -1;
    if (options_.json) {
      std::printf(
          "{\"mode\":\"idle\",\"connections\":%d,\"echoed\":%llu,\"still_open\":%zu,"
          "\"errors\":%llu,\"server_rss_before_kib\":%ld,\"server_rss_after_kib\":%ld,"
          "\"bytes_per_connection\":%.0f}\n",
          options_.connections, static_cast<unsigned long long>(echoed_), still_open,
          static_cast<unsigned long long>(errors_), rss_before, rss_after, per_connection);
    } else {
      std::printf(
          "%d connections: %llu echoed correctly, %zu still open, %llu errors; server RSS "
          "%ld KiB -> %ld KiB = %.0f bytes per connection\n",
          options_.connections, static_cast<unsigned long long>(echoed_), still_open,
          static_cast<unsigned long long>(errors_), rss_before, rss_after, per_connection);
    }
    for (Connection& c : connections) close_connection(c);
    return echoed_ == connections.size() && still_open == connections.size() ? 0 : 1;
  }

 private:
  size_t echoed_ = 0;
};

class HandshakeLoad : public LoadGenerator {
 public:
  using LoadGenerator::LoadGenerator;
  void on_open(Connection& c) override {
    // Close at once with a masked, empty close frame; the server answers and drops TCP.
    const char close_frame[] = {static_cast<char>(0x88), static_cast<char>(0x80), 1, 2, 3, 4};
    c.control.append(close_frame, sizeof(close_frame));
    c.phase = Connection::kClosing;
  }
  void on_echo(Connection&, bool) override {}
  int run() {
    std::vector<Connection> connections(options_.connections);
    const auto start = Clock::now();
    const auto end = start + std::chrono::duration_cast<Clock::duration>(
                                 std::chrono::duration<double>(options_.duration));
    const std::vector<wsp::bench::CpuTicks> ticks_before = wsp::bench::read_cpu_ticks();
    for (Connection& c : connections) open_connection(c);
    while (Clock::now() < end) {
      loop(Clock::now() + std::chrono::microseconds(200), true, [] { return false; });
      for (Connection& c : connections) {
        if (c.phase == Connection::kDone) open_connection(c);
      }
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    const std::vector<wsp::bench::CpuShare> cpus =
        wsp::bench::cpu_shares(ticks_before, wsp::bench::read_cpu_ticks());
    const double rate = upgraded_ / seconds;
    if (options_.json) {
      std::printf(
          "{\"mode\":\"handshakes\",\"connections\":%d,\"handshakes_per_second\":%.1f,"
          "\"resumed\":%llu,\"upgraded\":%llu,\"errors\":%llu,\"cpus\":[%s]}\n",
          options_.connections, rate, static_cast<unsigned long long>(resumed_),
          static_cast<unsigned long long>(upgraded_), static_cast<unsigned long long>(errors_),
          cpus_json(cpus).c_str());
    } else {
      std::printf(
          "%.0f handshakes/s (%d concurrent), %llu of %llu resumed, %llu errors; CPUs "
          "busy:%s\n",
          rate, options_.connections, static_cast<unsigned long long>(resumed_),
          static_cast<unsigned long long>(upgraded_), static_cast<unsigned long long>(errors_),
          cpus_text(cpus).c_str());
    }
    for (Connection& c : connections) close_connection(c);
    return upgraded_ > 0 ? 0 : 1;
  }
};

}  // namespace

int main(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (arg == "--host")
      options.host = next();
    else if (arg == "--port")
      options.port = std::atoi(next().c_str());
    else if (arg == "--mode")
      options.mode = next();
    else if (arg == "--connections")
      options.connections = std::atoi(next().c_str());
    else if (arg == "--payload")
      options.payload = std::strtoull(next().c_str(), nullptr, 10);
    else if (arg == "--inflight")
      options.inflight = std::atoi(next().c_str());
    else if (arg == "--text")
      options.text = true;
    else if (arg == "--duration")
      options.duration = std::atof(next().c_str());
    else if (arg == "--warmup")
      options.warmup = std::atof(next().c_str());
    else if (arg == "--server-pid")
      options.server_pid = std::atoi(next().c_str());
    else if (arg == "--hold")
      options.hold = std::atof(next().c_str());
    else if (arg == "--json")
      options.json = true;
    else if (arg == "--deflate")
      options.deflate = true;
    else if (arg == "--deflate-takeover")
      options.deflate = options.deflate_takeover = true;
    else if (arg == "--tls")
      options.tls = true;
    else if (arg == "--tls-resume")
      options.tls = options.tls_resume = true;
    else if (arg == "--spin")
      options.spin = true;
    else {
      std::fprintf(stderr, "loadgen: unknown option %s\n", arg.c_str());
      return 2;
    }
  }
  if (options.port <= 0) {
    std::fprintf(stderr, "loadgen: --port is required\n");
    return 2;
  }
  raise_file_limit(options.connections + 100);
  signal(SIGPIPE, SIG_IGN);  // SSL_write to a server that left must fail, not kill us
  if (options.mode == "idle") return IdleLoad(options).run();
  if (options.mode == "handshakes") return HandshakeLoad(options).run();
  return EchoLoad(options).run();
}
