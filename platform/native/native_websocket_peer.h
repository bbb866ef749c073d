// The native WebSocketPeer: TCP and OpenSSL TLS driven by poll(), around the core engine.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "wspeer/core/byte_buffer.h"
#include "wspeer/core/handshake.h"
#include "wspeer/core/happy_eyeballs.h"
#include "wspeer/core/heartbeat.h"
#include "wspeer/core/http.h"
#include "wspeer/core/protocol.h"
#include "wspeer/core/proxy/proxy_handshake.h"
#include "wspeer/core/proxy/proxy_url.h"
#include "wspeer/core/url.h"
#include "wspeer/core/websocket_peer.h"
#include "wspeer/platform/native/resolver.h"
#include "wspeer/platform/native/stream_peer_tcp.h"

namespace wsp {

/// What a readiness loop should wait for before calling poll() again.
struct PollInterest {
  int fd = -1;                   ///< socket to watch, -1 when there is none (resolving, closed)
  const void* stream = nullptr;  ///< identity of the transport (a new one means a new socket)
  bool want_read = false;
  bool want_write = false;
  bool poll_now = false;  ///< work is possible without waiting (buffered input, EOF to finish)
  /// Reading is paused and the peer wants to hear if the remote ends its side (a loop that
  /// reports only what it is asked for should ask for kPeerClosed; see watch_paused_transport).
  bool want_hangup = false;
  Clock::time_point deadline = Clock::time_point::max();  ///< poll() by then (timeouts, heartbeat)

  /// For native::wait_for() / wait_many(): the readiness to wait for (kReadable, kWritable), and
  /// how long to wait at most (0 when work is waiting, otherwise until the deadline, capped at
  /// `max_ms`).
  short wait_interest() const;
  int timeout_ms(int max_ms) const;
};

class NativeWebSocketPeer : public WebSocketPeer {
 public:
  NativeWebSocketPeer() = default;
  ~NativeWebSocketPeer() override;

  Error connect_to_url(const std::string& url,
                       std::shared_ptr<const TLSOptions> tls_client_options = nullptr) override;
  Error accept_stream(std::shared_ptr<StreamPeer> stream, std::string_view pre_read = {}) override;
  void poll() override;
  std::string get_connected_host() const override;
  int get_connected_port() const override;
  int64_t get_current_outbound_buffered_amount() const override;
  void set_no_delay(bool enabled) override;

  /// For readiness-driven loops (see PeerPoller).
  PollInterest get_poll_interest() const;
  /// For edge-triggered loops: the OS reported that the remote ended its side or the connection
  /// broke (EPOLLRDHUP, EPOLLHUP, EPOLLERR). A short read no longer means the socket is drained,
  /// so the next poll() reads on until it reaches the end of the stream.
  void notify_hangup() { hangup_reported_ = true; }

  // ---- For server-wide limits (see PeerPoller::set_limits) ----
  bool is_server_peer() const { return is_server_; }
  /// Bytes this peer holds: received messages not taken yet (after the connection ended too), the
  /// one being received, input parked by back-pressure and output not yet written.
  size_t buffered_bytes() const;
  /// What the peers of one server (a PeerPoller) share.
  struct ServerShare {
    /// They read no more than `available` bytes together (each read is taken off it). At 0 none
    /// of them reads, except `finisher`, which may complete the message it is receiving (so that
    /// it can be taken and free memory: the budget can never be held forever by messages that
    /// cannot complete).
    size_t available = SIZE_MAX;
    const NativeWebSocketPeer* finisher = nullptr;
    /// Asked once a server peer's request has arrived, before anything is answered: true to go
    /// on (the answer may have been made a refusal with refuse_request()), false to drop the
    /// connection without a word.
    std::function<bool(NativeWebSocketPeer&)> admit_request;
  };
  void set_server_share(ServerShare* share) { share_ = share; }
  /// A server peer still waiting for its client's request (or TLS handshake): it holds no place
  /// among the served yet (PeerPoller's waiting room).
  bool awaiting_request() const;
  /// Whether anything at all (a byte of the request, a TLS hello) came from the client yet.
  bool heard_from_client() const { return handshake_ && handshake_->heard; }
  /// A server peer that has heard nothing from its client by `deadline` gives up (a first-byte
  /// timeout, shorter than the handshake timeout).
  void set_first_byte_deadline(Clock::time_point deadline);
  /// Ends a handshake in progress with `reason` as the last error (a PeerPoller making room).
  void drop_handshake(std::string reason);
  /// Where the PeerPoller watching this peer keeps its entry (kNotPolled: in none), so that it
  /// finds the entry without a table of its own.
  static constexpr uint32_t kNotPolled = UINT32_MAX;
  uint32_t poller_slot() const { return poller_slot_; }
  void set_poller_slot(uint32_t slot) { poller_slot_ = slot; }
  size_t partial_message_bytes() const { return inbound_.partial_size(); }
  /// A server peer that has not answered yet answers its request with this refusal (e.g. 503
  /// with Retry-After) and closes, within `seconds` at most.
  void refuse_request(int status, std::vector<std::string> headers, std::string body,
                      double seconds);

