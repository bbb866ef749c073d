// RoomBus: what a MultiplayerSession server needs to make its rooms span several server
// processes (docs/scaling.md). Each node keeps its own clients; the bus tells it who is in its
// rooms elsewhere and carries packets to them. wspeer's implementation is cluster::ClusterNode
// (Redis pub/sub through cluster::RedisBroker, or cluster::MemoryBroker in one process); a
// session without a bus links none of it.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace wsp {

class RoomBus {
 public:
  /// What happened elsewhere in the cluster, for the session to tell its own clients.
  struct Event {
    enum Type {
      kJoined,  ///< `peer` joined `room` on another node
      kLeft,    ///< `peer` left `room` on another node (or its node is gone)
      kPacket,  ///< a packet from `peer` for `room`'s members here, as `target` says
    };
    Type type = kJoined;
    std::string room;
    int peer = 0;
    /// kPacket: 0 everyone, -N everyone but N, N only N. `peer` 1 means the sending node's
    /// server (`payload` goes to the clients as it is); any other source is relayed.
    int target = 0;
    std::vector<uint8_t> payload;
  };

  virtual ~RoomBus() = default;
  /// A peer id no node of the cluster gives out meanwhile (2 and up).
  virtual int make_peer_id() = 0;
  /// One of this node's clients joined or left `room`.
  virtual void join(const std::string& room, int id) = 0;
  virtual void leave(const std::string& room, int id) = 0;
  /// Carries a packet to `room`'s members on the other nodes (see Event::kPacket).
  virtual void send(const std::string& room, int from, int target,
                    std::span<const uint8_t> payload) = 0;
  /// Whether `id` is in `room` on another node, and who is.
  virtual bool is_remote_member(const std::string& room, int id) const = 0;
  virtual std::vector<int> remote_members(const std::string& room) const = 0;
  /// The room of a member on another node, if it is known here.
  virtual std::optional<std::string> remote_room(int id) const = 0;
  virtual bool take_event(Event* event) = 0;
  /// Called by the session's poll() before take_event(): timers (heartbeats, silent nodes).
  virtual void poll() {}
};

}  // namespace wsp
