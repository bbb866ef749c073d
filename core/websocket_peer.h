// WebSocketPeer: a WebSocket connection (Godot's WebSocketPeer, RFC 6455).
//
// This class represents a WebSocket connection, and can be used as a WebSocket client
// (RFC 6455-compliant) or as a remote peer of a WebSocket server. Send binary frames with
// put_packet() or send(), text frames with send_text(). To start a client, call connect_to_url(),
// then call poll() regularly and watch get_ready_state(); get the number of pending packets with
// get_available_packet_count() and retrieve them with get_packet(). For a server, hand each
// accepted stream to accept_stream().
//
// One peer is used from one thread at a time; different peers may live on different threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wspeer/core/deflate_options.h"
#include "wspeer/core/error.h"
#include "wspeer/core/http.h"
#include "wspeer/core/inbound_queue.h"
#include "wspeer/core/packet_peer.h"
#include "wspeer/core/prepared_message.h"
#include "wspeer/core/stream_peer.h"
#include "wspeer/core/tls_options.h"
#include "wspeer/core/url.h"

namespace wsp {

class WebSocketPeer : public PacketPeer {
 public:
  enum State {
    STATE_CONNECTING = 0,  ///< Socket has been created. The connection is not yet open.
    STATE_OPEN = 1,        ///< The connection is open and ready to communicate.
    STATE_CLOSING = 2,     ///< The connection is in the process of closing.
    STATE_CLOSED = 3,      ///< The connection is closed or couldn't be opened.
  };

  enum WriteMode {
    WRITE_MODE_TEXT = 0,    ///< Messages are transferred as text payload (only valid UTF-8).
    WRITE_MODE_BINARY = 1,  ///< Messages are transferred as binary payload (any bytes).
  };

  static constexpr int DEFAULT_BUFFER_SIZE = 65535;
  static constexpr int DEFAULT_MAX_QUEUED_PACKETS = 4096;

  /// Creates the peer of this build's backend: native sockets, or the browser's WebSocket in a
  /// WebAssembly build. A new peer is in STATE_CLOSED with close code -1.
  static std::unique_ptr<WebSocketPeer> create();

  ~WebSocketPeer() override = default;

  /// Connects to the given URL. TLS certificates are verified against the hostname when
  /// connecting using the wss:// protocol. Pass `tls_client_options` to customize the trusted
  /// certification authorities, or to disable the common name verification (see
  /// TLSOptions::client() and TLSOptions::client_unsafe()).
  /// Non-blocking: returns OK before the connection is established as long as the parameters are
  /// valid and the peer is not in an invalid state (e.g. already connected). Call poll()
  /// regularly and check get_ready_state() to know whether the connection succeeds or fails.
  virtual Error connect_to_url(const std::string& url,
                               std::shared_ptr<const TLSOptions> tls_client_options = nullptr) = 0;

  /// Accepts a peer connection performing the HTTP handshake as a WebSocket server. `stream` must
  /// be a valid TCP stream retrieved via TCPServer::take_connection(), or a TLS stream accepted
  /// via StreamPeerTLS::accept_stream(). `pre_read` holds request bytes the application already
  /// read from the stream (to serve plain HTTP and WebSocket on one port).
  /// Not supported in Web builds (ERR_UNAVAILABLE).
  virtual Error accept_stream(std::shared_ptr<StreamPeer> stream,
                              std::string_view pre_read = {}) = 0;

  /// Sends the given message using the desired write mode. Text must be valid UTF-8
  /// (ERR_INVALID_DATA otherwise). FAILED unless STATE_OPEN; ERR_OUT_OF_MEMORY when the outbound
  /// limits (outbound_buffer_size, max_queued_packets) would be exceeded.
  Error send(std::span<const uint8_t> message, WriteMode write_mode = WRITE_MODE_BINARY);
  /// Sends the given message using WebSocket text mode. Prefer this over put_packet() when talking
  /// to text-based APIs (e.g. JSON messages).
  Error send_text(std::string_view message);
  /// Beyond Godot: sends a message framed once for many peers (a broadcast), with send()'s
  /// checks and errors. A server writes the same bytes to every peer and a peer that cannot take
  /// them at once keeps a reference, not a copy; a client (which masks) or a peer compressing the
  /// message frames it itself.
  Error send_prepared(const PreparedMessage& message);

  /// Updates the connection state and receives incoming packets. Call this regularly.
  virtual void poll() = 0;