 protected:
  Error send_message(const uint8_t* data, size_t size, bool is_text) override;
  Error send_prepared_message(const PreparedMessage& message) override;
  void begin_close(int code, std::string_view reason) override;
  void abort_connection() override;
  size_t queued_outbound_messages() const override;
  void answer_request(std::string response, int status) override;
  void heartbeat_interval_changed() override { heartbeat_.forget_ping_time(); }

 private:
  enum class Phase : uint8_t {
    kIdle,
    kResolving,      ///< client: waiting for DNS
    kConnecting,     ///< client: TCP connect in progress
    kProxyTunnel,    ///< client: asking the proxy for a tunnel to the server
    kTlsHandshake,   ///< client or server: TLS handshake in progress
    kSendRequest,    ///< client: writing the HTTP request
    kReadResponse,   ///< client: reading the HTTP response head
    kReadRequest,    ///< server: reading the HTTP request head
    kAwaitDecision,  ///< server: the application decides (manual_accept); the transport is watched
    kWriteResponse,  ///< server: writing 101 Switching Protocols
    kWriteRefusal,   ///< server: writing an HTTP error, then closing
    kOpen,           ///< the protocol engine runs (OPEN and CLOSING)
  };

  void step_handshake(Clock::time_point now);
  /// Resolves what the connection needs (the proxy's name, and for socks5:// the server's too) or
  /// starts connecting to an IP literal.
  void resolve_or_connect();
  void on_resolved(native::ResolveResult result, Clock::time_point now);
  /// Happy Eyeballs over the addresses (see HappyEyeballs): attempts overlap, the first to
  /// connect wins and the others are closed.
  void start_race(Clock::time_point now);
  void step_race(Clock::time_point now);
  void launch_due_attempts(Clock::time_point now);
  void fail_connect();
  void connected();
  /// When poll() must look at the race again (the next attempt, or attempts not watched).
  Clock::time_point race_deadline() const;
  void start_tunnel();
  /// Talks to the proxy until the tunnel is open (then starts TLS or the request); false while
  /// waiting for the proxy or after a failure.
  bool step_tunnel();
  void start_tls_or_request();
  bool write_handshake_bytes();
  bool read_handshake_head();
  void finish_client_handshake();
  void finish_server_handshake();
  /// The server's say on a request that has arrived; false when the peer was dropped.
  bool admitted();
  void watch_pending_request();
  void enter_open(Clock::time_point now);

  void service_open(Clock::time_point now);
  void read_frames(Clock::time_point now);
  bool gated() const;
  bool flush_output();
  void transport_lost(const std::string& why);
  bool reading_paused() const;
  void watch_paused_transport(Clock::time_point now);
  void drain_input();
  /// The connection ends: messages in parked input are queued (nothing received is lost) as far
  /// as the bytes the connection held allow; compressed input beyond that is dropped (and said
  /// in get_last_error()) instead of inflating without bound.
  void queue_parked_input();
  void finish();

