// PacketPeer: an abstraction of packet-based protocols (Godot's PacketPeer).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "wspeer/core/error.h"

namespace wsp {

class PacketPeer {
 public:
  virtual ~PacketPeer() = default;

  /// Returns the number of packets currently available in the ring-buffer.
  virtual int get_available_packet_count() const = 0;
  /// Gets a raw packet. The view stays valid until the next get_packet() or poll() on this peer.
  /// ERR_UNAVAILABLE when no packet is queued.
  virtual Error get_packet(const uint8_t** buffer, int* size) = 0;
  /// Sends a raw packet.
  virtual Error put_packet(const uint8_t* buffer, int size) = 0;
  /// The largest packet this peer accepts.
  virtual int get_max_packet_size() const = 0;

  /// Gets a raw packet as a copy; on failure returns an empty vector and get_packet_error() tells
  /// why.
  std::vector<uint8_t> get_packet();
  /// Returns the error state of the last packet received (via get_packet()).
  Error get_packet_error() const { return last_get_error_; }
  /// Sends a raw packet.
  Error put_packet(std::span<const uint8_t> buffer);

 private:
  Error last_get_error_ = OK;
};

}  // namespace wsp