  /// Closes this WebSocket connection. `code` is the status code for the closure (RFC 6455 §7.4:
  /// 1000-1003, 1007-1014, 3000-4999; in Web builds 1000 and 3000-4999); `reason` is a human
  /// readable reason of at most 123 UTF-8 bytes. Invalid arguments return ERR_INVALID_PARAMETER
  /// and change nothing. If `code` is negative, the connection is closed immediately without
  /// notifying the remote peer (in Web builds the peer is CLOSED at once too, but the browser
  /// cannot drop a socket: it still sends a close frame without a status, so the remote sees
  /// 1005, not a dropped connection). Data queued before close() is sent before the close frame.
  /// To achieve a clean close, keep polling until STATE_CLOSED is reached.
  Error close(int code = 1000, std::string_view reason = "");

  /// Returns the ready state of the connection.
  State get_ready_state() const { return state_; }
  /// Returns the received close status code, or -1 when the connection was not cleanly closed
  /// (1005 when the close frame carried no code; after a protocol error we detected, the code we
  /// sent). Meaningful in STATE_CLOSED.
  int get_close_code() const { return close_code_; }
  /// Returns the received close reason (or ours, after a protocol error we detected).
  const std::string& get_close_reason() const { return texts().close_reason; }
  /// Returns the IP address of the connected peer. Not available in Web builds ("").
  virtual std::string get_connected_host() const = 0;
  /// Returns the remote port of the connected peer. Not available in Web builds (0).
  virtual int get_connected_port() const = 0;
  /// Returns the current amount of data in the outbound websocket buffer (payload bytes not yet
  /// written, in every state). Web builds use WebSocket.bufferedAmount.
  virtual int64_t get_current_outbound_buffered_amount() const = 0;
  /// Returns the URL requested by this peer: the URL passed to connect_to_url(), or, on a server,
  /// ws(s):// + the Host header + the request path.
  const std::string& get_requested_url() const;
  /// Returns the selected WebSocket sub-protocol, or "" if none has been selected (yet).
  const std::string& get_selected_protocol() const { return texts().selected_protocol; }
  /// Disables Nagle's algorithm on the underlying TCP socket (the default). No effect in Web
  /// builds.
  virtual void set_no_delay(bool enabled) = 0;
  /// Returns true if the last packet retrieved with get_packet() was sent as a text payload.
  bool was_string_packet() const { return last_packet_was_text_; }

  // ---- PacketPeer ----
  using PacketPeer::get_packet;
  using PacketPeer::put_packet;
  /// Complete messages waiting to be read, in every state (nothing received is lost on close).
  int get_available_packet_count() const override;
  Error get_packet(const uint8_t** buffer, int* size) override;
  /// Sends a binary message (an empty buffer sends an empty message).
  Error put_packet(const uint8_t* buffer, int size) override;
  int get_max_packet_size() const override { return inbound_buffer_size_; }

  // ---- Properties (seed defaults) ----
  // The extra HTTP headers to be sent during the WebSocket handshake, as "Name: value" lines.
  // Not supported in Web builds (ignored there).
  const std::vector<std::string>& get_handshake_headers() const { return lists().headers; }
  Error set_handshake_headers(std::vector<std::string> headers);
  /// The interval (in seconds) at which the peer automatically sends "ping" control frames; 0
  /// disables them. The connection closes (-1) when a ping is unanswered and nothing at all
  /// (data, control frames, part of a TLS record) has arrived from the peer for a whole interval:
  /// a pong queued behind a large message does not make a busy peer look dead (Godot closes once
  /// a ping is unanswered by the next one). While reading is paused (the application is not
  /// taking messages) the peer is not declared dead: its pong may be waiting unread.
  /// Pings are timed in whole milliseconds (at least 1). Set on an open peer, it takes effect at
  /// its next poll() (0 stops the pings). No effect in Web builds.
  double get_heartbeat_interval() const { return heartbeat_interval_ms_ / 1000.0; }
  Error set_heartbeat_interval(double seconds);
  /// The size of the input buffer in bytes: the largest message accepted (across fragments).
  /// Captured at connect/accept time. Default 65535.
  int get_inbound_buffer_size() const { return inbound_buffer_size_; }
  Error set_inbound_buffer_size(int size);
  /// The maximum amount of packets allowed in the queues (both inbound and outbound).
  /// Default 4096.
  int get_max_queued_packets() const { return max_queued_packets_; }
  Error set_max_queued_packets(int count);
  /// The size of the output buffer in bytes: the most payload that may wait to be sent; 0 means
  /// no limit. Default 65535.
  int get_outbound_buffer_size() const { return outbound_buffer_size_; }
  Error set_outbound_buffer_size(int size);
  /// The WebSocket sub-protocols allowed during the handshake (offered by a client, accepted by a
  /// server).
  const std::vector<std::string>& get_supported_protocols() const { return lists().protocols; }
  Error set_supported_protocols(std::vector<std::string> protocols);

