// No socket outlives its peer: many real clients leave `wsp echo-server` at every point of a
// frame (FIN, RST or half-close, over TCP and TLS, and while the server's reading is paused by
// back-pressure), and the server must be left holding only its listening socket.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/faults/echo_server_process.h"
#include "tests/native/child_process.h"
#include "tests/native/raw_peer.h"
#include "tests/native/test_certs.h"
#include "tests/native/test_util.h"

namespace wsp {
namespace {

using Clock = std::chrono::steady_clock;
using test::EchoServerProcess;
using test::RawSocket;

constexpr int kClientsPerCase = 40;
constexpr size_t kDeclaredMessage = 1 << 20;  // every case sends a part of one 1 MiB frame

enum class Transport { kTcp, kTls };
enum class Ending { kFin, kReset, kHalfClose };

const char* name_of(Transport transport) { return transport == Transport::kTcp ? "Tcp" : "Tls"; }
const char* name_of(Ending ending) {
  switch (ending) {
    case Ending::kFin:
      return "Fin";
    case Ending::kReset:
      return "Reset";
    default:
      return "HalfClose";
  }
}

std::string temp_file(const std::string& name, const std::string& content) {
  const char* dir = std::getenv("TEST_TMPDIR");
  const std::string path = std::string(dir ? dir : "/tmp") + "/" + name;
  std::ofstream(path) << content;
  return path;
}

// Server flags for wss with a throw-away certificate (written once per test binary).
std::vector<std::string> tls_flags() {
  static const std::vector<std::string> flags = [] {
    const test::KeyAndCert ca = test::make_ca("hangup test CA");
    const test::KeyAndCert leaf = test::make_leaf(ca, "localhost", {"IP:127.0.0.1"});
    return std::vector<std::string>{"--tls-cert", temp_file("hangup_cert.pem", leaf.cert_pem),
                                    "--tls-key", temp_file("hangup_key.pem", leaf.key_pem)};
  }();
  return flags;
}

// A blocking client over TCP or TLS that can leave in each of the ways a real one does.
class Client {
 public:
  Client(Transport transport, int port) {
    if (!socket_.connect("127.0.0.1", port)) return;
    timeval timeout{10, 0};
    setsockopt(socket_.fd(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    if (transport == Transport::kTls) {
      static SSL_CTX* context =
          SSL_CTX_new(TLS_client_method());  // verification off: not tested here
      ssl_ = SSL_new(context);
      SSL_set_fd(ssl_, socket_.fd());
      if (SSL_connect(ssl_) != 1) return;
    }
    if (!send(test::upgrade_request())) return;
    std::string head;
    char byte;
    while (head.find("\r\n\r\n") == std::string::npos && receive(&byte, 1) == 1) head += byte;
    open_ = head.rfind("HTTP/1.1 101", 0) == 0;
  }
  ~Client() {
    if (ssl_) SSL_free(ssl_);
  }
  bool open() const { return open_; }

  bool send(const std::string& bytes) {
    size_t sent = 0;
    while (sent < bytes.size()) {
      const int n =
          ssl_ ? SSL_write(ssl_, bytes.data() + sent, static_cast<int>(bytes.size() - sent))
               : static_cast<int>(
                     ::send(socket_.fd(), bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL));
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    return true;
  }

  // Leaves without a close frame (and, over TLS, without close_notify).
  void end(Ending ending) {
    switch (ending) {
      case Ending::kFin:
        socket_.close();
        break;
      case Ending::kReset:
        socket_.reset();
        break;
      case Ending::kHalfClose:  // stays connected, sends nothing more, reads nothing
        ::shutdown(socket_.fd(), SHUT_WR);
        break;
    }
  }

  int fd() const { return socket_.fd(); }

 private:
  int receive(char* buffer, int size) {
    return ssl_ ? SSL_read(ssl_, buffer, size)
                : static_cast<int>(::recv(socket_.fd(), buffer, static_cast<size_t>(size), 0));
  }

  RawSocket socket_;
  SSL* ssl_ = nullptr;
  bool open_ = false;
};

// The first `size` bytes of a masked binary frame announcing kDeclaredMessage bytes.
std::string partial_frame(size_t size) {
  std::string frame = {static_cast<char>(0x82), static_cast<char>(0x80 | 127)};
  for (int shift = 56; shift >= 0; shift -= 8)
    frame += static_cast<char>(kDeclaredMessage >> shift);
  frame += std::string("\x11\x22\x33\x44", 4);
  frame += std::string(size > frame.size() ? size - frame.size() : 0, 'p');
  return frame.substr(0, size);
}

// Waits until the server holds no more sockets than `baseline`; returns how many it holds.
int sockets_after_settling(const EchoServerProcess& server, int baseline, double seconds) {
  const Clock::time_point until =
      Clock::now() + std::chrono::milliseconds(static_cast<int>(seconds * 1000));
  int open = server.open_sockets();
  while (open > baseline && Clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    open = server.open_sockets();
  }
  return open;
}

struct PartialCase {
  Transport transport;
  Ending ending;
  size_t bytes;  // of the frame sent before leaving
  const char* what;
};

class LeavingMidFrame : public testing::TestWithParam<PartialCase> {};

TEST_P(LeavingMidFrame, ReleasesEverySocket) {
  const PartialCase& param = GetParam();
  std::vector<std::string> flags = {"--max-message", std::to_string(2 * kDeclaredMessage)};
  if (param.transport == Transport::kTls) {
    for (const std::string& flag : tls_flags()) flags.push_back(flag);
  }
  EchoServerProcess server(flags);
  ASSERT_GT(server.port(), 0);
  const int baseline = server.open_sockets();
  ASSERT_EQ(baseline, 1);  // the listener

  std::vector<std::unique_ptr<Client>> clients;
  const std::string bytes = partial_frame(param.bytes);
  // Each client leaves right after its bytes, so its end of stream often reaches the server in
  // the same wake-up as the bytes: the case an edge-triggered loop is most likely to miss.
  for (int i = 0; i < kClientsPerCase; ++i) {
    clients.push_back(std::make_unique<Client>(param.transport, server.port()));
    ASSERT_TRUE(clients.back()->open()) << "client " << i << " did not connect";
    ASSERT_TRUE(clients.back()->send(bytes));
    clients.back()->end(param.ending);
  }

  // Half-closed clients are still connected: the server must end its side anyway.
  EXPECT_EQ(sockets_after_settling(server, baseline, 10), baseline)
      << "the server still holds sockets of clients that left:\n"
      << server.describe_fds();
  EXPECT_TRUE(server.alive());
}

std::vector<PartialCase> partial_cases() {
  const std::pair<size_t, const char*> sizes[] = {
      {1, "FirstHeaderByte"},         {6, "InsideTheLength"},          {14 + 100, "SmallPayload"},
      {64 * 1024, "AboutOneSegment"}, {300 * 1024, "SeveralSegments"},
  };
  std::vector<PartialCase> cases;
  for (Transport transport : {Transport::kTcp, Transport::kTls}) {
    for (Ending ending : {Ending::kFin, Ending::kReset, Ending::kHalfClose}) {
      for (const auto& [bytes, what] : sizes) cases.push_back({transport, ending, bytes, what});
    }
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Hangups, LeavingMidFrame, testing::ValuesIn(partial_cases()),
                         [](const testing::TestParamInfo<PartialCase>& info) {
                           return std::string(name_of(info.param.transport)) +
                                  name_of(info.param.ending) + info.param.what;
                         });

struct PausedCase {
  Transport transport;
  Ending ending;
};

class LeavingWhilePaused : public testing::TestWithParam<PausedCase> {};

// A client writes without reading the echoes until the server stops reading it (its replies
// cannot leave, so its input is paused), then leaves: closing a socket with unread input resets
// the connection. The paused peer reads nothing, yet must notice. (A half-close is not tested
// here: its FIN waits in the client's full send buffer, so the client has not left. The peer
// tests cover a FIN that does arrive while reading is paused.)
TEST_P(LeavingWhilePaused, ReleasesTheSocket) {
  const PausedCase& param = GetParam();
  std::vector<std::string> flags = {"--max-message", "65536", "--close-timeout", "1"};
  if (param.transport == Transport::kTls) {
    for (const std::string& flag : tls_flags()) flags.push_back(flag);
  }
  EchoServerProcess server(flags);
  ASSERT_GT(server.port(), 0);
  const int baseline = server.open_sockets();
  ASSERT_EQ(baseline, 1);
  Client client(param.transport, server.port());
  ASSERT_TRUE(client.open());

  // Blocking writes with a send timeout: the first one that stalls means the server stopped.
  timeval stall{0, 300 * 1000};
  setsockopt(client.fd(), SOL_SOCKET, SO_SNDTIMEO, &stall, sizeof(stall));
  const std::string message = test::client_frame(2, std::string(16 * 1024, 'm'));
  size_t sent = 0;
  while (sent < 4000 && client.send(message)) ++sent;
  ASSERT_LT(sent, 4000u) << "the server never stopped reading";
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ASSERT_EQ(server.open_sockets(), baseline + 1);

  client.end(param.ending);
  EXPECT_EQ(sockets_after_settling(server, baseline, 8), baseline)
      << "the paused peer did not notice that its client left";
  EXPECT_TRUE(server.alive());
}

INSTANTIATE_TEST_SUITE_P(Hangups, LeavingWhilePaused,
                         testing::Values(PausedCase{Transport::kTcp, Ending::kReset},
                                         PausedCase{Transport::kTcp, Ending::kFin},
                                         PausedCase{Transport::kTls, Ending::kReset},
                                         PausedCase{Transport::kTls, Ending::kFin}),
                         [](const testing::TestParamInfo<PausedCase>& info) {
                           return std::string(name_of(info.param.transport)) +
                                  name_of(info.param.ending);
                         });

}  // namespace
}  // namespace wsp
