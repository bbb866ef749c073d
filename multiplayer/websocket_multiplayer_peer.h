// WebSocketMultiplayerPeer: Godot 4's base class for WebSocket server and client, allowing them to
// be used as multiplayer peer for the multiplayer session (MultiplayerSession). Wire-compatible
// with Godot 4: the server sends each new client its id as its first binary message (4 bytes,
// little-endian), then every message is one packet; a client's packets all go to the server.
//
// The client works in native and Web builds; the server is native only (create_server() returns
// ERR_UNAVAILABLE in a browser). Beyond Godot, a server puts each client in a room, decided with
// its request before the 101 (set_join_policy()).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wspeer/core/tls_options.h"
#include "wspeer/core/websocket_peer.h"
#include "wspeer/multiplayer/multiplayer_peer.h"
#include "wspeer/multiplayer/resume.h"

namespace wsp {

class PeerPoller;

class WebSocketMultiplayerPeer : public MultiplayerPeer {
 public:
  WebSocketMultiplayerPeer();
  ~WebSocketMultiplayerPeer() override;
  WebSocketMultiplayerPeer(const WebSocketMultiplayerPeer&) = delete;
  WebSocketMultiplayerPeer& operator=(const WebSocketMultiplayerPeer&) = delete;

  /// Starts a new multiplayer client connecting to the given `url`. TLS certificates will be
  /// verified against the hostname when connecting using the wss:// protocol. You can pass the
  /// optional `tls_client_options` parameter to customize the trusted certification
  /// authorities, or disable the common name verification. See TLSOptions::client() and
  /// TLSOptions::client_unsafe().
  Error create_client(const std::string& url,
                      std::shared_ptr<const TLSOptions> tls_client_options = nullptr);
  /// Starts a new multiplayer server listening on the given `port`. You can optionally specify
  /// a `bind_address`, and provide valid `tls_server_options` to use TLS. See
  /// TLSOptions::server(). Not available in Web builds (ERR_UNAVAILABLE).
  Error create_server(int port, const std::string& bind_address = "*",
                      std::shared_ptr<const TLSOptions> tls_server_options = nullptr);

  /// Beyond Godot: starts a server that listens on no port of its own: the application hands it
  /// each connection with accept_stream(), e.g. to serve web pages and WebSocket on one port.
  /// Not available in Web builds (ERR_UNAVAILABLE).
  Error create_server_for_streams();
  /// Beyond Godot: takes a connection for a server made by create_server_for_streams() (or one
  /// with a port of its own): a TCP stream from TCPServer::take_connection(), or a TLS stream
  /// accepted with StreamPeerTLS::accept_stream(); `pre_read` holds the request bytes the
  /// application already read from it. It then goes through the join policy like any other.
  Error accept_stream(std::shared_ptr<StreamPeer> stream, std::string_view pre_read = {});

  /// Beyond Godot: a server behind load balancers that send the PROXY protocol (HAProxy's
  /// send-proxy-v2) takes the client's address from it, from these addresses only, and refuses
  /// any other connection (TCPServer::set_proxy_protocol()). Set it before create_server(); an
  /// empty list (the default) expects no header.
  Error set_proxy_protocol(std::vector<std::string> trusted_proxies);

  /// Beyond Godot: the port a server listens on (the one picked for port 0); 0 for a client.
  int get_local_port() const;
  /// Returns the WebSocketPeer associated to the given `peer_id` (nullptr if there is none).
  WebSocketPeer* get_peer(int peer_id) const;
  /// Returns the IP address of the given peer.
  std::string get_peer_address(int id) const;
  /// Returns the remote port of the given peer.
  int get_peer_port(int id) const;

  // ---- Properties (Godot's defaults) ----
  /// The extra headers to use during handshake. See WebSocketPeer::get_handshake_headers().
  const std::vector<std::string>& get_handshake_headers() const { return handshake_headers_; }
  Error set_handshake_headers(std::vector<std::string> headers);
  /// The maximum time each peer can stay in a connecting state before being dropped. Default 3.
  double get_handshake_timeout() const { return handshake_timeout_; }
  Error set_handshake_timeout(double seconds);
  /// The inbound buffer size for connected peers. See WebSocketPeer::get_inbound_buffer_size().
  int get_inbound_buffer_size() const { return inbound_buffer_size_; }
  Error set_inbound_buffer_size(int size);
  /// The outbound buffer size for connected peers. See WebSocketPeer::get_outbound_buffer_size().
  int get_outbound_buffer_size() const { return outbound_buffer_size_; }
  Error set_outbound_buffer_size(int size);
  /// The maximum number of queued packets for connected peers. See
  /// WebSocketPeer::get_max_queued_packets().
  int get_max_queued_packets() const { return max_queued_packets_; }
  Error set_max_queued_packets(int count);
  /// The supported WebSocket sub-protocols. See WebSocketPeer::get_supported_protocols().
  const std::vector<std::string>& get_supported_protocols() const { return supported_protocols_; }
  Error set_supported_protocols(std::vector<std::string> protocols);
  /// Beyond Godot (which does not pass it on): the heartbeat_interval of every peer, so that a
  /// dead connection is noticed. Default 0 (off).
  double get_heartbeat_interval() const { return heartbeat_interval_; }
  Error set_heartbeat_interval(double seconds);

