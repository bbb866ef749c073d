// ClusterNode: one server process's part of a cluster whose rooms span processes (the RoomBus a
// MultiplayerSession uses). Its rules are here, without I/O: who is in which room elsewhere, which
// nodes are alive (each publishes a heartbeat; one silent for node_timeout is gone, and its
// members with it), what a node does when its broker connection comes back (announces its members
// again and reads every room anew). The broker itself is behind BrokerLink: Redis
// (RedisBroker), or MemoryBroker in one process and in tests.
//
// Delivery is at most once, as Redis pub/sub's: a packet published while a node's broker
// connection is down is lost for it (docs/scaling.md says when that happens).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "wspeer/cluster/bus_message.h"
#include "wspeer/multiplayer/room_bus.h"

namespace wsp::cluster {

/// A member of a room as the broker stores it.
struct StoredMember {
  int id = 0;
  uint64_t node_uid = 0;
  std::string node;
};

/// What a node asks of its broker. Each call is queued by the broker connection and runs in
/// order; answers come back through ClusterNode's on_*() calls.
class BrokerLink {
 public:
  virtual ~BrokerLink() = default;
  virtual void publish(const std::string& channel, std::span<const uint8_t> message) = 0;
  /// Answered with ClusterNode::on_subscribed(channel) once messages on it arrive.
  virtual void subscribe(const std::string& channel) = 0;
  virtual void unsubscribe(const std::string& channel) = 0;
  /// Room membership in the broker, valid while the node keeps refreshing its lifetime.
  virtual void store_member(const std::string& room, int id) = 0;
  virtual void drop_member(const std::string& room, int id) = 0;
  /// Answered with ClusterNode::on_room_read(room, members of live nodes).
  virtual void read_room(const std::string& room) = 0;
  /// Extends the node's lifetime in the broker (its members' with it) by node_timeout.
  virtual void refresh_node() = 0;
  /// Called by ClusterNode::poll() first: the link's own timers (reconnecting).
  virtual void tick() {}
};

class ClusterNode : public RoomBus {
 public:
  using Clock = std::chrono::steady_clock;

  struct Options {
    /// The node's name in the cluster: unique, 1 to 64 letters, digits, '.', '_' or '-'.
    std::string name;
    /// A node not heard from for this long is gone, with its members: the bound on how long a
    /// dead node's members seem to stay. Its heartbeat is sent five times as often.
    std::chrono::milliseconds node_timeout{5000};
    /// Channel and key prefix: clusters sharing one Redis need different ones.
    std::string prefix = "wspeer:";
  };

  /// What happened so far, for a server's logs and monitoring.
  struct Counters {
    uint64_t published = 0;        ///< messages sent to the broker
    uint64_t received = 0;         ///< messages from other nodes
    uint64_t malformed = 0;        ///< messages that did not parse (dropped)
    uint64_t link_losses = 0;      ///< times the broker connection was lost
    uint64_t nodes_lost = 0;       ///< nodes that went silent (their members left)
    uint64_t name_conflicts = 0;   ///< messages from another process with this node's name
    uint64_t unknown_targets = 0;  ///< packets for a peer that is not here (any more)
  };

  /// `uid`: this process's identity in messages (nonzero, new every start).
  ClusterNode(Options options, uint64_t uid, std::function<Clock::time_point()> clock = Clock::now);

  static bool valid_name(const std::string& name);

  /// The broker connection to use; it is up when on_link_up() is called.
  void set_link(BrokerLink* link) { link_ = link; }
  /// The id space this node was given by the broker (1 to kMaxSlot): ids start with it.
  void set_id_slot(int slot) { slot_ = slot; }
  static constexpr int kSlotBits = 10;
  static constexpr int kMaxSlot = (1 << kSlotBits) - 1;

  const std::string& name() const { return options_.name; }
  uint64_t uid() const { return uid_; }
  const Options& options() const { return options_; }
  const Counters& counters() const { return counters_; }
  bool is_link_up() const { return link_up_; }
  std::string room_channel(const std::string& room) const;
  std::string node_channel(const std::string& node) const;
  std::string nodes_channel() const { return options_.prefix + "nodes"; }
  /// The other nodes heard from and not timed out.
  std::vector<std::string> live_nodes() const;

  // ---- RoomBus (the session's side) ----
  int make_peer_id() override;
  void join(const std::string& room, int id) override;
  void leave(const std::string& room, int id) override;
  void send(const std::string& room, int from, int target,
            std::span<const uint8_t> payload) override;
  bool is_remote_member(const std::string& room, int id) const override;
  std::vector<int> remote_members(const std::string& room) const override;
  std::optional<std::string> remote_room(int id) const override;
  bool take_event(Event* event) override;
  /// Heartbeats and timeouts: call it at least every heartbeat interval (node_timeout / 5).
  void poll() override;
  /// When poll() has something to do next.
  Clock::time_point next_deadline() const;

  // ---- The broker's side ----
  void on_link_up();
  void on_link_down();
  void on_subscribed(const std::string& channel);
  void on_message(std::span<const uint8_t> bytes);
  void on_room_read(const std::string& room, const std::vector<StoredMember>& members);

 private:
  struct Room {
    std::set<int> local;
    std::map<int, uint64_t> remote;  ///< id -> node uid
    /// Subscribed to the room's channel: only then are our members announced, so that nothing
    /// the others send them once they know of them is missed here.
    bool hearing = false;
    bool reading = false;  ///< a read_room() is on its way
    std::set<int> left_while_reading;
  };
  struct RemoteNode {
    std::string name;
    Clock::time_point last_heard;
    std::set<std::pair<std::string, int>> members;  ///< (room, id)
  };

  void publish(const std::string& channel, const BusMessage& message);
  /// A message from this node (its uid and name) of `kind` about `room` ("" for heartbeats).
  BusMessage from_here(BusMessage::Kind kind, std::string_view room = {}) const;
  void announce(const std::string& room, const Room& state);
  RemoteNode& heard(uint64_t uid, std::string_view name);
  void add_remote(const std::string& room, Room& state, int id, uint64_t uid);
  void remove_remote(const std::string& room, Room& state, int id);
  void forget_node(uint64_t uid);
  void read_all_rooms();
  void expire_nodes(Clock::time_point now);
  Clock::duration heartbeat_interval() const;

  Options options_;
  uint64_t uid_;
  std::function<Clock::time_point()> clock_;
  BrokerLink* link_ = nullptr;
  bool link_up_ = false;
  int slot_ = 1;
  Clock::time_point next_heartbeat_{};
  std::map<std::string, Room> rooms_;
  std::unordered_map<int, std::string> remote_room_of_;
  std::unordered_map<uint64_t, RemoteNode> nodes_;
  /// Nodes forgotten for their silence: one that speaks again was only slow (a stalled process,
  /// a delayed network), and its members are read again from the broker.
  std::set<uint64_t> silenced_;
  std::deque<Event> events_;
  Counters counters_;
  std::vector<uint8_t> scratch_;
};

}  // namespace wsp::cluster
