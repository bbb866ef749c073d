// A message framed once for many peers (PreparedMessage, WebSocketPeer::send_prepared()): every
// peer receives exactly the message, in order with its other messages, and peers that read slowly
// hold references to the one frame rather than a copy each.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "heap_usage.h"
#include "test_util.h"
#include "wspeer/core/prepared_message.h"

namespace wsp {
namespace {

constexpr int kPeers = 8;
constexpr int kMessages = 192;
constexpr size_t kSize = 64 * 1024;

std::vector<uint8_t> message_number(int n) {
  std::vector<uint8_t> bytes(kSize);
  for (size_t i = 0; i < kSize; i += 4096) bytes[i] = static_cast<uint8_t>(n + i / 4096);
  bytes.back() = static_cast<uint8_t>(n);
  return bytes;
}

TEST(PreparedBroadcast, SlowPeersShareOneCopyAndEveryoneGetsEverythingInOrder) {
  std::vector<test::Pair> pairs;
  for (int i = 0; i < kPeers; ++i) {
    pairs.push_back(test::open_pair(
        [](WebSocketPeer& client) { client.set_inbound_buffer_size(1 << 20); },
        [](WebSocketPeer& server) {
          server.set_outbound_buffer_size(0);  // no limit: what is queued is the point here
          server.set_max_queued_packets(1 << 20);
        }));
    ASSERT_EQ(pairs.back().server->get_ready_state(), WebSocketPeer::STATE_OPEN);
  }
  // The clients read nothing yet, so most of each broadcast stays queued in the server's peers.
  const size_t before = test::HeapUsage::current();
  PreparedMessage message;
  for (int n = 0; n < kMessages; ++n) {
    ASSERT_EQ(message.prepare(message_number(n)), OK);
    for (test::Pair& pair : pairs) {
      ASSERT_EQ(pair.server->send_prepared(message), OK);
      if (n % 8 == 0) {  // its own frames keep their place between the shared ones
        ASSERT_EQ(pair.server->send_text("own " + std::to_string(n)), OK);
      }
    }
  }
  int64_t queued = 0;
  for (test::Pair& pair : pairs) queued += pair.server->get_current_outbound_buffered_amount();
  const size_t grown = test::HeapUsage::current() - before;
  // Copies would cost `queued` bytes; references cost what one copy of each message costs.
  ASSERT_GT(queued, static_cast<int64_t>(kPeers) * 4 * 1024 * 1024) << "the test needs slow peers";
  EXPECT_LT(grown, static_cast<size_t>(queued) / 4)
      << queued << " bytes queued for " << kPeers << " peers took " << grown << " bytes of heap";
  EXPECT_GT(message.frame().use_count(), 2) << "the last message is still queued by reference";

  for (test::Pair& pair : pairs) {
    std::vector<std::vector<uint8_t>> binary;
    std::vector<std::string> text;
    ASSERT_TRUE(test::poll_until(
        {pair.client.get(), pair.server.get()},
        [&] {
          while (pair.client->get_available_packet_count() > 0) {
            const uint8_t* data = nullptr;
            int size = 0;
            pair.client->get_packet(&data, &size);
            if (pair.client->was_string_packet()) {
              text.emplace_back(reinterpret_cast<const char*>(data), size);
            } else {
              binary.emplace_back(data, data + size);
            }
          }
          return binary.size() == kMessages;
        },
        20.0));
    for (int n = 0; n < kMessages; ++n) ASSERT_EQ(binary[n], message_number(n)) << n;
    ASSERT_EQ(text.size(), static_cast<size_t>(kMessages / 8));
    for (int i = 0; i < kMessages / 8; ++i) EXPECT_EQ(text[i], "own " + std::to_string(i * 8));
    EXPECT_EQ(pair.server->get_current_outbound_buffered_amount(), 0);
  }
  EXPECT_EQ(message.frame().use_count(), 2) << "written frames are let go";
}

TEST(PreparedBroadcast, ClientsAndLimitsBehaveAsWithSend) {
  test::Pair pair =
      test::open_pair({}, [](WebSocketPeer& server) { server.set_outbound_buffer_size(1000); });
  PreparedMessage message;
  EXPECT_EQ(pair.server->send_prepared(message), ERR_INVALID_PARAMETER) << "nothing prepared";
  ASSERT_EQ(message.prepare(std::vector<uint8_t>(1001, 1)), OK);
  EXPECT_EQ(pair.server->send_prepared(message), ERR_OUT_OF_MEMORY);
  ASSERT_EQ(message.prepare(std::vector<uint8_t>{1, 2, 3}), OK);
  // A client masks: it frames the payload itself, and the server receives it intact.
  ASSERT_EQ(pair.client->send_prepared(message), OK);
  ASSERT_TRUE(test::poll_until({pair.client.get(), pair.server.get()},
                               [&] { return pair.server->get_available_packet_count() == 1; }));
  const uint8_t* data = nullptr;
  int size = 0;
  ASSERT_EQ(pair.server->get_packet(&data, &size), OK);
  EXPECT_EQ(std::vector<uint8_t>(data, data + size), (std::vector<uint8_t>{1, 2, 3}));
  pair.server->close(1000);
  EXPECT_EQ(pair.server->send_prepared(message), FAILED);
}

}  // namespace
}  // namespace wsp
