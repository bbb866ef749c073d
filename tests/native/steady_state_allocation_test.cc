// "No allocation per frame in steady state": once a connection has warmed up, echoing messages
// through PeerPoller and the view-based packet API allocates nothing, on either side. Counted by
// replacing the global allocator in this test binary.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <span>
#include <vector>

#include "platform/native/peer_poller.h"
#include "tests/native/test_util.h"

namespace {
std::atomic<long> g_allocations{0};
}  // namespace

void* operator new(size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace wsp {
namespace {

// One round trip: the client sends, the server (driven by the poller) echoes, the client reads
// the echo. False if it does not complete.
bool round_trip(PeerPoller& poller, WebSocketPeer& client, WebSocketPeer& server,
                const std::vector<uint8_t>& message) {
  if (client.send(std::span<const uint8_t>(message), WebSocketPeer::WRITE_MODE_BINARY) != OK) {
    return false;
  }
  for (int spins = 0; spins < 100000; ++spins) {
    client.poll();
    if (client.get_available_packet_count() > 0) {
      const uint8_t* data = nullptr;
      int size = 0;
      return client.get_packet(&data, &size) == OK && size == static_cast<int>(message.size());
    }
    for (WebSocketPeer* ready : poller.wait(0)) {
      ready->poll();
      while (ready == &server && server.get_available_packet_count() > 0) {
        const uint8_t* data = nullptr;
        int size = 0;
        if (server.get_packet(&data, &size) != OK) return false;
        server.send(std::span<const uint8_t>(data, static_cast<size_t>(size)),
                    WebSocketPeer::WRITE_MODE_BINARY);
      }
    }
  }
  return false;
}

class SteadyStateAllocation : public testing::TestWithParam<size_t> {};

TEST_P(SteadyStateAllocation, EchoingAllocatesNothingOnceWarm) {
  // Room for the largest message (the seed's default limits are 64 KiB - 1).
  auto roomy = [](WebSocketPeer& peer) {
    peer.set_inbound_buffer_size(1 << 20);
    peer.set_outbound_buffer_size(1 << 20);
  };
  auto pair = test::open_pair(roomy, roomy);
  PeerPoller poller;
  poller.add(pair.server.get());
  const std::vector<uint8_t> message(GetParam(), 0x5A);
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(round_trip(poller, *pair.client, *pair.server, message)) << "warm-up " << i;
  }
  const long before = g_allocations.load();
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(round_trip(poller, *pair.client, *pair.server, message)) << "round trip " << i;
  }
  EXPECT_EQ(g_allocations.load() - before, 0) << "allocations during 1000 round trips";
  poller.remove(pair.server.get());
}

INSTANTIATE_TEST_SUITE_P(MessageSizes, SteadyStateAllocation,
                         testing::Values(size_t{16}, size_t{4096}, size_t{65536}));

}  // namespace
}  // namespace wsp