  /// Beyond Godot: coming back after a dropped connection (docs/multiplayer.md). On a server,
  /// how long a client whose connection dropped keeps its place: its id, its room, and the
  /// packets sent to it meanwhile (held within outbound_buffer_size and max_queued_packets, then
  /// as set_slow_peer_policy() says); the others see neither a leave nor a join. On a client, how
  /// long it tries to come back, with packets put meanwhile held the same way. Both sides must
  /// set it; a drop is a connection lost without a close frame, never a close either side asked
  /// for. Packets in flight when the connection dropped are lost. Default 0: Godot's behaviour.
  double get_reconnect_grace() const { return reconnect_grace_; }
  Error set_reconnect_grace(double seconds);
  /// A client whose connection dropped and that is trying to come back (still
  /// CONNECTION_CONNECTED meanwhile).
  bool is_reconnecting() const { return returning_; }

  /// Beyond Godot: called with every WebSocketPeer the multiplayer peer makes (a server's for
  /// each client, a client's for its server), after the properties above and before it
  /// connects: for what those do not cover (WebSocketPeer::set_deflate_options(),
  /// set_keep_request_headers(), set_close_timeout(), ...).
  using PeerSetup = std::function<void(WebSocketPeer& peer)>;
  void set_peer_setup(PeerSetup setup) { peer_setup_ = std::move(setup); }

  /// Beyond Godot, a client's: how its last connection to the server ended, kept after it is
  /// gone (until the next create_client()): WebSocketPeer::get_close_code() (-1: not cleanly),
  /// get_close_reason() and get_last_error() (why it could not connect, or why it dropped).
  int get_close_code() const { return close_code_; }
  const std::string& get_close_reason() const { return close_reason_; }
  const std::string& get_last_error() const { return last_error_; }

  // ---- PacketPeer ----
  int get_available_packet_count() const override;
  /// The view stays valid until the next get_packet() or poll().
  Error get_packet(const uint8_t** buffer, int* size) override;
  /// Sends to the target peer (see set_target_peer()); a client's packets all go to the server.
  Error put_packet(const uint8_t* buffer, int size) override;
  int get_max_packet_size() const override { return outbound_buffer_size_; }

  // ---- MultiplayerPeer ----
  int get_packet_peer() const override;
  void disconnect_peer(int peer, bool force = false) override;
  bool is_server() const override;
  void poll() override;
  void close() override;
  int get_unique_id() const override { return unique_id_; }
  ConnectionStatus get_connection_status() const override { return status_; }
  bool is_server_relay_supported() const override { return true; }
  std::string get_peer_room(int id) const override;
  Error put_packet_to_peers(std::span<const int> peers, const uint8_t* buffer, int size) override;

  // ---- Rooms and admission (a server's, beyond Godot) ----
  /// A server's answer to a client's request, made before anything is sent back.
  struct JoinDecision {
    bool accept = true;
    std::string room;                  ///< the room the client joins
    int status = 403;                  ///< when refused: the HTTP status (300-599)...
    std::string reason;                ///< ...and a one-line body
    std::vector<std::string> headers;  ///< extra response headers either way ("Set-Cookie: ...")
  };
  /// Decides on every client's request (its path, headers such as Origin, address: see
  /// WebSocketPeer::get_request_path() and get_request_headers()). Without one, every client is
  /// accepted into the room its path names (default_join_decision()).
  using JoinPolicy = std::function<JoinDecision(const WebSocketPeer& request)>;
  void set_join_policy(JoinPolicy policy) { join_policy_ = std::move(policy); }
  /// The room named by a request path: "/rooms/NAME" (NAME: 1 to 64 letters, digits, '.', '_'
  /// or '-'), also with a query after it; "" (the default room) for any other path.
  static JoinDecision default_join_decision(const WebSocketPeer& request);
  static std::optional<std::string> room_from_path(std::string_view path);

