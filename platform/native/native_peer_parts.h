// What the three parts of the native WebSocketPeer share (native_websocket_peer.cc: starting and
// the public face, native_handshake.cc: the opening handshake, native_connection.cc: the open
// connection): read sizes and the per-thread receive buffer.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "wspeer/core/heartbeat.h"

namespace wsp::native_peer {

constexpr size_t kMinRead = 16 * 1024;
constexpr size_t kMaxRead = 256 * 1024;
constexpr int kMaxReadsPerPoll = 4;      // fairness between peers sharing one thread
constexpr size_t kSmallFrameCopy = 256;  // payloads up to this size are copied behind the header
constexpr int kMaxWritePieces = 8;       // outbound pieces in one write (what send_some gathers)
// Bytes a client may send while its request waits for the application (it should send none).
constexpr size_t kMaxEarlyBytes = 64 * 1024;
// Buffers of a connection that saw no traffic for this long are given back: busy connections
// keep theirs (no allocation per message), idle ones cost little memory.
constexpr auto kIdleRelease = std::chrono::seconds(1);

// One receive buffer per thread, shared by every peer on it: an idle peer owns none.
inline uint8_t* read_buffer() {
  thread_local std::vector<uint8_t> buffer;
  if (buffer.empty()) buffer.resize(kMaxRead);
  return buffer.data();
}

inline Clock::time_point after(Clock::time_point now, double seconds) {
  return now + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

inline Clock::time_point after_ms(Clock::time_point now, uint32_t milliseconds) {
  return now + std::chrono::milliseconds(milliseconds);
}

}  // namespace wsp::native_peer