  // ---- Additions ----
  // Human-readable reason of the latest failure (DNS, TCP, TLS verification, HTTP status,
  // protocol violation, refused argument); "" when nothing failed.
  const std::string& get_last_error() const { return texts().last_error; }
  /// HTTP status of the opening handshake: received by a client (101 on success, e.g. 403 when
  /// refused), sent by a server. 0 before any.
  int get_handshake_status() const { return handshake_status_; }
  /// Headers of the server's handshake response as received by a client (also after a refusal).
  const HttpHeaders& get_handshake_response_headers() const;
  /// On a server peer: the request path (with query) and headers the client sent.
  const std::string& get_request_path() const;
  const HttpHeaders& get_request_headers() const;
  /// On a server peer: the sub-protocols the client offered, in its order.
  std::vector<std::string> get_requested_protocols() const;
  /// On a server peer (set before accept_stream()): whether the request's head is kept for the
  /// peer's life (the default). When false it is given back at the first poll() after the one
  /// that reported STATE_OPEN: get_request_path(), get_request_headers() and
  /// get_requested_protocols() then answer empty, and get_requested_url() too unless it was asked
  /// for before. This saves every open connection its head: about 190 bytes from a minimal
  /// client, 400 to 600 from a browser (docs/limits-and-memory.md).
  bool get_keep_request_headers() const { return keep_request_headers_; }
  void set_keep_request_headers(bool keep) { keep_request_headers_ = keep; }

  // ---- Server: the application decides before the response ----
  // Off by default: every valid request is accepted at once. When on (set before
  // accept_stream()), a request that passes the protocol checks waits for the application: the
  // peer stays in STATE_CONNECTING and is_request_pending() becomes true. Read the request with
  // get_request_path(), get_request_headers() (Origin, Cookie, Authorization, ...),
  // get_requested_protocols() and get_connected_host(), then call accept_request() or
  // reject_request(), right after poll() or at a later poll() round (an asynchronous check);
  // handshake_timeout still bounds the whole handshake. Not supported in Web builds.
  bool get_manual_accept() const { return manual_accept_; }
  void set_manual_accept(bool enabled) { manual_accept_ = enabled; }
  /// True while a request waits for accept_request() or reject_request().
  bool is_request_pending() const { return request_pending_; }
  /// Accepts the pending request with 101 Switching Protocols. `protocol` must be one the client
  /// offered ("" selects from supported_protocols as usual); `extra_headers` are "Name: value"
  /// lines added to the response (e.g. "Set-Cookie: ..."), after handshake_headers. FAILED when no
  /// request is pending; ERR_INVALID_PARAMETER for a protocol not offered or an invalid header.
  Error accept_request(std::string_view protocol = "", std::vector<std::string> extra_headers = {});
  /// Refuses the pending request with an HTTP `status` from 300 to 599 (401, 403, 503, a
  /// redirect...), `extra_headers` ("Retry-After: 5", "WWW-Authenticate: ...") and `body` (plain
  /// text unless a Content-Type header is given). After the response the connection closes:
  /// STATE_CLOSED, close code -1, get_handshake_status() is `status`.
  Error reject_request(int status, std::vector<std::string> extra_headers = {},
                       std::string_view body = "");

  /// permessage-deflate (RFC 7692): whether a client offers it and a server accepts it, with its
  /// parameters, read by connect_to_url() and accept_stream(). By default a client offers it and
  /// a server declines (docs/compression.md weighs memory against bandwidth).
  /// ERR_INVALID_PARAMETER for values out of range. Web builds: the browser always offers it
  /// with its own parameters (ignored there).
  Error set_deflate_options(const DeflateOptions& options);
  DeflateOptions get_deflate_options() const;
  /// The extensions agreed in the handshake, as the server's Sec-WebSocket-Extensions header
  /// says them (e.g. "permessage-deflate; client_max_window_bits=10"); "" when none. Web builds:
  /// WebSocket.extensions.
  const std::string& get_selected_extensions() const { return texts().selected_extensions; }

