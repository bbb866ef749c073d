// MultiplayerSession: the session layer above a MultiplayerPeer, as Godot 4's SceneMultiplayer
// keeps it, without the scene tree (no RPC, spawn or sync): authentication of new peers, the
// server relaying packets between clients and telling each of the others, and raw application
// bytes. It speaks Godot 4's packets (session_packet.h), so a Godot client using
// multiplayer.send_bytes() can talk to a wspeer server and the other way round. Beyond Godot, a
// server's peers are in rooms (MultiplayerPeer::get_peer_room()): relaying and peer
// notifications stay inside a room.
//
// It never touches a socket: it drives whatever MultiplayerPeer it is given, so its rules are
// tested in memory (tests/multiplayer/multiplayer_session_test.cc).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "wspeer/core/error.h"
#include "wspeer/multiplayer/multiplayer_peer.h"
#include "wspeer/multiplayer/room_bus.h"

namespace wsp {

namespace session {
struct ParsedPacket;
}

class MultiplayerSession {
 public:
  /// Godot's signals as a queue, taken after poll() (docs/multiplayer.md says why a queue).
  struct Event {
    enum Type {
      /// peer_connected(id): a peer was admitted (after authentication, if any). On a client,
      /// the server (1) and every other peer of its room.
      PEER_CONNECTED,
      /// peer_disconnected(id): an admitted peer left.
      PEER_DISCONNECTED,
      /// peer_packet(id, packet): raw bytes sent with send_bytes(), in `data`.
      PEER_PACKET,
      /// peer_authenticating(id): a peer connected and its authentication starts (auth_callback
      /// is set).
      PEER_AUTHENTICATING,
      /// peer_authentication_failed(id): it left, or the authentication timed out, before both
      /// sides completed it.
      PEER_AUTHENTICATION_FAILED,
      /// connected_to_server: a client was admitted by its server.
      CONNECTED_TO_SERVER,
      /// connection_failed: a client's connection failed before it was connected.
      CONNECTION_FAILED,
      /// server_disconnected: a client's connection to its server ended.
      SERVER_DISCONNECTED,
      /// Beyond Godot, a server with a room bus: `peer` joined one of this server's rooms on
      /// another node (get_peer_room() names it). Its clients here were told already.
      ROOM_MEMBER_JOINED,
      /// Beyond Godot, a server with a room bus: a member on another node left (or its node is
      /// gone).
      ROOM_MEMBER_LEFT,
    };
    Type type;
    int peer = 0;
    std::vector<uint8_t> data;
  };
  using AuthCallback = std::function<void(int peer, std::span<const uint8_t> data)>;

  MultiplayerSession() = default;
  MultiplayerSession(const MultiplayerSession&) = delete;
  MultiplayerSession& operator=(const MultiplayerSession&) = delete;

  /// The peer object to handle the network; the session drives it from now on (a previous one is
  /// released, with everything known about its peers).
  void set_multiplayer_peer(std::shared_ptr<MultiplayerPeer> peer);
  const std::shared_ptr<MultiplayerPeer>& get_multiplayer_peer() const { return peer_; }

  /// Polls the peer and processes what arrived: call it regularly, then take_event() until false.
  void poll();
  bool take_event(Event* event);

  /// The unique peer id of this session (1 on a server; 0 without a connected peer).
  int get_unique_id() const;
  bool is_server() const;
  /// The ids of the admitted peers (a server's: in every room).
  std::vector<int> get_peer_ids() const;
  /// The ids of the peers currently trying to authenticate.
  std::vector<int> get_authenticating_peer_ids() const;

  /// Sends the given raw bytes to a specific peer identified by `id` (see
  /// MultiplayerPeer::set_target_peer()). Default id is 0, i.e. broadcast to all peers. A client
  /// with server_relay reaches other clients through the server. A server with a room bus
  /// reaches one member on another node by its id too (not broadcasts: see
  /// send_bytes_to_room()).
  Error send_bytes(std::span<const uint8_t> bytes, int id = MultiplayerPeer::TARGET_PEER_BROADCAST,
                   MultiplayerPeer::TransferMode mode = MultiplayerPeer::TRANSFER_MODE_RELIABLE,
                   int channel = 0);

  /// Enable or disable the server feature that notifies clients of other peers'
  /// connection/disconnection, and relays messages between them. When this option is false,
  /// clients won't be automatically notified of other peers and won't be able to send them
  /// packets through the server. Default true. Set it on both sides before connecting.
  void set_server_relay_enabled(bool enabled) { server_relay_ = enabled; }
  bool is_server_relay_enabled() const { return server_relay_; }

