// PeerPoller's waiting room: connections whose request has not arrived hold no place among the
// served, a full room drops its oldest silent connection rather than turn a newcomer away (but
// never one whose request waits unread), silent connections go after the first-byte timeout,
// and IPv6 clients count per network for the per-address limit.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "tests/native/limited_server.h"
#include "tests/native/memory_stream.h"
#include "tests/native/raw_peer.h"
#include "tests/native/test_util.h"
#include "wspeer/platform/native/peer_poller.h"

namespace wsp {
namespace {

using test::LimitedServer;
using test::RawSocket;
using test::run_until;

bool ended(RawSocket& socket) {
  bool eof = false;
  socket.read_until_eof(0.02, &eof);
  return eof;
}

class WaitingRoom : public testing::TestWithParam<PeerPoller::Backend> {};

INSTANTIATE_TEST_SUITE_P(Backends, WaitingRoom,
                         testing::Values(PeerPoller::Backend::kDefault, PeerPoller::Backend::kPoll),
                         [](const testing::TestParamInfo<PeerPoller::Backend>& info) {
                           return info.param == PeerPoller::Backend::kPoll ? "Poll" : "Default";
                         });

TEST_P(WaitingRoom, SilentConnectionsTakeNoPlace) {
  PeerPoller::Limits limits;
  limits.max_peers = 2;
  LimitedServer server(limits, GetParam());
  server.accept_silent_connections();
  std::vector<RawSocket> silent(50);
  for (RawSocket& socket : silent) ASSERT_TRUE(socket.connect("127.0.0.1", server.port()));
  run_until(
      server, {}, [&] { return server.poller().waiting_peers() == silent.size(); }, 3.0);
  EXPECT_EQ(server.poller().waiting_peers(), silent.size());
  EXPECT_EQ(server.poller().served_peers(), 0u);

  std::vector<std::unique_ptr<WebSocketPeer>> visitors;
  for (int i = 0; i < 2; ++i) {
    visitors.push_back(WebSocketPeer::create());
    ASSERT_EQ(visitors.back()->connect_to_url(server.url()), OK);
  }
  ASSERT_TRUE(run_until(server, test::raw(visitors), [&] { return test::settled(visitors); }));
  for (const auto& visitor : visitors) {
    EXPECT_EQ(visitor->get_ready_state(), WebSocketPeer::STATE_OPEN) << visitor->get_last_error();
  }
  EXPECT_EQ(server.poller().served_peers(), 2u);
}

TEST_P(WaitingRoom, AFullRoomDropsTheOldestSilentConnectionNotTheNewcomer) {
  PeerPoller::Limits limits;
  limits.max_waiting = 5;
  LimitedServer server(limits, GetParam());
  server.accept_silent_connections();
  // The oldest is sending its request slowly; four after it send nothing.
  RawSocket trickling;
  ASSERT_TRUE(trickling.connect("127.0.0.1", server.port()));
  ASSERT_TRUE(trickling.send_all(std::string("GET / HTTP/1.1\r\n")));
  run_until(
      server, {}, [&] { return server.poller().waiting_peers() == 1; }, 3.0);
  std::vector<RawSocket> silent(4);
  for (RawSocket& socket : silent) {
    ASSERT_TRUE(socket.connect("127.0.0.1", server.port()));
    run_until(
        server, {}, [&] { return false; }, 0.02);  // in arrival order
  }
  ASSERT_EQ(server.poller().waiting_peers(), 5u);

  // A newcomer makes room: the oldest silent one goes, not the one sending, not the newcomer.
  RawSocket newcomer;
  ASSERT_TRUE(newcomer.connect("127.0.0.1", server.port()));
  run_until(
      server, {}, [&] { return false; }, 0.2);
  EXPECT_TRUE(ended(silent[0]));
  EXPECT_FALSE(ended(silent[1]));
  EXPECT_FALSE(ended(trickling));
  EXPECT_FALSE(ended(newcomer));
  EXPECT_EQ(server.poller().waiting_peers(), 5u);

  // A visitor gets in, and is served.
  auto visitor = WebSocketPeer::create();
  ASSERT_EQ(visitor->connect_to_url(server.url()), OK);
  ASSERT_TRUE(run_until(server, {visitor.get()}, [&] {
    return visitor->get_ready_state() != WebSocketPeer::STATE_CONNECTING;
  }));
  EXPECT_EQ(visitor->get_ready_state(), WebSocketPeer::STATE_OPEN) << visitor->get_last_error();
  EXPECT_TRUE(ended(silent[1]));
  EXPECT_FALSE(ended(trickling));
}

TEST_P(WaitingRoom, SilentConnectionsGoAfterTheFirstByteTimeout) {
  PeerPoller::Limits limits;
  limits.first_byte_timeout = std::chrono::milliseconds(300);
  LimitedServer server(limits, GetParam());
  server.accept_silent_connections();
  RawSocket silent, trickling;
  ASSERT_TRUE(silent.connect("127.0.0.1", server.port()));
  ASSERT_TRUE(trickling.connect("127.0.0.1", server.port()));
  ASSERT_TRUE(trickling.send_all(std::string("GET / HTTP/1.1\r\n")));
  const auto start = std::chrono::steady_clock::now();
  run_until(
      server, {}, [&] { return false; }, 0.15);
  EXPECT_FALSE(ended(silent)) << "dropped before its first-byte timeout";
  ASSERT_TRUE(run_until(
      server, {}, [&] { return ended(silent); }, 3.0));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_FALSE(ended(trickling)) << "a connection that sent bytes has the handshake timeout";
}

#ifdef __linux__
// On Linux the poller keeps silent connections in the kernel for the first-byte timeout: the
// server never sees them, while a visitor's connection (it sends at once) is accepted at once.
TEST_P(WaitingRoom, OnLinuxSilentConnectionsAreNotEvenAccepted) {
  LimitedServer server(PeerPoller::Limits{}, GetParam());
  std::vector<RawSocket> silent(20);
  for (RawSocket& socket : silent) ASSERT_TRUE(socket.connect("127.0.0.1", server.port()));
  auto visitor = WebSocketPeer::create();
  ASSERT_EQ(visitor->connect_to_url(server.url()), OK);
  ASSERT_TRUE(run_until(server, {visitor.get()}, [&] {
    return visitor->get_ready_state() != WebSocketPeer::STATE_CONNECTING;
  }));
  EXPECT_EQ(visitor->get_ready_state(), WebSocketPeer::STATE_OPEN);
  run_until(
      server, {visitor.get()}, [] { return false; }, 0.5);
  EXPECT_EQ(server.poller().waiting_peers(), 0u) << "silent connections were accepted";
  EXPECT_EQ(server.poller().size(), 1u);
}
#endif

// Connections accepted and added without a round in between: the oldest one's request is in
// its socket, unread. Making room must not take it for a silent one.
TEST(WaitingRoomOrder, ARequestWaitingUnreadIsNotDropped) {
  test::LoopbackServer listener;
  PeerPoller poller;
  PeerPoller::Limits limits;
  limits.max_waiting = 2;
  poller.set_limits(limits);
  RawSocket with_request, silent, newcomer;
  ASSERT_TRUE(with_request.connect("127.0.0.1", listener.port()));
  ASSERT_TRUE(with_request.send_all(test::upgrade_request()));
  std::vector<std::unique_ptr<WebSocketPeer>> peers;
  auto accept_next = [&] {
    auto peer = WebSocketPeer::create();
    EXPECT_EQ(peer->accept_stream(listener.take()), OK);
    poller.add(peer.get());
    peers.push_back(std::move(peer));
  };
  accept_next();
  ASSERT_TRUE(silent.connect("127.0.0.1", listener.port()));
  accept_next();
  ASSERT_TRUE(newcomer.connect("127.0.0.1", listener.port()));
  accept_next();
  EXPECT_EQ(peers[0]->get_ready_state(), WebSocketPeer::STATE_CONNECTING);
  EXPECT_EQ(peers[1]->get_ready_state(), WebSocketPeer::STATE_CLOSED);
  EXPECT_NE(peers[1]->get_last_error().find("waiting room"), std::string::npos)
      << peers[1]->get_last_error();
  EXPECT_EQ(peers[2]->get_ready_state(), WebSocketPeer::STATE_CONNECTING);
  for (auto& peer : peers) poller.remove(peer.get());
}

// A client on a stream that reports the remote address the test chooses.
class AddressedStream : public test::MemoryStream {
 public:
  explicit AddressedStream(std::string host) : host_(std::move(host)) {}
  std::string get_connected_host() const override { return host_; }

