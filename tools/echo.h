// Echoing received messages back with their type, shared by echo-server and echo-client.
#pragma once

#include <cstdint>

#include "wspeer/core/websocket_peer.h"

namespace wsp::tool {

// Sends every queued message back as long as less than `max_buffered` bytes wait to be sent;
// beyond that the messages stay queued, so a client that does not read slows its own input
// (back-pressure) instead of growing our memory.
inline void echo_pending(WebSocketPeer& peer, int64_t max_buffered) {
  while (peer.get_available_packet_count() > 0 &&
         peer.get_current_outbound_buffered_amount() < max_buffered) {
    const uint8_t* data = nullptr;
    int size = 0;
    if (peer.get_packet(&data, &size) != OK) break;
    const auto mode = peer.was_string_packet() ? WebSocketPeer::WRITE_MODE_TEXT
                                               : WebSocketPeer::WRITE_MODE_BINARY;
    if (peer.send(std::span<const uint8_t>(data, static_cast<size_t>(size)), mode) != OK) break;
  }
}

}  // namespace wsp::tool
