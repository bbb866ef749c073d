// A small native test server for web-backend scenarios that a well-behaved echo server cannot
// produce. Each connection gets a thread; the request path chooses the behaviour:
//   /close/CODE/REASON  send "closing soon", then a close frame with CODE and REASON
//   /nostatus           send "no status", then a close frame without a status code
//   /drop               send "last words", then drop TCP without a close frame
//   /silent             read the request and never answer it (for handshake_timeout)
//   /noclose            accept, then read and ignore everything, never answering a close frame
//                       (for close_timeout)
//   /noread             accept, then read nothing at all (the client's sends pile up)
// Prints "listening on port N".
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "wspeer/core/handshake.h"
#include "wspeer/core/http.h"
#include "wspeer/platform/native/tcp_server.h"

namespace {

std::string frame(uint8_t opcode, const std::string& payload) {
  std::string out;
  out += static_cast<char>(0x80 | opcode);
  if (payload.size() < 126) {
    out += static_cast<char>(payload.size());
  } else {
    out += static_cast<char>(126);
    out += static_cast<char>(payload.size() >> 8);
    out += static_cast<char>(payload.size() & 0xFF);
  }
  return out + payload;
}

void send_all(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<size_t>(n);
  }
}

// Waits until the client closes or sends anything (its close reply), at most `ms`.
void wait_for_reply(int fd, int ms) {
  pollfd entry{fd, POLLIN, 0};
  if (::poll(&entry, 1, ms) > 0) {
    char buffer[512];
    (void)::recv(fd, buffer, sizeof(buffer), 0);
  }
}

std::string url_decode(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

void serve(int fd) {
  wsp::HttpHeadReader reader(wsp::kMaxHandshakeHeadSize);
  while (!reader.complete() && !reader.too_large()) {
    uint8_t buffer[1024];
    const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
    if (n <= 0) break;
    reader.feed(buffer, static_cast<size_t>(n));
  }
  wsp::HttpRequestHead request;
  std::string error;
  if (!reader.complete() || !wsp::parse_request_head(reader.head(), &request, &error)) {
    ::close(fd);
    return;
  }
  const std::string& path = request.target;
  if (path == "/silent") {
    sleep(10);
    ::close(fd);
    return;
  }
  const auto key = wsp::find_header(request.headers, "Sec-WebSocket-Key");
  send_all(fd,
           "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Accept: " +
               wsp::compute_accept_key(key.value_or("")) + "\r\n\r\n");
  if (path.rfind("/close/", 0) == 0) {
    const std::string rest = path.substr(7);
    const size_t slash = rest.find('/');
    const int code = std::stoi(rest.substr(0, slash));
    const std::string reason = slash == std::string::npos ? "" : url_decode(rest.substr(slash + 1));
    std::string payload;
    payload += static_cast<char>(code >> 8);
    payload += static_cast<char>(code & 0xFF);
    send_all(fd, frame(1, "closing soon") + frame(8, payload + reason));
    wait_for_reply(fd, 2000);
  } else if (path == "/nostatus") {
    send_all(fd, frame(1, "no status") + frame(8, ""));
    wait_for_reply(fd, 2000);
  } else if (path == "/noclose") {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    char buffer[4096];
    while (std::chrono::steady_clock::now() < until) {
      pollfd entry{fd, POLLIN, 0};
      if (::poll(&entry, 1, 100) > 0 && ::recv(fd, buffer, sizeof(buffer), 0) <= 0) break;
    }
  } else if (path == "/noread") {
    sleep(10);
  } else if (path == "/drop") {
    send_all(fd, frame(1, "last words"));
    usleep(100 * 1000);
    linger option{1, 0};  // RST: no close frame, no orderly shutdown
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &option, sizeof(option));
  }
  ::close(fd);
}

}  // namespace

int main() {
  wsp::TCPServer server;
  if (server.listen(0, "127.0.0.1") != wsp::OK) {
    std::fprintf(stderr, "%s\n", server.get_last_error().c_str());
    return 1;
  }
  std::printf("listening on port %d\n", server.get_local_port());
  std::fflush(stdout);
  while (true) {
    pollfd entry{server.get_native_handle(), POLLIN, 0};
    ::poll(&entry, 1, 1000);
    sockaddr_storage remote;
    socklen_t length = sizeof(remote);
    const int fd =
        accept(server.get_native_handle(), reinterpret_cast<sockaddr*>(&remote), &length);
    if (fd >= 0) std::thread(serve, fd).detach();
  }
}
