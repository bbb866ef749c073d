#include "wspeer/multiplayer/multiplayer_peer.h"

#include "wspeer/core/random.h"

namespace wsp {

int MultiplayerPeer::generate_unique_id() {
  uint32_t id = 0;
  while (id < 2) {
    fill_random(reinterpret_cast<uint8_t*>(&id), sizeof(id));
    id &= 0x7FFFFFFFu;  // positive: a negative id means "everyone but"
  }
  return static_cast<int>(id);
}

bool MultiplayerPeer::take_event(PeerEvent* event) {
  if (events_.empty()) return false;
  *event = events_.front();
  events_.pop_front();
  return true;
}

Error MultiplayerPeer::put_packet_to_peers(std::span<const int> peers, const uint8_t* buffer,
                                           int size) {
  const int target = target_peer_;
  Error result = OK;
  for (int peer : peers) {
    target_peer_ = peer;
    if (const Error error = put_packet(buffer, size); error != OK) result = error;
  }
  target_peer_ = target;
  return result;
}

}  // namespace wsp
