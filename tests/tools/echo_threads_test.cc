// wsp echo-server's --threads: several serve_echo() loops, one per thread, each with its own
// listener on a shared port. Every client is echoed, the kernel spreads clients over the
// threads, and stopping ends them all. Run under ThreadSanitizer by ./run test.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/native/test_util.h"
#include "tools/echo_service.h"
#include "wspeer/platform/native/peer_poller.h"

namespace wsp {
namespace {

constexpr int kThreads = 2;
constexpr int kClients = 64;

// Long enough to be compressed (the threshold is 64 bytes).
std::string message(int client) {
  std::string text = "client " + std::to_string(client) + ":";
  for (int i = 0; i < 20; ++i) text += " hello";
  return text;
}

TEST(EchoThreads, ClientsAreSpreadOverThreadsAndAllEchoed) {
  std::string error;
  const std::vector<std::unique_ptr<TCPServer>> servers =
      TCPServer::listen_shared(kThreads, 0, "127.0.0.1", &error);
  ASSERT_EQ(servers.size(), static_cast<size_t>(kThreads)) << error;
  const int port = servers.front()->get_local_port();
  for (const auto& server : servers) EXPECT_EQ(server->get_local_port(), port);
  tool::EchoSettings settings;
  settings.quiet = true;
  // Compressed replies too: each thread compresses with its own (thread-local) compressor.
  settings.deflate = DeflateOptions::on();
  settings.deflate.server_no_context_takeover = true;
  std::atomic<bool> stop{false};
  std::vector<size_t> accepted(kThreads, 0);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] { accepted[i] = tool::serve_echo(*servers[i], settings, stop); });
  }

  std::vector<std::unique_ptr<WebSocketPeer>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(WebSocketPeer::create());
    ASSERT_EQ(clients.back()->connect_to_url("ws://127.0.0.1:" + std::to_string(port) + "/"), OK);
  }
  PeerPoller poller;
  for (auto& client : clients) poller.add(client.get());
  std::vector<bool> sent(kClients, false);
  std::vector<std::string> echoed(kClients);
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  int done = 0;
  while (done < kClients && Clock::now() < deadline) {
    for (WebSocketPeer* ready : poller.wait(100)) ready->poll();
    done = 0;
    for (int i = 0; i < kClients; ++i) {
      WebSocketPeer& client = *clients[i];
      client.poll();
      if (client.get_ready_state() == WebSocketPeer::STATE_OPEN && !sent[i]) {
        sent[i] = client.send_text(message(i)) == OK;
      }
      if (client.get_available_packet_count() > 0) {
        const std::vector<uint8_t> packet = client.get_packet();
        echoed[i].assign(packet.begin(), packet.end());
      }
      done += !echoed[i].empty();
    }
  }
  for (int i = 0; i < kClients; ++i) EXPECT_EQ(echoed[i], message(i));
  for (auto& client : clients) {
    EXPECT_EQ(client->get_selected_extensions(), "permessage-deflate; server_no_context_takeover");
  }

  stop.store(true);
  // Each thread closes its clients with 1001; the clients answer.
  for (int round = 0; round < 100; ++round) {
    for (WebSocketPeer* ready : poller.wait(20)) ready->poll();
    for (auto& client : clients) client->poll();
  }
  for (std::thread& thread : threads) thread.join();
  size_t total = 0;
  for (int i = 0; i < kThreads; ++i) {
    EXPECT_GT(accepted[i], 0u) << "thread " << i << " got no client";
    total += accepted[i];
  }
  EXPECT_EQ(total, static_cast<size_t>(kClients));
  for (auto& client : clients) EXPECT_EQ(client->get_close_code(), 1001);
}

TEST(EchoThreads, SharingAPortIsRefusedWhereItWouldNotBalance) {
  TCPServer server;
  server.set_share_port(true);
#ifdef __linux__
  EXPECT_EQ(server.listen(0, "127.0.0.1"), OK);
#else
  EXPECT_EQ(server.listen(0, "127.0.0.1"), ERR_UNAVAILABLE);
  EXPECT_NE(server.get_last_error().find("SO_REUSEPORT"), std::string::npos);
#endif
}

TEST(EchoThreads, ListenSharedGivesEveryListenerOrNone) {
  TCPServer taken;
  ASSERT_EQ(taken.listen(0, "127.0.0.1"), OK);
  std::string error;
  // The port is held by a listener that does not share it: no listener is left open.
  EXPECT_TRUE(TCPServer::listen_shared(2, taken.get_local_port(), "127.0.0.1", &error).empty());
  EXPECT_NE(error.find(std::to_string(taken.get_local_port())), std::string::npos) << error;
  // A single listener does not share its port (so it works on every platform): a listener that
  // asks to share cannot join it.
  const auto single = TCPServer::listen_shared(1, 0, "127.0.0.1", &error);
  ASSERT_EQ(single.size(), 1u);
  TCPServer other;
  other.set_share_port(true);
  EXPECT_NE(other.listen(single.front()->get_local_port(), "127.0.0.1"), OK);
}

TEST(EchoThreads, AnotherListenerCannotJoinAPortNotShared) {
  TCPServer first;
  ASSERT_EQ(first.listen(0, "127.0.0.1"), OK);
  TCPServer second;
  second.set_share_port(true);
  EXPECT_NE(second.listen(first.get_local_port(), "127.0.0.1"), OK);
}

}  // namespace
}  // namespace wsp