 private:
  std::string host_;
};

// Opens one client per address against a poller allowing one per address; returns the status
// each was answered with.
std::vector<int> statuses_with_one_per_address(const std::vector<std::string>& hosts,
                                               int ipv6_prefix_length) {
  PeerPoller poller;
  PeerPoller::Limits limits;
  limits.max_peers_per_address = 1;
  limits.ipv6_prefix_length = ipv6_prefix_length;
  poller.set_limits(limits);
  std::vector<std::shared_ptr<AddressedStream>> streams;
  std::vector<std::unique_ptr<WebSocketPeer>> peers;
  std::vector<int> statuses;
  for (const std::string& host : hosts) {
    streams.push_back(std::make_shared<AddressedStream>(host));
    streams.back()->deliver(test::upgrade_request());
    peers.push_back(WebSocketPeer::create());
    EXPECT_EQ(peers.back()->accept_stream(streams.back()), OK);
    poller.add(peers.back().get());
    for (int i = 0; i < 3; ++i) peers.back()->poll();
    const std::string& answer = streams.back()->written();
    statuses.push_back(answer.size() > 12 ? std::atoi(answer.substr(9, 3).c_str()) : 0);
  }
  for (auto& peer : peers) poller.remove(peer.get());
  return statuses;
}

TEST(WaitingRoomAddresses, Ipv6ClientsCountPerNetwork) {
  const std::vector<std::string> hosts = {"2001:db8:0:1::1",      "2001:db8:0:1::2",
                                          "2001:db8:0:1:ffff::9", "2001:db8:0:2::1",
                                          "203.0.113.1",          "203.0.113.2"};
  EXPECT_EQ(statuses_with_one_per_address(hosts, 64),
            (std::vector<int>{101, 503, 503, 101, 101, 101}))
      << "one /64 is one client's network; IPv4 addresses count alone";
  EXPECT_EQ(statuses_with_one_per_address(hosts, 128),
            (std::vector<int>{101, 101, 101, 101, 101, 101}))
      << "128: each address alone";
}

}  // namespace
}  // namespace wsp
