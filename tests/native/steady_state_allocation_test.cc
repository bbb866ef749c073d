// "No allocation per frame in steady state": once a connection has warmed up, echoing messages
// through PeerPoller and the view-based packet API allocates nothing, on either side. Counted by
// replacing the global allocator in this test binary.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <new>
#include <span>
#include <tuple>
#include <vector>

#include "tests/native/test_util.h"
#include "tools/echo.h"
#include "wspeer/platform/native/peer_poller.h"

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
                const std::vector<uint8_t>& message, WebSocketPeer::WriteMode mode) {
  if (client.send(std::span<const uint8_t>(message), mode) != OK) return false;
  for (int spins = 0; spins < 100000; ++spins) {
    client.poll();
    if (client.get_available_packet_count() > 0) {
      const uint8_t* data = nullptr;
      int size = 0;
      return client.get_packet(&data, &size) == OK && size == static_cast<int>(message.size()) &&
             client.was_string_packet() == (mode == WebSocketPeer::WRITE_MODE_TEXT);
    }
    for (WebSocketPeer* ready : poller.wait(0)) {
      ready->poll();
      if (ready == &server) tool::echo_pending(server, 1 << 20);  // as `wsp echo-server` does
    }
  }
  return false;
}

// Message size, and whether it is text (validated as UTF-8 on receipt) or binary.
class SteadyStateAllocation : public testing::TestWithParam<std::tuple<size_t, bool>> {};

TEST_P(SteadyStateAllocation, EchoingAllocatesNothingOnceWarm) {
  // Room for the largest message (the seed's default limits are 64 KiB - 1).
  auto roomy = [](WebSocketPeer& peer) {
    peer.set_inbound_buffer_size(1 << 20);
    peer.set_outbound_buffer_size(1 << 20);
  };
  auto pair = test::open_pair(roomy, roomy);
  PeerPoller poller;
  poller.add(pair.server.get());
  const auto [size, text] = GetParam();
  // Text mixes ASCII with two-byte characters, so both UTF-8 paths run.
  std::vector<uint8_t> message(size, 'Z');
  for (size_t i = 0; text && i + 1 < size; i += 7) {
    message[i] = 0xC3;
    message[i + 1] = 0xA9;
  }
  const auto mode = text ? WebSocketPeer::WRITE_MODE_TEXT : WebSocketPeer::WRITE_MODE_BINARY;
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(round_trip(poller, *pair.client, *pair.server, message, mode)) << "warm-up " << i;
  }
  const long before = g_allocations.load();
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(round_trip(poller, *pair.client, *pair.server, message, mode))
        << "round trip " << i;
  }
  EXPECT_EQ(g_allocations.load() - before, 0) << "allocations during 1000 round trips";
  poller.remove(pair.server.get());
}

// A busy peer's idle-release timer fires about once a second and is set again; that must not
// allocate either, so this echo runs for longer than the timer's period.
TEST(SteadyStateAllocationOverTime, TimersSetAgainAllocateNothing) {
  auto pair = test::open_pair();
  PeerPoller poller;
  poller.add(pair.server.get());
  const std::vector<uint8_t> message(16, 'a');
  const auto binary = WebSocketPeer::WRITE_MODE_BINARY;
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(round_trip(poller, *pair.client, *pair.server, message, binary));
  }
  const long before = g_allocations.load();
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(2500);
  long round_trips = 0;
  while (std::chrono::steady_clock::now() < until) {
    ASSERT_TRUE(round_trip(poller, *pair.client, *pair.server, message, binary));
    ++round_trips;
  }
  EXPECT_EQ(g_allocations.load() - before, 0)
      << "allocations during " << round_trips << " round trips in 2.5 s";
  poller.remove(pair.server.get());
}

INSTANTIATE_TEST_SUITE_P(SizesAndTypes, SteadyStateAllocation,
                         testing::Combine(testing::Values(size_t{16}, size_t{4096}, size_t{65536}),
                                          testing::Bool()));

}  // namespace
}  // namespace wsp
