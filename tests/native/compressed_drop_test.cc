// A client that agreed permessage-deflate sends messages that inflate a thousandfold, never
// reads, and leaves (reset, end of stream, or by never answering our close), or the application
// drops it (close(-1)) while its input is paused. Whatever way it
// leaves, the server decodes no more than its budgets allow: each peer's, and a PeerPoller's
// shared one. The server's memory is measured (exactly, under AddressSanitizer).
#include <gtest/gtest.h>
#include <zlib.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/core/wire.h"
#include "tests/native/heap_usage.h"
#include "tests/native/raw_peer.h"
#include "tests/native/test_util.h"
#include "wspeer/platform/native/native_websocket_peer.h"
#include "wspeer/platform/native/peer_poller.h"

namespace wsp {
namespace {

using test::HeapUsage;
using test::RawSocket;

constexpr size_t kMiB = 1 << 20;
constexpr size_t kMaxMessage = kMiB;            // the server's inbound_buffer_size
constexpr size_t kInflated = kMaxMessage - 64;  // each message, once decoded
// About 120 KB on the wire (120 MB decoded): it fits in the sockets' buffers before the server
// reads, so the server's first read takes it all (and parks what follows two messages), and a
// client's end of stream is not stuck behind unsent bytes.
constexpr int kMessages = 120;

// One message of zeros compressed on its own (no context from earlier messages), without the
// 00 00 FF FF that permessage-deflate leaves out.
std::string compressed_zeros() {
  static const std::string compressed = [] {
    z_stream stream{};
    EXPECT_EQ(deflateInit2(&stream, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
    std::vector<uint8_t> zeros(kInflated, 0);
    std::string out(kInflated / 100, '\0');
    stream.next_in = zeros.data();
    stream.avail_in = static_cast<uInt>(zeros.size());
    stream.next_out = reinterpret_cast<Bytef*>(out.data());
    stream.avail_out = static_cast<uInt>(out.size());
    EXPECT_EQ(deflate(&stream, Z_SYNC_FLUSH), Z_OK);
    EXPECT_EQ(stream.avail_in, 0u);
    out.resize(out.size() - stream.avail_out - 4);
    deflateEnd(&stream);
    return out;
  }();
  return compressed;
}

// A raw client that agreed permessage-deflate with its server peer and sent kMessages.
struct CompressingClient {
  RawSocket socket;
  std::unique_ptr<WebSocketPeer> server;
};

CompressingClient connect_and_send(test::LoopbackServer& listener, double close_timeout) {
  CompressingClient client;
  EXPECT_TRUE(client.socket.connect("127.0.0.1", listener.port()));
  EXPECT_TRUE(client.socket.send_all(
      test::upgrade_request("/", "Sec-WebSocket-Extensions: permessage-deflate\r\n")));
  client.server = listener.accept(nullptr, [&](WebSocketPeer& peer) {
    peer.set_inbound_buffer_size(static_cast<int>(kMaxMessage));
    peer.set_deflate_options(DeflateOptions::on());
    peer.set_close_timeout(close_timeout);
  });
  EXPECT_TRUE(client.server);
  test::poll_until({client.server.get()}, [&] {
    return client.server->get_ready_state() != WebSocketPeer::STATE_CONNECTING;
  });
  EXPECT_NE(client.socket.read_http_head().find("permessage-deflate"), std::string::npos);
  test::RawFrame frame = test::frame(2, test::bytes(compressed_zeros()), true, true);
  frame.rsv = 4;  // RSV1: compressed
  const test::Bytes one = test::encode(frame);
  std::string wire;
  for (int i = 0; i < kMessages; ++i) wire.append(one.begin(), one.end());
  size_t sent = 0;
  const auto start = std::chrono::steady_clock::now();
  while (sent < wire.size() && std::chrono::steady_clock::now() - start < std::chrono::seconds(2)) {
    EXPECT_TRUE(client.socket.send_available(wire, &sent));
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(sent, wire.size()) << "the socket buffers did not take the messages";
  test::poll_until(
      {client.server.get()}, [] { return false; }, 0.3);
  return client;
}

enum class Ending { kReset, kEndOfStream, kCloseTimeout, kAbort };

void end(CompressingClient& client, Ending ending) {
  switch (ending) {
    case Ending::kReset:
      client.socket.reset();
      break;
    case Ending::kEndOfStream:
      client.socket.shutdown_write();
      break;
    case Ending::kCloseTimeout:
      ASSERT_EQ(client.server->close(1000, "bye"), OK);  // never answered
      break;
    case Ending::kAbort:
      ASSERT_EQ(client.server->close(-1), OK);  // the application drops it
      break;
  }
}

class CompressedDrop : public ::testing::TestWithParam<Ending> {};

TEST_P(CompressedDrop, DecodesNoMoreThanThePeerHeldWhenTheClientLeaves) {
  test::LoopbackServer listener;
  CompressingClient client = connect_and_send(listener, 0.3);
  WebSocketPeer& server = *client.server;
  ASSERT_EQ(server.get_ready_state(), WebSocketPeer::STATE_OPEN) << server.get_last_error();
  // Paused: the queue is full (two messages reach 1 MiB) and the rest of the read is parked.
  ASSERT_EQ(server.get_available_packet_count(), 2);
  const size_t held = static_cast<NativeWebSocketPeer&>(server).buffered_bytes();
  EXPECT_LT(held, 3 * kMaxMessage);

  HeapUsage::reset_peak();
  const size_t before = HeapUsage::current();
  end(client, GetParam());
  ASSERT_TRUE(test::poll_until(
      {&server}, [&] { return server.get_ready_state() == WebSocketPeer::STATE_CLOSED; }, 5));
  // The input it held (parked bytes) may become one more message, which may cross it; the
  // queue's buffer grows by doubling, and the old block lives while it is copied. Without the
  // bound, the parked quarter of a megabyte inflated to about 250 MB.
  const size_t peak_growth = HeapUsage::peak_since_reset() - before;
  EXPECT_LT(peak_growth, 2 * (held + kMaxMessage)) << "peak growth in bytes";
  EXPECT_LE(static_cast<NativeWebSocketPeer&>(server).buffered_bytes(), held + kMaxMessage);
  EXPECT_NE(server.get_last_error().find("dropped unread"), std::string::npos)
      << server.get_last_error();

  // What is left to read is whole and within the same budget.
  int messages = 0;
  size_t bytes = 0;
  while (server.get_available_packet_count() > 0) {
    const std::vector<uint8_t> message = server.get_packet();
    EXPECT_EQ(message.size(), kInflated);
    EXPECT_EQ(std::count(message.begin(), message.end(), 0), static_cast<long>(kInflated));
    ++messages;
    bytes += message.size();
  }
  EXPECT_GE(messages, 3) << "what was queued, and one message from the parked input";
  EXPECT_LE(bytes, held + 2 * kMaxMessage);
}

INSTANTIATE_TEST_SUITE_P(Endings, CompressedDrop,
                         ::testing::Values(Ending::kReset, Ending::kEndOfStream,
                                           Ending::kCloseTimeout, Ending::kAbort),
                         [](const auto& info) {
                           switch (info.param) {
                             case Ending::kReset:
                               return "Reset";
                             case Ending::kEndOfStream:
                               return "EndOfStream";
                             case Ending::kCloseTimeout:
                               return "CloseTimeout";
                             default:
                               return "Abort";
                           }
                         });

// Four such clients of one PeerPoller with a 4 MiB budget leave at once: what the server holds
// grows by one message per client at most, as it may while they are connected.
TEST_P(CompressedDrop, AServerWideBudgetHoldsWhenClientsLeave) {
  constexpr size_t kBudget = 4 * kMiB;
  constexpr size_t kClients = 4;
  // The budget, plus one message and one read per client.
  constexpr size_t kBound = kBudget + kClients * (kMaxMessage + 256 * 1024);
  const size_t base = HeapUsage::current();
  test::LoopbackServer listener;
  PeerPoller poller;
  PeerPoller::Limits limits;
  limits.max_buffered_bytes = kBudget;
  poller.set_limits(limits);
  std::vector<CompressingClient> clients;
  for (size_t i = 0; i < kClients; ++i) {
    clients.push_back(connect_and_send(listener, 0.3));
    ASSERT_TRUE(clients.back().server);
    poller.add(clients.back().server.get());
  }
  auto serve = [&](double seconds) {
    const auto start = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - start < std::chrono::duration<double>(seconds)) {
      for (WebSocketPeer* peer : poller.wait(5)) peer->poll();
    }
  };
  serve(0.3);
  const size_t held = poller.buffered_bytes();
  EXPECT_LT(held, kBound);

  HeapUsage::reset_peak();
  for (CompressingClient& client : clients) end(client, GetParam());
  serve(1.0);
  for (CompressingClient& client : clients) {
    EXPECT_EQ(client.server->get_ready_state(), WebSocketPeer::STATE_CLOSED)
        << client.server->get_last_error() << " " << client.server->get_available_packet_count()
        << " " << static_cast<NativeWebSocketPeer*>(client.server.get())->buffered_bytes();
  }
  const size_t after = poller.buffered_bytes();
  EXPECT_GT(after, 0u) << "what the application can still read counts in the budget";
  EXPECT_LE(after, held + kClients * kMaxMessage);
  // Everything the server allocated for these clients, sockets and zlib included (queues grow
  // by doubling): without the bound, each client's parked input inflated to about 250 MB.
  EXPECT_LT(HeapUsage::peak_since_reset() - base, 2 * (held + kClients * kMaxMessage) + 4 * kMiB)
      << "held " << held << " then " << after;
  for (CompressingClient& client : clients) poller.remove(client.server.get());
}

}  // namespace
}  // namespace wsp