  /// Longest time for DNS + TCP + TLS + HTTP handshake (default 10 s); then CLOSED with -1.
  /// Kept in whole milliseconds (at least 1), like heartbeat_interval.
  double get_handshake_timeout() const { return handshake_timeout_ms_ / 1000.0; }
  Error set_handshake_timeout(double seconds);
  /// Longest wait for the peer's close frame after ours (default 5 s); then TCP is dropped.
  /// Kept in whole milliseconds (at least 1).
  double get_close_timeout() const { return close_timeout_ms_ / 1000.0; }
  Error set_close_timeout(double seconds);

  /// The proxy connect_to_url() goes through: "http://[user:password@]host:port" (an HTTP proxy
  /// asked for a tunnel with CONNECT, for ws:// and wss:// alike), "socks5://..." (SOCKS5, the
  /// server's name resolved here) or "socks5h://..." (the proxy resolves it); the port defaults
  /// to 1080. "" (the default) means none set: the environment decides, see
  /// set_use_environment_proxy(). Read by connect_to_url(); TLS to the server runs inside the
  /// tunnel and is verified exactly as without a proxy; handshake_timeout covers the proxy's part.
  /// ERR_INVALID_PARAMETER for a URL that cannot be used (the reason in get_last_error()).
  /// Web builds: the browser uses its own proxy settings; this is ignored there (get_last_error()
  /// says so after connect_to_url()).
  Error set_proxy(const std::string& url);
  const std::string& get_proxy() const { return lists().proxy; }
  /// Whether a client with no proxy set reads the environment the way curl does (default true):
  /// wss_proxy / ws_proxy, then https_proxy / http_proxy, then all_proxy (each also in capitals,
  /// except HTTP_PROXY), with exceptions in no_proxy (docs/client.md). False connects directly.
  bool get_use_environment_proxy() const { return use_environment_proxy_; }
  void set_use_environment_proxy(bool enabled) { use_environment_proxy_ = enabled; }

  /// The time, in seconds, the peer took to answer the last ping the heartbeat sent (see
  /// heartbeat_interval): updated at each pong, measured when poll() reads it, so it includes the
  /// time the pong waited for that poll() (none with a readiness loop such as PeerPoller). -1
  /// before a ping was answered in this connection, and always in Web builds: browsers give pages
  /// no ping or pong, so measure there with a message the server echoes (docs/client.md).
  double get_round_trip_time() const;

 protected:
  WebSocketPeer() = default;

  // ---- backend hooks ----
  /// heartbeat_interval is about to change (a ping awaited can no longer be timed from it).
  virtual void heartbeat_interval_changed() {}
  // Queue one validated message (state is OPEN, limits checked).
  virtual Error send_message(const uint8_t* data, size_t size, bool is_text) = 0;
  // Queue one validated prepared message; by default framed again like any other.
  virtual Error send_prepared_message(const PreparedMessage& message);
  /// Start a clean close from OPEN with a validated code and reason.
  virtual void begin_close(int code, std::string_view reason) = 0;
  /// Drop everything now (close(-1), close() while connecting); state becomes CLOSED.
  virtual void abort_connection() = 0;
  /// Messages (data and control frames) still waiting to be sent, for max_queued_packets.
  virtual size_t queued_outbound_messages() const = 0;
  /// Sends the application's answer to a pending request (101, or a refusal that then closes).
  virtual void answer_request(std::string response, int status) = 0;
  /// Codes close() accepts; the web backend narrows them to what browsers allow.
  virtual bool close_code_allowed(int code) const;
  // send()'s checks of the state and the outbound limits.
  Error check_send(size_t size);

  // ---- shared helpers for backends ----
  // The checks connect_to_url() makes before anything changes (Godot's order): an empty URL or
  // server TLS options give ERR_INVALID_PARAMETER, a connecting or open peer ERR_ALREADY_IN_USE,
  // then the URL is parsed into `*parsed`.
  Error check_connect_arguments(const std::string& url, const TLSOptions* tls, WsUrl* parsed);
  Error fail_call(Error error, std::string message);  ///< records last_error, returns `error`
  void set_last_error(std::string message);
  /// Clears the previous session (close code, messages, handshake data) and captures the inbound
  /// limits; called by connect_to_url() and accept_stream().
  void begin_session();
  void set_closed(int code, std::string reason);
  /// A new round-trip time, from the backend's heartbeat.
  void set_round_trip(std::chrono::steady_clock::duration elapsed);
  static constexpr uint32_t kRoundTripUnknown = UINT32_MAX;
  /// "0.5 s", "10 s": durations in get_last_error() texts.
  static std::string describe_seconds(double seconds);
  /// The get_last_error() texts of the two timeouts, the same on every backend.
  std::string handshake_timeout_text() const;
  std::string close_timeout_text() const;

