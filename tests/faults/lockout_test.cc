// Silent sockets against the real `wsp echo-server`: 10,000 connections that never send a byte,
// opened again as soon as the server drops them, while visitors keep arriving. Before the
// waiting room, they took the server's places from their accept on: 3 of 12 visitors were
// served with the default flags, and none with --max-connections 1000 --max-per-ip 10 when the
// attackers came from 100 addresses. At least 90% must be served now, with Linux keeping silent
// connections unaccepted (the default) and without (the waiting room alone, as elsewhere).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/faults/echo_server_process.h"
#include "wspeer/core/websocket_peer.h"

namespace wsp {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kAttackers = 10000;
constexpr int kVisitors = 12;
constexpr auto kVisitorEvery = std::chrono::milliseconds(500);
constexpr double kVisitorPatience = 5.0;  // seconds to open and get an echo back

// Keeps `count` silent connections to `port` open, each from one of `sources` loopback
// addresses, and opens a new one whenever the server drops one; counts how many it reopened.
class SilentSwarm {
 public:
  SilentSwarm(int port, int count, std::vector<std::string> sources)
      : port_(port), sources_(std::move(sources)), epoll_(epoll_create1(0)) {
    for (int i = 0; i < count; ++i) open_one(i);
    thread_ = std::thread([this] { run(); });
  }
  ~SilentSwarm() {
    stop_ = true;
    thread_.join();
    for (int fd : sockets_) {
      if (fd >= 0) ::close(fd);
    }
    ::close(epoll_);
  }
  long reopened() const { return reopened_.load(); }

 private:
  void open_one(int index) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (index >= static_cast<int>(sockets_.size())) sockets_.resize(index + 1, -1);
    sockets_[index] = fd;
    if (fd < 0) return;
    sockaddr_in from{};
    from.sin_family = AF_INET;
    inet_pton(AF_INET, sources_[index % sources_.size()].c_str(), &from.sin_addr);
    ::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof(from));
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<uint16_t>(port_));
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof(to));  // completes in the background
    epoll_event event{};
    event.events = EPOLLIN | EPOLLRDHUP;
    event.data.u32 = static_cast<uint32_t>(index);
    epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &event);
  }

  void run() {
    epoll_event events[256];
    while (!stop_) {
      const int ready = epoll_wait(epoll_, events, 256, 20);
      ++waits_;
      events_ += ready > 0 ? ready : 0;  // DEBUG
      for (int i = 0; i < ready; ++i) {
        const int index = static_cast<int>(events[i].data.u32);
        char byte;
        if (::recv(sockets_[index], &byte, 1, MSG_DONTWAIT) > 0) continue;  // a 503: ignore
        ::close(sockets_[index]);  // dropped by the server: come back at once
        open_one(index);
        ++reopened_;
      }
    }
  }

  int port_;
  std::vector<std::string> sources_;
  int epoll_;
  std::vector<int> sockets_;
  std::atomic<bool> stop_{false};
  std::atomic<long> reopened_{0};

 public:
  std::atomic<long> waits_{0}, events_{0};  // DEBUG
  std::thread thread_;
};

// Visitors arrive every half second; each is served if its echo comes back within its patience.
int served_visitors(int port, std::string* report) {
  struct Visitor {
    std::unique_ptr<WebSocketPeer> peer = WebSocketPeer::create();
    Clock::time_point started = Clock::now();
    bool sent = false;
    bool served = false;
    bool done = false;
  };
  std::vector<Visitor> visitors;
  visitors.reserve(kVisitors);
  Clock::time_point next = Clock::now();
  int served = 0;
  while (true) {
    if (static_cast<int>(visitors.size()) < kVisitors && Clock::now() >= next) {
      visitors.emplace_back();
      visitors.back().peer->set_handshake_timeout(kVisitorPatience);
      visitors.back().peer->connect_to_url("ws://127.0.0.1:" + std::to_string(port) + "/visit");
      next += kVisitorEvery;
    }
    bool all_done = static_cast<int>(visitors.size()) == kVisitors;
    for (Visitor& visitor : visitors) {
      if (visitor.done) continue;
      WebSocketPeer& peer = *visitor.peer;
      peer.poll();
      if (!visitor.sent && peer.get_ready_state() == WebSocketPeer::STATE_OPEN) {
        peer.send_text("hello");
        visitor.sent = true;
      }
      const double waited = std::chrono::duration<double>(Clock::now() - visitor.started).count();
      if (peer.get_available_packet_count() > 0 && peer.get_packet().size() == 5) {
        visitor.served = true;
        ++served;
        *report += " " + std::to_string(static_cast<int>(waited * 1000)) + "ms";
      }
      if (visitor.served || waited > kVisitorPatience ||
          peer.get_ready_state() == WebSocketPeer::STATE_CLOSED) {
        if (!visitor.served) *report += " [" + peer.get_last_error() + "]";
        visitor.done = true;
        peer.close(-1);
      }
      all_done = all_done && visitor.done;
    }
    if (all_done) return served;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

class Lockout : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    rlimit limit;  // 10,000 sockets of our own
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
      limit.rlim_cur = limit.rlim_max;
      setrlimit(RLIMIT_NOFILE, &limit);
    }
  }
};

// Runs the attack on a server started with `flags`; returns how many visitors were served.
int attack(const std::vector<std::string>& flags, const std::vector<std::string>& sources,
           const std::string& name) {
  test::EchoServerProcess server(flags);
  EXPECT_GT(server.port(), 0);
  SilentSwarm swarm(server.port(), kAttackers, sources);
  std::this_thread::sleep_for(std::chrono::seconds(1));  // the swarm is in place
  std::string report;
  const int served = served_visitors(server.port(), &report);
  std::printf("%s: %d of %d visitors served (%s); %ld silent sockets reopened\n", name.c_str(),
              served, kVisitors, report.c_str(), swarm.reopened());
  EXPECT_TRUE(server.alive());
  EXPECT_GE(served * 10, kVisitors * 9) << served << " of " << kVisitors << " served:" << report;
  return served;
}

TEST_F(Lockout, TenThousandSilentSocketsFromOneAddressDoNotKeepVisitorsOut) {
  attack({}, {"127.0.0.2"}, "default flags");
}

TEST_F(Lockout, SilentSocketsFromManyAddressesDoNotKeepVisitorsOutOfALimitedServer) {
  std::vector<std::string> sources;
  for (int i = 1; i <= 100; ++i) sources.push_back("127.0.1." + std::to_string(i));
  attack({"--max-connections", "1000", "--max-per-ip", "10"}, sources,
         "--max-connections 1000 --max-per-ip 10, 100 addresses");
}

// Without the kernel's help (no first-byte timeout, so nothing is deferred: as on platforms
// without TCP_DEFER_ACCEPT), the silent sockets are accepted and wait in the room, holding no
// place.
TEST_F(Lockout, TheWaitingRoomAloneKeepsPlacesForVisitors) {
  attack({"--first-byte-timeout", "0"}, {"127.0.0.2"}, "no deferred accept");
}

}  // namespace
}  // namespace wsp