  void fail_handshake(std::string message);
  bool holds_idle_buffers() const;
  void release_transport();
  void reset_connection_state();

  /// Everything only the opening handshake needs; freed when the connection opens, so an open
  /// connection carries none of it.
  /// A client's way to its server: the proxy, the names to resolve and the race between
  /// addresses. Apart from HandshakeState so that a server peer's handshake stays small (10,000
  /// connections accepted at once allocate and free 10,000 of those).
  struct ClientRoute {
    std::optional<ProxyUrl> proxy;  ///< the proxy connected through (set_proxy() or environment)
    std::string proxy_source;       ///< "set_proxy()" or the environment variable's name
    std::unique_ptr<ProxyHandshake> tunnel;
    bool resolving_target = false;       ///< socks5://: the server's name first, then the proxy's
    std::optional<IpLiteral> target_ip;  ///< socks5://: what the server's name resolved to
    std::optional<HappyEyeballs> race;
    std::vector<std::shared_ptr<StreamPeerTCP>> attempts;  ///< per address; null once failed
  };

  struct HandshakeState {
    WsUrl url;
    std::shared_ptr<const TLSOptions> tls_options;
    std::shared_ptr<native::ResolveJob> resolve_job;
    std::shared_ptr<StreamPeerTCP> tcp;  ///< a client's socket (under TLS, the TLS stream owns it)
    std::vector<SocketAddress> addresses;  ///< in the order to try them
    std::string last_connect_error;
    std::unique_ptr<ClientRoute> route;  ///< a client's; a server peer's handshake has none
    std::string key;
    std::string out;  ///< request or response bytes to write
    size_t written = 0;
    HttpHeadReader head_reader{kMaxHandshakeHeadSize};
    ByteBuffer early_bytes;  ///< bytes that followed the HTTP head in the same read
    std::optional<DeflateAgreement> deflate;  ///< permessage-deflate, when agreed
    Clock::time_point deadline{};             ///< handshake_timeout from the start
    struct Refusal {
      int status;
      std::vector<std::string> headers;
      std::string body;
    };
    std::unique_ptr<Refusal> refusal;  ///< see refuse_request()
    /// A server's: see set_first_byte_deadline() and heard_from_client().
    Clock::time_point first_byte_deadline = Clock::time_point::max();
    bool heard = false;
  };

  Phase phase_ = Phase::kIdle;
  // Flags packed in two bytes: every connection carries them.
  bool is_server_ : 1 = false;
  bool no_delay_ : 1 = true;
  bool transport_closed_ : 1 = false;  ///< EOF or error seen; finish once parked input is handled
  bool close_deferred_ : 1 = false;    ///< the close reply waits for earlier messages' answers
  bool lingering_ : 1 = false;  ///< close exchange done, write side shut; waiting for the FIN
  bool input_maybe_pending_ : 1 = false;  ///< the last poll stopped before the socket was empty
  bool hangup_reported_ : 1 = false;      ///< see notify_hangup()
  bool sent_since_poll_ : 1 = false;      ///< last_activity_ is brought up to date at the next poll
  bool flush_pending_ : 1 = false;     ///< replies were queued after poll() without being written
  bool stopped_by_gate_ : 1 = false;   ///< a read was skipped for the gate: retry when it opens
  uint32_t poller_slot_ = kNotPolled;  ///< see poller_slot()
  std::unique_ptr<HandshakeState> handshake_;
  std::shared_ptr<StreamPeer> stream_;  ///< TCP, TLS over TCP, or the accepted stream

  Protocol protocol_;  ///< in place (one allocation fewer per connection); active() once open
  Heartbeat heartbeat_;
  Clock::time_point close_deadline_ = Clock::time_point::max();
  Clock::time_point last_activity_{};  ///< last byte read or message queued
  ServerShare* share_ = nullptr;       ///< see set_server_share()
  /// The remote ended its side while our reading was paused: the application has until then
  /// (close_timeout) to take messages so that the rest of its input can be read.
  Clock::time_point paused_hangup_deadline_ = Clock::time_point::max();
};

}  // namespace wsp
