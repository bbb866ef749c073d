// MultiplayerPeer: Godot 4's abstract class for the transport under the multiplayer session
// (WebSocketMultiplayerPeer is the one wspeer provides). It manages the connection with one or
// more remote peers acting as server or client and assigns unique ids to each of them.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "wspeer/core/error.h"
#include "wspeer/core/packet_peer.h"

namespace wsp {

class MultiplayerPeer : public PacketPeer {
 public:
  enum ConnectionStatus {
    CONNECTION_DISCONNECTED = 0,  ///< The MultiplayerPeer is disconnected.
    CONNECTION_CONNECTING = 1,    ///< The MultiplayerPeer is currently connecting to a server.
    CONNECTION_CONNECTED = 2,     ///< This MultiplayerPeer is connected.
  };
  enum TransferMode {
    /// Packets are not acknowledged, no resend attempts are made for lost packets.
    TRANSFER_MODE_UNRELIABLE = 0,
    /// Packets are not acknowledged, but out-of-order packets are dropped.
    TRANSFER_MODE_UNRELIABLE_ORDERED = 1,
    /// Packets must be received and resend attempts are made until they are acknowledged, in
    /// order. WebSocket (TCP) delivers every packet this way, whatever mode is asked.
    TRANSFER_MODE_RELIABLE = 2,
  };
  /// Packets are sent to all connected peers.
  static constexpr int TARGET_PEER_BROADCAST = 0;
  /// Packets are sent to the remote peer acting as server.
  static constexpr int TARGET_PEER_SERVER = 1;

  /// What happened to the set of connected peers since the last take_event() (Godot's
  /// peer_connected and peer_disconnected signals, as a queue: see docs/multiplayer.md).
  struct PeerEvent {
    enum Type { PEER_CONNECTED, PEER_DISCONNECTED };
    Type type;
    int peer;
  };

  /// The channel to use to send packets. Many network APIs such as ENet and WebRTC allow the
  /// creation of multiple independent channels which behaves, in a way, like separate
  /// connections. WebSocket has one: the value is kept and reported, and changes nothing.
  void set_transfer_channel(int channel) { transfer_channel_ = channel; }
  int get_transfer_channel() const { return transfer_channel_; }
  /// The manner in which to send packets to the target peer. See the
  /// set_target_peer() method. Over WebSocket every packet is reliable and ordered.
  void set_transfer_mode(TransferMode mode) { transfer_mode_ = mode; }
  TransferMode get_transfer_mode() const { return transfer_mode_; }
  /// If true, this MultiplayerPeer refuses new connections.
  void set_refuse_new_connections(bool enable) { refuse_new_connections_ = enable; }
  bool is_refusing_new_connections() const { return refuse_new_connections_; }

  /// Sets the peer to which packets will be sent. The id can be one of: TARGET_PEER_BROADCAST to
  /// send to all connected peers, TARGET_PEER_SERVER to send to the peer acting as server, a
  /// valid peer id to send to that specific peer, a negative peer id to send to all peers
  /// except that one. By default, the target peer is TARGET_PEER_BROADCAST.
  void set_target_peer(int id) { target_peer_ = id; }
  int get_target_peer() const { return target_peer_; }
  /// Returns the id of the MultiplayerPeer who sent the next available packet.
  virtual int get_packet_peer() const = 0;
  /// Returns the transfer mode the remote peer used to send the next available packet.
  virtual TransferMode get_packet_mode() const { return TRANSFER_MODE_RELIABLE; }
  /// Returns the channel over which the next available packet was received.
  virtual int get_packet_channel() const { return 0; }
  /// Immediately disconnects the given `peer` from this MultiplayerPeer. If `force` is true the
  /// peer_disconnected event will not be emitted for this peer.
  virtual void disconnect_peer(int peer, bool force = false) = 0;
  /// Returns true if this MultiplayerPeer is a server.
  virtual bool is_server() const = 0;
  /// Processes the network: accepts and opens connections, reads packets, updates states
  /// and queues events. Call it regularly; it never waits (Godot's waits up to a second).
  virtual void poll() = 0;
  /// Immediately close the multiplayer peer returning to the state CONNECTION_DISCONNECTED.
  /// Connected peers will be dropped without emitting peer_disconnected.
  virtual void close() = 0;
  /// Returns the id of this MultiplayerPeer.
  virtual int get_unique_id() const = 0;
  /// Returns the current state of the connection.
  virtual ConnectionStatus get_connection_status() const = 0;
  /// Returns true if the server can act as a relay in the current configuration. That is, if the
  /// higher level MultiplayerAPI should notify connected clients of other peers, and implement a
  /// relay protocol to allow communication between them.
  virtual bool is_server_relay_supported() const { return false; }
  /// Returns a randomly generated integer that can be used as a network unique id: 31 bits,
  /// never 0 or 1 (1 is the server; a negative id means "everyone but").
  static int generate_unique_id();

  /// The next peer event, false when there is none.
  bool take_event(PeerEvent* event);

  // ---- Beyond Godot ----
  /// The room a server's peer joined (rooms scope relaying and peer notifications); "" where
  /// there are no rooms.
  virtual std::string get_peer_room(int id) const { return ""; }
  /// Sends one packet to several peers: a transport may frame it once for all of them. The
  /// default sends it to each in turn. The target peer is left as it was.
  virtual Error put_packet_to_peers(std::span<const int> peers, const uint8_t* buffer, int size);
  /// Where a server takes its new peers' ids (default: generate_unique_id()); a cluster hands
  /// out ids no other node uses (MultiplayerSession::set_room_bus() sets it).
  void set_peer_id_source(std::function<int()> source) { id_source_ = std::move(source); }

 protected:
  int new_peer_id() const { return id_source_ ? id_source_() : generate_unique_id(); }
  void emit(PeerEvent::Type type, int peer) { events_.push_back({type, peer}); }
  void clear_events() { events_.clear(); }

 private:
  std::deque<PeerEvent> events_;
  std::function<int()> id_source_;
  int transfer_channel_ = 0;
  TransferMode transfer_mode_ = TRANSFER_MODE_RELIABLE;
  int target_peer_ = TARGET_PEER_BROADCAST;
  bool refuse_new_connections_ = false;
};

}  // namespace wsp
