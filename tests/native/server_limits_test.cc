// PeerPoller's server-wide limits: connections in all and per address (503 with Retry-After,
// refusals themselves bounded) and a budget for the bytes all peers hold together, which never
// deadlocks on messages that are still arriving.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/native/limited_server.h"
#include "tests/native/raw_peer.h"
#include "tests/native/test_util.h"
#include "wspeer/core/http.h"
#include "wspeer/platform/native/peer_poller.h"

namespace wsp {
namespace {

using test::LimitedServer;
using test::raw;
using test::run_until;
using test::settled;

class ServerLimits : public testing::TestWithParam<PeerPoller::Backend> {};

INSTANTIATE_TEST_SUITE_P(Backends, ServerLimits,
                         testing::Values(PeerPoller::Backend::kDefault, PeerPoller::Backend::kPoll),
                         [](const testing::TestParamInfo<PeerPoller::Backend>& info) {
                           return info.param == PeerPoller::Backend::kPoll ? "Poll" : "Default";
                         });

TEST_P(ServerLimits, ClientsBeyondMaxPeersGet503WithRetryAfter) {
  PeerPoller::Limits limits;
  limits.max_peers = 2;
  limits.retry_after_seconds = 7;
  LimitedServer server(limits, GetParam());
  std::vector<std::unique_ptr<WebSocketPeer>> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(WebSocketPeer::create());
    ASSERT_EQ(clients.back()->connect_to_url(server.url()), OK);
    ASSERT_TRUE(run_until(server, raw(clients), [&] { return settled(clients); }));
  }
  EXPECT_EQ(clients[0]->get_ready_state(), WebSocketPeer::STATE_OPEN);
  EXPECT_EQ(clients[1]->get_ready_state(), WebSocketPeer::STATE_OPEN);
  ASSERT_EQ(clients[2]->get_ready_state(), WebSocketPeer::STATE_CLOSED);
  EXPECT_EQ(clients[2]->get_handshake_status(), 503);
  EXPECT_EQ(find_header(clients[2]->get_handshake_response_headers(), "Retry-After"), "7");
  EXPECT_EQ(server.poller().served_peers(), 2u);

