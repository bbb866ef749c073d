// The messages cluster nodes exchange through the broker (Redis pub/sub): a node's heartbeat, a
// member joining or leaving a room, and a packet for a room's members or for one of them. The
// layout is wspeer's own (docs/scaling.md); every node of a cluster runs the same version, and a
// message that does not parse is dropped and counted, never trusted.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace wsp::cluster {

/// Node names and room names travel with one length byte.
constexpr size_t kMaxNameSize = 255;

struct BusMessage {
  enum class Kind : uint8_t {
    kHeartbeat = 'H',  ///< the sender is alive
    kJoin = 'J',       ///< `ids` joined `room` on the sender
    kLeave = 'L',      ///< `ids` left `room`
    kPacket = 'P',     ///< for `room`'s members: `target` 0 all, -N all but N, N one peer
  };
  Kind kind = Kind::kHeartbeat;
  uint64_t node_uid = 0;  ///< the sender's process (a new one every start)
  std::string_view node;  ///< the sender's name
  std::string_view room;
  std::vector<int32_t> ids;          ///< kJoin, kLeave
  int32_t from = 0;                  ///< kPacket: the source peer (1: the sender node's server)
  int32_t target = 0;                ///< kPacket
  std::span<const uint8_t> payload;  ///< kPacket: the session packet inside the relay
};

/// Appends the message; false (nothing appended) when a name is too long.
bool encode(const BusMessage& message, std::vector<uint8_t>* out);
/// The message in `bytes` (views into it), or nothing when it is malformed.
std::optional<BusMessage> decode(std::span<const uint8_t> bytes);

}  // namespace wsp::cluster