  /// What a server does with a peer that reads too slowly: a packet for it does not fit in its
  /// outbound_buffer_size (or max_queued_packets) any more. It never stalls the others, and
  /// never makes the server hold more than those limits for it.
  enum SlowPeerPolicy {
    /// Close its connection (1008, "Too slow: ..."): every packet is reliable and ordered, so a
    /// gap it would not notice is worse than a drop it can come back from. The default.
    SLOW_PEER_DISCONNECT,
    /// Drop the packet for it (counted in get_dropped_packets()), as Godot does silently.
    SLOW_PEER_DROP,
  };
  void set_slow_peer_policy(SlowPeerPolicy policy) { slow_peer_policy_ = policy; }
  SlowPeerPolicy get_slow_peer_policy() const { return slow_peer_policy_; }
  /// Packets not sent to a slow peer (SLOW_PEER_DROP), and slow peers disconnected.
  uint64_t get_dropped_packets() const { return dropped_packets_; }
  uint64_t get_slow_peers_disconnected() const { return slow_peers_disconnected_; }

  /// Natively, a server's PeerPoller, for its limits (PeerPoller::set_limits(): connections in
  /// all and per address, the waiting room, a budget for what all peers hold); nullptr for a
  /// client or before create_server().
  PeerPoller* get_server_poller() const;

  /// A server loop can wait here instead of spinning: until something needs poll(), or
  /// `timeout_ms` passes (-1: no limit). Natively only; a client returns at once.
  void wait(int timeout_ms);

 private:
  struct Server;     ///< the native server's state (websocket_multiplayer_server_native.cc)
  struct Member;     ///< a server's connected client
  struct Admission;  ///< what a server knows of a request before its connection opens
  struct Received {
    int source;
  };

  std::unique_ptr<WebSocketPeer> make_peer() const;
  /// The application's sub-protocols and the resume one after them (and a return offer).
  std::vector<std::string> protocols_with_resume(const std::string& return_token = {}) const;
  void poll_client();
  void begin_return();
  void poll_return();
  void end_client();             // the connection to the server is over for good
  void remember_how_it_ended();  // the client's close code, reason and error, before clear()
  void clear_client();
  void clear();
  // The server's half, in the native (or the unavailable web) server file.
  Error start_server(int port, const std::string& bind_address,
                     std::shared_ptr<const TLSOptions> tls);  // port -1: no listener
  Error server_accept_stream(std::shared_ptr<StreamPeer> stream, std::string_view pre_read);
  void poll_server();
  WebSocketPeer* server_peer(int id) const;
  Error server_put(int target, const uint8_t* buffer, int size);
  Error server_put_to_peers(std::span<const int> peers, const uint8_t* buffer, int size);
  Error server_send(Member& member, int id, std::span<const uint8_t> packet,
                    const PreparedMessage* prepared);
  void decide_request(WebSocketPeer& peer);
  void welcome(std::unique_ptr<WebSocketPeer>& pending, const Admission& admission);
  void welcome_back(std::unique_ptr<WebSocketPeer>& pending, const std::string& token);
  void expire_places();
  /// It is gone for good (told to the application unless `tell` is false).
  void leave(int id, bool tell);
  void server_disconnect(int id, bool force);
  int server_next_packet_source() const;
  Error server_get_packet(const uint8_t** buffer, int* size);
  int server_packet_count() const;
  std::string server_peer_room(int id) const;
  void server_wait(int timeout_ms);
  int server_local_port() const;
  PeerPoller* server_poller() const;

  ConnectionStatus status_ = CONNECTION_DISCONNECTED;
  int unique_id_ = 0;
  std::unique_ptr<Server> server_;
  // A client's connection to its server (peer 1).
  std::unique_ptr<WebSocketPeer> client_;
  /// handshake_timeout counts until the id arrives, not only until the 101.
  std::chrono::steady_clock::time_point client_deadline_{};
  // Coming back (a client): where to, with what, until when; what is put meanwhile.
  std::string client_url_;
  std::shared_ptr<const TLSOptions> client_tls_;
  std::string resume_token_;
  bool returning_ = false;
  int return_attempts_ = 0;
  std::chrono::steady_clock::time_point return_deadline_{};
  std::chrono::steady_clock::time_point next_attempt_{};
  std::unique_ptr<resume::HeldPackets> outbox_;

  std::vector<std::string> handshake_headers_;
  std::vector<std::string> supported_protocols_;
  std::vector<std::string> trusted_proxies_;
  double handshake_timeout_ = 3.0;
  double heartbeat_interval_ = 0;
  double reconnect_grace_ = 0;
  int inbound_buffer_size_ = 65535;
  int outbound_buffer_size_ = 65535;
  int max_queued_packets_ = 4096;
  JoinPolicy join_policy_;
  PeerSetup peer_setup_;
  int close_code_ = -1;
  std::string close_reason_;
  std::string last_error_;
  SlowPeerPolicy slow_peer_policy_ = SLOW_PEER_DISCONNECT;
  uint64_t dropped_packets_ = 0;
  uint64_t slow_peers_disconnected_ = 0;
};

}  // namespace wsp
