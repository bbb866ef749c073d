#include "wspeer/core/packet_peer.h"

#include <limits>

namespace wsp {

std::vector<uint8_t> PacketPeer::get_packet() {
  const uint8_t* data = nullptr;
  int size = 0;
  last_get_error_ = get_packet(&data, &size);
  if (last_get_error_ != OK) return {};
  return std::vector<uint8_t>(data, data + size);
}

Error PacketPeer::put_packet(std::span<const uint8_t> buffer) {
  if (buffer.size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
    return ERR_INVALID_PARAMETER;
  }
  return put_packet(buffer.data(), static_cast<int>(buffer.size()));
}

}  // namespace wsp