  /// The callback to execute when receiving authentication data sent via send_auth(). If it is
  /// empty, no authentication happens and peers are admitted at once. It is called during
  /// poll(), and may call send_auth(), complete_auth() and disconnect_peer().
  void set_auth_callback(AuthCallback callback) { auth_callback_ = std::move(callback); }
  bool has_auth_callback() const { return static_cast<bool>(auth_callback_); }
  /// If set to a value greater than 0.0, the maximum duration in seconds peers can stay in the
  /// authenticating state, after which the authentication will automatically fail. Default 3.
  Error set_auth_timeout(double seconds);
  double get_auth_timeout() const { return auth_timeout_.count() / 1000.0; }
  /// Sends the specified `data` to the remote peer identified by `id` as part of an
  /// authentication message. This can be used to authenticate peers, and control when the
  /// peer_connected event is emitted (and the remote peer accepted as one of the connected
  /// peers).
  Error send_auth(int id, std::span<const uint8_t> data);
  /// Mark the authentication step as completed for the remote peer identified by `id`. The
  /// peer_connected event will be emitted for this peer once the remote side also completes
  /// the authentication. No further authentication messages are expected to be received from
  /// this peer. If a peer disconnects before completing authentication, either due to a network
  /// issue, the auth_timeout expiring, or manually calling disconnect_peer(), the
  /// peer_authentication_failed event will be emitted instead of peer_disconnected.
  Error complete_auth(int id);
  /// Disconnects the peer identified by `id`, removing it from the list of connected peers, and
  /// closing the underlying connection with it (no peer_disconnected event for it here).
  void disconnect_peer(int id);

  // ---- Rooms (beyond Godot; a server's) ----
  /// The rooms with at least one admitted peer.
  std::vector<std::string> get_rooms() const;
  /// The admitted peers of a room.
  std::vector<int> get_room_peers(const std::string& room) const;
  /// Sends raw bytes to the admitted peers of `room`, except `except` (0: none); with a room
  /// bus, to its members on the other nodes too.
  Error send_bytes_to_room(const std::string& room, std::span<const uint8_t> bytes, int except = 0);

  // ---- Rooms across server processes (beyond Godot; a server's; docs/scaling.md) ----
  /// The bus that makes this server one node of a cluster: its rooms' members on other nodes
  /// are told of each other as if they were here (ADD/DEL), relaying reaches them, and peer ids
  /// come from the bus so that no two nodes give out the same. Set it before clients connect;
  /// the bus must outlive the session (or be unset with nullptr: this server's clients then leave
  /// the rooms of the other nodes, as when the server stops). Without one, nothing changes.
  /// The server (peer 1) is each client's own node: packets for the server, and packets to
  /// everyone, reach the application of the sender's node only; peer events and get_peer_ids()
  /// are about this node's clients, get_room_members() about everyone.
  void set_room_bus(RoomBus* bus);
  RoomBus* get_room_bus() const { return bus_; }
  /// The members of `room` here and, with a room bus, on the other nodes.
  std::vector<int> get_room_members(const std::string& room) const;
  /// The room of an admitted peer here or, with a room bus, of a member on another node.
  std::string get_peer_room(int id) const;

  /// Packets refused since the start, by kind: what a hostile or broken peer sent.
  struct Refusals {
    uint64_t malformed = 0;  ///< too short for their command, or a SYS command a peer may not send
    uint64_t unsupported = 0;      ///< RPC, spawn, sync: not spoken here
    uint64_t unauthenticated = 0;  ///< anything but AUTH from a peer still authenticating
    uint64_t relay_refused = 0;    ///< relaying off, to an unknown peer, or to another room
  };
  const Refusals& get_refusals() const { return refusals_; }

 private:
  using Clock = std::chrono::steady_clock;
  struct Pending {
    Clock::time_point since;
    bool local = false;   ///< complete_auth() was called here
    bool remote = false;  ///< the remote side said it completed
  };

  void update_status();
  void process(int from, std::span<const uint8_t> packet);
  void process_sys(int from, const session::ParsedPacket& packet);
  void process_payload(int from, std::span<const uint8_t> packet);
  void relay(int from, int target, std::span<const uint8_t> inner);
  void process_bus();
  void deliver_from_bus(const RoomBus::Event& event);
  void add_peer(int id);
  void admit_peer(int id);
  void del_peer(int id, bool notify_application);
  void expire_authentication();
  Error send_to(int id, std::span<const uint8_t> packet);
  Error send_to_many(const std::vector<int>& ids, std::span<const uint8_t> packet);
  bool relays() const;
  /// The admitted peers of `id`'s room, itself excluded.
  std::vector<int> room_mates(int id) const;
  void clear();
  void emit(Event::Type type, int peer, std::span<const uint8_t> data = {});

  std::shared_ptr<MultiplayerPeer> peer_;
  RoomBus* bus_ = nullptr;
  MultiplayerPeer::ConnectionStatus last_status_ = MultiplayerPeer::CONNECTION_DISCONNECTED;
  std::map<int, Pending> pending_;
  std::set<int> connected_;
  std::map<int, std::string> room_of_;  ///< a server's admitted peers
  std::map<std::string, std::set<int>> rooms_;
  std::deque<Event> events_;
  AuthCallback auth_callback_;
  std::chrono::milliseconds auth_timeout_{3000};
  bool server_relay_ = true;
  Refusals refusals_;
  std::vector<uint8_t> scratch_;  ///< packets being built, reused
};

}  // namespace wsp
