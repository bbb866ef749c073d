// The client side of the comparison: a wspeer client echoing messages through a server for a
// fixed time, K messages in flight. Usage: client_bench --port P [--payload B] [--inflight K]
// [--duration S]. Prints one JSON line.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "bench/client_options.h"
#include "wspeer/core/websocket_peer.h"
#include "wspeer/platform/native/native_websocket_peer.h"
#include "wspeer/platform/native/net.h"

int main(int argc, char** argv) {
  const auto [port, payload, inflight, duration] = wsp::bench::parse_client_options(argc, argv);
  auto peer = wsp::WebSocketPeer::create();
  peer->set_inbound_buffer_size(static_cast<int>(payload) + 1024);
  peer->set_outbound_buffer_size(0);
  if (peer->connect_to_url("ws://127.0.0.1:" + std::to_string(port) + "/") != wsp::OK) return 1;
  auto* native = static_cast<wsp::NativeWebSocketPeer*>(peer.get());
  const std::vector<uint8_t> message(payload, 'c');
  using Clock = std::chrono::steady_clock;
  auto wait = [&] {
    const wsp::PollInterest interest = native->get_poll_interest();
    if (interest.fd < 0 || interest.poll_now) return;
    wsp::native::wait_for(interest.fd, interest.wait_interest(), interest.timeout_ms(100));
  };
  while (peer->get_ready_state() == wsp::WebSocketPeer::STATE_CONNECTING) {
    peer->poll();
    wait();
  }
  if (peer->get_ready_state() != wsp::WebSocketPeer::STATE_OPEN) return 1;
  for (int i = 0; i < inflight; ++i) peer->send(message);
  uint64_t echoes = 0;
  const auto start = Clock::now();
  const auto end =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(duration));
  while (Clock::now() < end) {
    peer->poll();
    while (peer->get_available_packet_count() > 0) {
      const uint8_t* data;
      int size;
      peer->get_packet(&data, &size);
      if (static_cast<size_t>(size) != payload) return 1;
      ++echoes;
      peer->send(message);
    }
    wait();
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf(
      "{\"client\":\"wspeer\",\"payload\":%zu,\"inflight\":%d,\"messages_per_second\":%.1f,"
      "\"mb_per_second\":%.2f}\n",
      payload, inflight, echoes / seconds, echoes * payload / seconds / 1e6);
  peer->close();
  for (int i = 0; i < 100 && peer->get_ready_state() != wsp::WebSocketPeer::STATE_CLOSED; ++i) {
    peer->poll();
    wait();
  }
  return 0;
}
