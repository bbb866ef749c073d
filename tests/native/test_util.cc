#include "tests/native/test_util.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

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
  const int flags = fcntl(fd, F_GETFL, 0);
  fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  return socket;
}

bool RawSocket::connect(const std::string& ip, int port) {
  sockaddr_storage address;
  socklen_t length;
  if (!native::parse_ip_literal(ip, port, &address, &length)) return false;
  fd_ = socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  return fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&address), length) == 0;
}

bool RawSocket::send_all(const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

bool RawSocket::send_all(const std::vector<uint8_t>& bytes) {
  return send_all(std::string(bytes.begin(), bytes.end()));
}

std::string RawSocket::read_n(size_t n, double seconds) {
  std::string out;
  const auto deadline = deadline_after(seconds);
  while (out.size() < n && Clock::now() < deadline) {
    pollfd entry{fd_, POLLIN, 0};
    if (::poll(&entry, 1, 20) <= 0) continue;
    char buffer[65536];
    const ssize_t got = ::recv(fd_, buffer, std::min(sizeof(buffer), n - out.size()), 0);
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
    pollfd entry{fd_, POLLIN, 0};
    if (::poll(&entry, 1, 20) <= 0) continue;
    char buffer[65536];
    const ssize_t got = ::recv(fd_, buffer, sizeof(buffer), 0);
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
      pollfd entry{fd_, POLLIN, 0};
      if (::poll(&entry, 1, 0) > 0 && (entry.revents & (POLLHUP | POLLERR))) break;
      continue;
    }
    out += byte;
  }
  return out;
}

void RawSocket::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void RawSocket::reset() {
  if (fd_ < 0) return;
  linger option{1, 0};
  setsockopt(fd_, SOL_SOCKET, SO_LINGER, &option, sizeof(option));
  close();
}

RawSocket accept_raw(TCPServer& server, WebSocketPeer* client, double seconds) {
  const auto deadline = deadline_after(seconds);
  while (Clock::now() < deadline) {
    if (client) client->poll();
    sockaddr_storage remote;
    socklen_t length = sizeof(remote);
    const int fd = accept4(server.get_native_handle(), reinterpret_cast<sockaddr*>(&remote),
                           &length, SOCK_CLOEXEC);
    if (fd >= 0) return RawSocket::adopt(fd);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return RawSocket();
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv,
                           const std::vector<std::string>& extra_env) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return;
  pid_ = fork();
  if (pid_ == 0) {
    dup2(pipe_fds[1], STDOUT_FILENO);
    for (const std::string& entry : extra_env) putenv(strdup(entry.c_str()));
    std::vector<char*> args;
    for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  ::close(pipe_fds[1]);
  out_fd_ = pipe_fds[0];
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (out_fd_ >= 0) ::close(out_fd_);
}

std::string ChildProcess::read_line(double seconds) {
  const auto deadline = deadline_after(seconds);
  while (Clock::now() < deadline) {
    const size_t newline = buffer_.find('\n');
    if (newline != std::string::npos) {
      std::string line = buffer_.substr(0, newline);
      buffer_.erase(0, newline + 1);
      return line;
    }
    pollfd entry{out_fd_, POLLIN, 0};
    if (::poll(&entry, 1, 20) <= 0) continue;
    char chunk[4096];
    const ssize_t got = ::read(out_fd_, chunk, sizeof(chunk));
    if (got <= 0) break;
    buffer_.append(chunk, static_cast<size_t>(got));
    output_.append(chunk, static_cast<size_t>(got));
  }
  return "";
}

int ChildProcess::wait(double seconds) {
  const auto deadline = deadline_after(seconds);
  while (Clock::now() < deadline) {
    int status = 0;
    const pid_t done = waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return -1;
}

void ChildProcess::kill_now(int signal_number) {
  if (pid_ > 0) ::kill(pid_, signal_number);
}

std::string runfile(const std::string& workspace_relative) {
  const char* dir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (!dir) return workspace_relative;
  return std::string(dir) + "/" + (workspace ? workspace : "wspeer") + "/" + workspace_relative;
}

}  // namespace wsp::test