  /// Texts a healthy open connection usually lacks, allocated when one is first set: an idle
  /// connection carries one pointer instead of four empty strings.
  struct Texts {
    std::string close_reason;
    std::string selected_protocol;
    std::string selected_extensions;
    std::string last_error;
    std::string requested_url;  ///< a client's; a server's is made on demand from the request
  };
  const Texts& texts() const;
  /// Sets one of the texts; an empty value allocates nothing.
  void set_text(std::string Texts::*field, std::string value);
  /// Settings that outlive a connection: the handshake's extra headers and sub-protocols and a
  /// client's proxy, allocated when one is set.
  struct Lists {
    std::vector<std::string> headers;
    std::vector<std::string> protocols;
    std::string proxy;  ///< see set_proxy()
  };
  const Lists& lists() const;

  /// The raw HTTP head received in the handshake (the response on a client, the request on a
  /// server). Kept as one string and parsed only if the application asks for the headers.
  /// A server peer also keeps the request's path (with query) in the same block.
  void set_received_head(std::string_view head, bool is_request, std::string request_path = {});
  /// Gives back an open server peer's request head when the application asked not to keep it
  /// (asked at every poll: the check is inline, the work done once).
  void drop_request_head_unless_kept() {
    if (!keep_request_headers_ && received_head_is_request_ && received_) drop_request_head();
  }
  void drop_request_head();
  /// The scheme of an accepted request's URL, from which get_requested_url() is made.
  enum class RequestScheme : uint8_t { kNone, kWs, kWss };  ///< kNone on a client

  // Members ordered so that the small ones share words: every connection carries them.
  State state_ : 8 = STATE_CLOSED;
  int16_t close_code_ = -1;       ///< -1 or a close code (at most 4999)
  int16_t handshake_status_ = 0;  ///< three digits at most: the HTTP status line's
  bool manual_accept_ : 1 = false;
  bool request_pending_ : 1 = false;  ///< a server request waits for accept_request/reject_request
  bool last_packet_was_text_ : 1 = false;
  bool received_head_is_request_ : 1 = false;
  RequestScheme request_scheme_ : 2 = RequestScheme::kNone;
  bool keep_request_headers_ : 1 = true;
  bool use_environment_proxy_ : 1 = true;
  bool packet_taken_ : 1 = false;  ///< get_packet() succeeded since the backend last looked
  int inbound_buffer_size_ = DEFAULT_BUFFER_SIZE;
  int outbound_buffer_size_ = DEFAULT_BUFFER_SIZE;
  int max_queued_packets_ = DEFAULT_MAX_QUEUED_PACKETS;
  uint32_t heartbeat_interval_ms_ = 0;  ///< whole milliseconds, as Godot keeps it
  uint32_t handshake_timeout_ms_ = 10'000;
  uint32_t close_timeout_ms_ = 5'000;
  uint32_t round_trip_us_ = kRoundTripUnknown;  ///< see get_round_trip_time()
  InboundQueue inbound_;
  std::unique_ptr<Texts> texts_;
  std::unique_ptr<Lists> lists_;
  std::unique_ptr<DeflateOptions> deflate_options_;  ///< null: the defaults (costs no memory)
  /// The received head with what is made from it on demand, in one block that a server peer
  /// may give back once open (set_keep_request_headers(false)).
  struct ReceivedHead {
    std::string text;
    std::string request_path;  ///< a server's: the request target, with its query
    mutable std::unique_ptr<HttpHeaders> parsed;
    /// A server peer's requested URL, made from the request when first asked for (rarely
    /// needed; it would otherwise cost every connection a copy of its Host header and path).
    mutable std::unique_ptr<std::string> url_from_request;
  };
  std::unique_ptr<ReceivedHead> received_;
};

/// Human-readable state name ("STATE_OPEN"), for messages and logs.
const char* state_name(WebSocketPeer::State state);

}  // namespace wsp
