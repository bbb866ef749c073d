// Helpers for native tests (Linux and Windows): driving peers until a condition holds, a loopback
// server that hands out accepted peers, and raw sockets for hostile peers. Child processes for
// real peers are in child_process.h (POSIX only).
#pragma once

#include <chrono>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "wspeer/core/websocket_peer.h"
#include "wspeer/platform/native/tcp_server.h"

namespace wsp::test {

// Polls every peer until `done()` returns true or `seconds` pass; returns done().
bool poll_until(std::initializer_list<WebSocketPeer*> peers, const std::function<bool()>& done,
                double seconds = 5.0);
std::vector<std::string> drain_text(WebSocketPeer& peer);

// A TCPServer on 127.0.0.1 (or ::1) with a free port.
class LoopbackServer {
 public:
  explicit LoopbackServer(const std::string& bind = "127.0.0.1");
  int port() const { return server_.get_local_port(); }
  std::string url(const std::string& path = "/") const;
  // Waits for one TCP connection (polling `client` meanwhile, if given).
  std::shared_ptr<StreamPeerTCP> take(WebSocketPeer* client = nullptr, double seconds = 5.0);
  // take() + accept_stream() on a new peer that `configure` may adjust first.
  std::unique_ptr<WebSocketPeer> accept(WebSocketPeer* client,
                                        const std::function<void(WebSocketPeer&)>& configure = {});
  TCPServer& server() { return server_; }

 private:
  TCPServer server_;
  std::string host_;
};

// Client and server connected and OPEN over loopback.
struct Pair {
  std::unique_ptr<LoopbackServer> listener;
  std::unique_ptr<WebSocketPeer> client;
  std::unique_ptr<WebSocketPeer> server;
};
Pair open_pair(const std::function<void(WebSocketPeer&)>& configure_client = {},
               const std::function<void(WebSocketPeer&)>& configure_server = {});

// A blocking raw TCP socket with timeouts, for speaking bytes directly.
class RawSocket {
 public:
  RawSocket() = default;
  ~RawSocket();
  bool connect(const std::string& ip, int port);
  static RawSocket adopt(int fd);
  RawSocket(RawSocket&& other) noexcept;
  RawSocket& operator=(RawSocket&& other) noexcept;
  bool send_all(const std::string& bytes);
  bool send_all(const std::vector<uint8_t>& bytes);
  // Sends what the socket takes now of `bytes` from `*sent` on, without waiting; advances
  // `*sent`. False once the connection failed.
  bool send_available(const std::string& bytes, size_t* sent);
  // Reads until `n` bytes arrived, EOF, or the timeout; returns what arrived.
  std::string read_n(size_t n, double seconds = 5.0);
  // Reads until the peer closes or the timeout passes.
  std::string read_until_eof(double seconds = 5.0, bool* eof = nullptr);
  // Reads an HTTP head (up to and including the empty line).
  std::string read_http_head(double seconds = 5.0);
  void shutdown_write();  // FIN, keeps reading
  void close();
  void reset();  // RST instead of FIN
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

// Accepts one raw connection from `server` (polling `client` meanwhile).
RawSocket accept_raw(TCPServer& server, WebSocketPeer* client, double seconds = 5.0);

}  // namespace wsp::test