  // A place frees when a served client leaves: the next one is served.
  clients[0]->close();
  ASSERT_TRUE(run_until(server, raw(clients), [&] { return server.poller().served_peers() == 1; }));
  auto late = WebSocketPeer::create();
  ASSERT_EQ(late->connect_to_url(server.url()), OK);
  ASSERT_TRUE(run_until(server, {late.get()}, [&] {
    return late->get_ready_state() != WebSocketPeer::STATE_CONNECTING;
  }));
  EXPECT_EQ(late->get_ready_state(), WebSocketPeer::STATE_OPEN) << late->get_last_error();
}

TEST_P(ServerLimits, OneAddressCannotTakeEveryPlace) {
  PeerPoller::Limits limits;
  limits.max_peers = 100;
  limits.max_peers_per_address = 2;
  LimitedServer server(limits, GetParam());
  std::vector<std::unique_ptr<WebSocketPeer>> clients;
  for (int i = 0; i < 4; ++i) {
    clients.push_back(WebSocketPeer::create());
    ASSERT_EQ(clients.back()->connect_to_url(server.url()), OK);
  }
  ASSERT_TRUE(run_until(server, raw(clients), [&] { return settled(clients); }));
  int open = 0, refused = 0;
  for (const auto& client : clients) {
    open += client->get_ready_state() == WebSocketPeer::STATE_OPEN;
    refused += client->get_handshake_status() == 503;
  }
  EXPECT_EQ(open, 2);
  EXPECT_EQ(refused, 2);
  EXPECT_NE(clients[3]->get_last_error().find("503"), std::string::npos);
}

TEST_P(ServerLimits, RefusalsAreBoundedTooAndEveryoneIsReleased) {
  PeerPoller::Limits limits;
  limits.max_peers = 1;
  LimitedServer server(limits, GetParam());
  // Requests over the limit from clients that then read nothing: each holds a refusal until it
  // is written.
  std::vector<test::RawSocket> clients(100);
  for (test::RawSocket& socket : clients) {
    ASSERT_TRUE(socket.connect("127.0.0.1", server.port()));
    ASSERT_TRUE(socket.send_all(test::upgrade_request()));
  }
  run_until(
      server, {}, [] { return false; }, 0.5);
  // 1 served; the others answered 503 (a refusal is written at once, so the bound of
  // max(64, max_peers / 4) refusals under way at a time is rarely reached) or cut off.
  int served = 0, refused = 0, cut = 0;
  for (test::RawSocket& socket : clients) {
    bool eof = false;
    const std::string answer = socket.read_until_eof(0.05, &eof);
    served += answer.rfind("HTTP/1.1 101", 0) == 0;
    refused += answer.rfind("HTTP/1.1 503", 0) == 0;
    cut += eof && answer.empty();
  }
  EXPECT_EQ(served, 1);
  EXPECT_GE(refused, 64);
  EXPECT_EQ(refused + cut, 100 - 1);
  // Everyone refused is released; the served client keeps its place.
  ASSERT_TRUE(run_until(
      server, {}, [&] { return server.poller().size() <= 1; }, 4.0));
  auto client = WebSocketPeer::create();
  ASSERT_EQ(client->connect_to_url(server.url()), OK);
  run_until(server, {client.get()},
            [&] { return client->get_ready_state() != WebSocketPeer::STATE_CONNECTING; });
  EXPECT_EQ(client->get_handshake_status(), 503) << "the served client still holds its place";
}

TEST_P(ServerLimits, TheBufferBudgetBoundsWhatAllPeersHoldAndLosesNothing) {
  constexpr size_t kBudget = 256 * 1024;
  constexpr size_t kMessage = 32 * 1024;
  PeerPoller::Limits limits;
  limits.max_buffered_bytes = kBudget;
  LimitedServer server(limits, GetParam());
  std::vector<test::RawSocket> clients(4);
  for (test::RawSocket& client : clients) {
    ASSERT_TRUE(client.connect("127.0.0.1", server.port()));
    client.send_all(test::upgrade_request());
  }
  ASSERT_TRUE(run_until(server, {}, [&] { return server.open_peers() == 4; }));
  for (test::RawSocket& client : clients) client.read_http_head();
  // Each client sends 1 MiB in 32 KiB messages; the application takes nothing for a while.
  const std::string message = test::client_frame(2, std::string(kMessage, 'b'));
  std::string burst;
  for (int i = 0; i < 32; ++i) burst += message;
  std::vector<std::thread> writers;
  for (test::RawSocket& client : clients) {
    writers.emplace_back([&client, &burst] { client.send_all(burst); });
  }
  size_t most = 0;
  run_until(
      server, {},
      [&] {
        most = std::max(most, server.poller().buffered_bytes());
        return false;
      },
      1.0, /*take=*/false);
  // Over the budget by at most one message (the one allowed to finish) and one read past it.
  EXPECT_GT(most, kBudget / 2) << "the peers did read";
  EXPECT_LE(most, kBudget + kMessage + 256 * 1024);
  // The application catches up: reading resumes and every message arrives.
  ASSERT_TRUE(run_until(
      server, {},
      [&] {
        server.take_all();
        return server.taken().size() == 4 * 32;
      },
      10.0))
      << server.taken().size() << " of " << 4 * 32 << " messages taken; "
      << server.poller().buffered_bytes() << " bytes held";
  for (std::thread& writer : writers) writer.join();
  for (const auto& taken : server.taken()) ASSERT_EQ(taken.size(), kMessage);
}

TEST_P(ServerLimits, MessagesStillArrivingCannotDeadlockTheBudget) {
  // Three messages of 200 KiB arrive slowly, all at once: together they pass the budget while
  // none is complete. One at a time is allowed to finish, so each can be taken.
  PeerPoller::Limits limits;
  limits.max_buffered_bytes = 100 * 1024;
  LimitedServer server(limits, GetParam());
  std::vector<test::RawSocket> clients(3);
  for (test::RawSocket& client : clients) {
    ASSERT_TRUE(client.connect("127.0.0.1", server.port()));
    client.send_all(test::upgrade_request());
  }
  ASSERT_TRUE(run_until(server, {}, [&] { return server.open_peers() == 3; }));
  for (test::RawSocket& client : clients) client.read_http_head();
  const std::string frame = test::client_frame(2, std::string(200 * 1024, 'p'));
  for (test::RawSocket& client : clients) client.send_all(frame.substr(0, 90 * 1024));
  run_until(
      server, {}, [] { return false; }, 0.3);
  for (test::RawSocket& client : clients) client.send_all(frame.substr(90 * 1024));
  EXPECT_TRUE(run_until(
      server, {}, [&] { return server.taken().size() == 3; }, 10.0))
      << server.taken().size() << " of 3 messages; buffered " << server.poller().buffered_bytes();
}

}  // namespace
}  // namespace wsp
