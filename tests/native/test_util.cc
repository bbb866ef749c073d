#include "tests/native/test_util.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "wspeer/platform/native/net.h"

namespace wsp::test {

using Clock = std::chrono::steady_clock;

namespace {
Clock::time_point deadline_after(double seconds) {
  return Clock::now() +
         std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}
}  // namespace

bool poll_until(std::initializer_list<WebSocketPeer*> peers, const std::function<bool()>& done,
                double seconds) {
  const auto deadline = deadline_after(seconds);
  while (Clock::now() < deadline) {
    for (WebSocketPeer* peer : peers) {
      if (peer) peer->poll();
    }
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return done();
}

std::vector<std::string> drain_text(WebSocketPeer& peer) {
  std::vector<std::string> out;
  while (peer.get_available_packet_count() > 0) {
    std::vector<uint8_t> packet = peer.get_packet();
    out.emplace_back(packet.begin(), packet.end());
  }
  return out;
}

LoopbackServer::LoopbackServer(const std::string& bind) : host_(bind) {
  if (server_.listen(0, bind) != OK) std::abort();
}

std::string LoopbackServer::url(const std::string& path) const {
  const bool v6 = host_.find(':') != std::string::npos;
  return "ws://" + (v6 ? "[" + host_ + "]" : host_) + ":" + std::to_string(port()) + path;
}

std::shared_ptr<StreamPeerTCP> LoopbackServer::take(WebSocketPeer* client, double seconds) {
  const auto deadline = deadline_after(seconds);
  while (Clock::now() < deadline) {
    if (client) client->poll();
    if (auto stream = server_.take_connection()) return stream;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return nullptr;
}

std::unique_ptr<WebSocketPeer> LoopbackServer::accept(
    WebSocketPeer* client, const std::function<void(WebSocketPeer&)>& configure) {
  auto stream = take(client);
  if (!stream) return nullptr;
  auto peer = WebSocketPeer::create();
  if (configure) configure(*peer);
  if (peer->accept_stream(stream) != OK) return nullptr;
  return peer;
}

Pair open_pair(const std::function<void(WebSocketPeer&)>& configure_client,
               const std::function<void(WebSocketPeer&)>& configure_server) {
  Pair pair;
  pair.listener = std::make_unique<LoopbackServer>();
  pair.client = WebSocketPeer::create();
  if (configure_client) configure_client(*pair.client);
  if (pair.client->connect_to_url(pair.listener->url()) != OK) return pair;
  pair.server = pair.listener->accept(pair.client.get(), configure_server);
  if (!pair.server) return pair;
  poll_until({pair.client.get(), pair.server.get()}, [&] {
    return pair.client->get_ready_state() != WebSocketPeer::STATE_CONNECTING &&
           pair.server->get_ready_state() != WebSocketPeer::STATE_CONNECTING;
  });
  return pair;
}

RawSocket::~RawSocket() { close(); }

RawSocket::RawSocket(RawSocket&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }

RawSocket& RawSocket::operator=(RawSocket&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

RawSocket RawSocket::adopt(int fd) {
  RawSocket socket;
  socket.fd_ = fd;
  native::set_nonblocking(fd, false);
  return socket;
}

bool RawSocket::connect(const std::string& ip, int port) {
  const std::optional<SocketAddress> address = SocketAddress::from_ip(ip, port);
  if (!address) return false;
  fd_ = native::open_tcp_socket(address->ip_version());
  if (fd_ < 0) return false;
  int error = 0;
  if (!native::start_connect(fd_, *address, &error)) return false;
  if (error != 0 && !(native::wait_for(fd_, native::kWritable, 5000) & native::kWritable)) {
    return false;
  }
  // A plain blocking socket from here on, as a simple client would use.
  return native::connect_result(fd_) == 0 && native::set_nonblocking(fd_, false);
}

bool RawSocket::send_all(const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ConstBuffer part{reinterpret_cast<const uint8_t*>(bytes.data()) + sent,
                           bytes.size() - sent};
    int error = 0;
    const long n = native::send_some(fd_, &part, 1, &error);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

bool RawSocket::send_available(const std::string& bytes, size_t* sent) {
  if (*sent >= bytes.size()) return true;
  native::set_nonblocking(fd_, true);
  const ConstBuffer part{reinterpret_cast<const uint8_t*>(bytes.data()) + *sent,
                         bytes.size() - *sent};
  int error = 0;
  const long n = native::send_some(fd_, &part, 1, &error);
  native::set_nonblocking(fd_, false);
  if (n > 0) *sent += static_cast<size_t>(n);
  return n >= 0 || error == 0;  // -1 with no error: the socket is full
}

bool RawSocket::send_all(const std::vector<uint8_t>& bytes) {
  return send_all(std::string(bytes.begin(), bytes.end()));
}

std::string RawSocket::read_n(size_t n, double seconds) {
  std::string out;
  const auto deadline = deadline_after(seconds);
  while (out.size() < n && Clock::now() < deadline) {
    if (!(native::wait_for(fd_, native::kReadable, 20) & native::kReadable)) continue;
    char buffer[65536];
    int error = 0;
    const long got =
        native::receive_some(fd_, buffer, std::min(sizeof(buffer), n - out.size()), &error);
    if (got <= 0) break;
    out.append(buffer, static_cast<size_t>(got));
  }
  return out;
}

std::string RawSocket::read_until_eof(double seconds, bool* eof) {
  std::string out;
  if (eof) *eof = false;
  const auto deadline = deadline_after(seconds);
  while (Clock::now() < deadline) {
    if (!(native::wait_for(fd_, native::kReadable, 20) & native::kReadable)) continue;
    char buffer[65536];
    int error = 0;
    const long got = native::receive_some(fd_, buffer, sizeof(buffer), &error);
    if (got <= 0) {
      if (eof) *eof = true;
      break;
    }
    out.append(buffer, static_cast<size_t>(got));
  }
  return out;
}

std::string RawSocket::read_http_head(double seconds) {
  std::string out;
  const auto deadline = deadline_after(seconds);
  while (out.find("\r\n\r\n") == std::string::npos && Clock::now() < deadline) {
    const std::string byte = read_n(1, 0.05);
    if (byte.empty()) {
      if (native::wait_for(fd_, 0, 0) & (native::kHangup | native::kError)) break;
      continue;
    }
    out += byte;
  }
  return out;
}

void RawSocket::shutdown_write() {
  if (fd_ >= 0) native::shutdown_write(fd_);
}

void RawSocket::close() {
  native::close_socket(fd_);
  fd_ = -1;
}

void RawSocket::reset() {
  native::abort_socket(fd_);
  fd_ = -1;
}

RawSocket accept_raw(TCPServer& server, WebSocketPeer* client, double seconds) {
  const auto deadline = deadline_after(seconds);
  while (Clock::now() < deadline) {
    if (client) client->poll();
    SocketAddress remote;
    int error = 0;
    const int fd = native::accept_connection(server.get_native_handle(), &remote, &error);
    if (fd >= 0) return RawSocket::adopt(fd);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return RawSocket();
}

}  // namespace wsp::test
