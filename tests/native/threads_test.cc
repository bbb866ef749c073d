// Different peers on different threads (decisions §13): every thread runs its own servers and
// clients, with host name resolution, TLS and the process-wide log callback shared. Run under
// --config=tsan as well as ASan.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "tests/native/test_certs.h"
#include "tests/native/test_util.h"
#include "wspeer/core/log.h"
#include "wspeer/platform/native/stream_peer_tls.h"

namespace wsp {
namespace {

std::atomic<int> g_log_lines{0};
void count_log(std::string_view) { g_log_lines.fetch_add(1, std::memory_order_relaxed); }

// One thread's work: a client resolving "localhost" and a server peer, exchanging messages.
bool exchange(int thread_index, const test::KeyAndCert* tls_leaf, const test::KeyAndCert* ca) {
  test::LoopbackServer listener;
  auto client = WebSocketPeer::create();
  std::shared_ptr<const TLSOptions> client_tls;
  std::string scheme = "ws://";
  if (tls_leaf) {
    auto chain = std::make_shared<X509Certificate>();
    chain->load_from_string(ca->cert_pem);
    client_tls = TLSOptions::client(chain);
    scheme = "wss://";
  }
#ifdef _WIN32
  // "localhost" is ::1 first, and Windows takes about 2 s to report a refused connection (the
  // listener is IPv4 only): use the IPv4 address, which the certificate also names.
  const std::string host = "127.0.0.1:";
#else
  const std::string host = "localhost:";
#endif
  if (client->connect_to_url(scheme + host + std::to_string(listener.port()) + "/t" +
                                 std::to_string(thread_index),
                             client_tls) != OK) {
    return false;
  }
  auto tcp = listener.take(client.get());
  if (!tcp) return false;
  std::shared_ptr<StreamPeer> stream = tcp;
  if (tls_leaf) {
    auto key = std::make_shared<CryptoKey>();
    auto cert = std::make_shared<X509Certificate>();
    key->load_from_string(tls_leaf->key_pem);
    cert->load_from_string(tls_leaf->cert_pem);
    auto tls = std::make_shared<StreamPeerTLS>();
    if (tls->accept_stream(tcp, TLSOptions::server(key, cert)) != OK) return false;
    stream = tls;
  }
  auto server = WebSocketPeer::create();
  if (server->accept_stream(stream) != OK) return false;
  if (!test::poll_until({client.get(), server.get()}, [&] {
        return client->get_ready_state() == WebSocketPeer::STATE_OPEN &&
               server->get_ready_state() == WebSocketPeer::STATE_OPEN;
      })) {
    ADD_FAILURE() << "thread " << thread_index << " not open: " << client->get_last_error() << " / "
                  << server->get_last_error();
    return false;
  }
  client->send_text("");  // exercise the empty path too
  const int count = 200;
  int received = 0;
  for (int i = 0; i < count; ++i) client->send_text("thread " + std::to_string(thread_index));
  client->send_text("x\xff");  // refused: invalid UTF-8 (logged through the callback)
  test::poll_until({client.get(), server.get()}, [&] {
    while (server->get_available_packet_count() > 0) {
      auto packet = server->get_packet();
      server->send(std::span<const uint8_t>(packet.data(), packet.size()));
    }
    while (client->get_available_packet_count() > 0) {
      client->get_packet();
      ++received;
    }
    return received == count + 1;
  });
  client->close();
  test::poll_until({client.get(), server.get()}, [&] {
    return client->get_ready_state() == WebSocketPeer::STATE_CLOSED &&
           server->get_ready_state() == WebSocketPeer::STATE_CLOSED;
  });
  EXPECT_EQ(received, count + 1) << "thread " << thread_index;
  EXPECT_EQ(client->get_close_code(), 1000)
      << "thread " << thread_index << ": " << client->get_last_error();
  return received == count + 1 && client->get_close_code() == 1000;
}

TEST(Threads, PeersOnDifferentThreadsDoNotInterfere) {
  set_log_callback(count_log);
  const test::KeyAndCert ca = test::make_ca("threads CA");
  const test::KeyAndCert leaf = test::make_leaf(ca, "localhost", {"DNS:localhost", "IP:127.0.0.1"});
  constexpr int kThreads = 6;
  std::atomic<int> succeeded{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const bool use_tls = t % 2 == 1;
      if (exchange(t, use_tls ? &leaf : nullptr, &ca)) succeeded.fetch_add(1);
    });
  }
  for (std::thread& thread : threads) thread.join();
  set_log_callback(nullptr);
  EXPECT_EQ(succeeded.load(), kThreads);
  EXPECT_GE(g_log_lines.load(), kThreads) << "each thread's refused send was logged";
}

}  // namespace
}  // namespace wsp
