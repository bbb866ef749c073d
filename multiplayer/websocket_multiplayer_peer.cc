// WebSocketMultiplayerPeer's common part and its client, the same in native and Web builds.
#include "wspeer/multiplayer/websocket_multiplayer_peer.h"

#include <cctype>
#include <cstdio>

#include "wspeer/multiplayer/session_packet.h"

namespace wsp {

// ---------------------------------------------------------------------------------------------
// Properties

Error WebSocketMultiplayerPeer::set_handshake_headers(std::vector<std::string> headers) {
  // The peers check each line when they are made: check here, where the caller hears of it.
  const auto probe = WebSocketPeer::create();
  if (const Error error = probe->set_handshake_headers(headers); error != OK) return error;
  handshake_headers_ = std::move(headers);
  return OK;
}

Error WebSocketMultiplayerPeer::set_handshake_timeout(double seconds) {
  if (!(seconds > 0)) return ERR_INVALID_PARAMETER;  // Godot: "must be > 0"
  handshake_timeout_ = seconds;
  return OK;
}

Error WebSocketMultiplayerPeer::set_inbound_buffer_size(int size) {
  if (size <= 0) return ERR_INVALID_PARAMETER;
  inbound_buffer_size_ = size;
  return OK;
}

Error WebSocketMultiplayerPeer::set_outbound_buffer_size(int size) {
  if (size < 0) return ERR_INVALID_PARAMETER;  // 0: no limit, as on a WebSocketPeer
  outbound_buffer_size_ = size;
  return OK;
}

Error WebSocketMultiplayerPeer::set_max_queued_packets(int count) {
  if (count <= 0) return ERR_INVALID_PARAMETER;
  max_queued_packets_ = count;
  return OK;
}

Error WebSocketMultiplayerPeer::set_supported_protocols(std::vector<std::string> protocols) {
  const auto probe = WebSocketPeer::create();
  if (const Error error = probe->set_supported_protocols(protocols); error != OK) return error;
  supported_protocols_ = std::move(protocols);
  return OK;
}

Error WebSocketMultiplayerPeer::set_heartbeat_interval(double seconds) {
  if (!(seconds >= 0)) return ERR_INVALID_PARAMETER;
  heartbeat_interval_ = seconds;
  return OK;
}

Error WebSocketMultiplayerPeer::set_proxy_protocol(std::vector<std::string> trusted_proxies) {
  trusted_proxies_ = std::move(trusted_proxies);
  return OK;
}

Error WebSocketMultiplayerPeer::set_reconnect_grace(double seconds) {
  if (!(seconds >= 0)) return ERR_INVALID_PARAMETER;
  reconnect_grace_ = seconds;
  return OK;
}

std::unique_ptr<WebSocketPeer> WebSocketMultiplayerPeer::make_peer() const {
  std::unique_ptr<WebSocketPeer> peer = WebSocketPeer::create();
  peer->set_supported_protocols(supported_protocols_);
  peer->set_handshake_headers(handshake_headers_);
  peer->set_inbound_buffer_size(inbound_buffer_size_);
  peer->set_outbound_buffer_size(outbound_buffer_size_);
  peer->set_max_queued_packets(max_queued_packets_);
  peer->set_handshake_timeout(handshake_timeout_);
  peer->set_heartbeat_interval(heartbeat_interval_);
  if (peer_setup_) peer_setup_(*peer);
  return peer;
}

std::vector<std::string> WebSocketMultiplayerPeer::protocols_with_resume(
    const std::string& return_token) const {
  std::vector<std::string> protocols = supported_protocols_;
  protocols.emplace_back(resume::kProtocol);
  if (!return_token.empty()) protocols.push_back(resume::return_offer(return_token));
  return protocols;
}

// ---------------------------------------------------------------------------------------------
// Starting and ending

Error WebSocketMultiplayerPeer::create_client(
    const std::string& url, std::shared_ptr<const TLSOptions> tls_client_options) {
  if (status_ != CONNECTION_DISCONNECTED) return ERR_ALREADY_IN_USE;
  if (tls_client_options && tls_client_options->is_server()) return ERR_INVALID_PARAMETER;
  clear();
  close_code_ = -1;
  close_reason_.clear();
  last_error_.clear();
  std::unique_ptr<WebSocketPeer> peer = make_peer();
  if (reconnect_grace_ > 0) {  // asks for a welcome it can come back with
    peer->set_supported_protocols(protocols_with_resume());
  }
  if (const Error error = peer->connect_to_url(url, tls_client_options); error != OK) {
    last_error_ = peer->get_last_error();
    return error;
  }
  client_url_ = url;
  client_tls_ = std::move(tls_client_options);
  client_ = std::move(peer);
  client_deadline_ = std::chrono::steady_clock::now() +
                     std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                         std::chrono::duration<double>(handshake_timeout_));
  status_ = CONNECTION_CONNECTING;
  return OK;
}

Error WebSocketMultiplayerPeer::create_server(
    int port, const std::string& bind_address,
    std::shared_ptr<const TLSOptions> tls_server_options) {
  if (status_ != CONNECTION_DISCONNECTED) return ERR_ALREADY_IN_USE;
  if (tls_server_options && !tls_server_options->is_server()) return ERR_INVALID_PARAMETER;
  clear();
  if (const Error error = start_server(port, bind_address, std::move(tls_server_options));
      error != OK) {
    return error;
  }
  unique_id_ = 1;
  status_ = CONNECTION_CONNECTED;
  return OK;
}

Error WebSocketMultiplayerPeer::create_server_for_streams() {
  if (status_ != CONNECTION_DISCONNECTED) return ERR_ALREADY_IN_USE;
  clear();
  if (const Error error = start_server(-1, "", nullptr); error != OK) return error;
  unique_id_ = 1;
  status_ = CONNECTION_CONNECTED;
  return OK;
}

Error WebSocketMultiplayerPeer::accept_stream(std::shared_ptr<StreamPeer> stream,
                                              std::string_view pre_read) {
  if (!is_server()) return ERR_UNCONFIGURED;
  if (!stream) return ERR_INVALID_PARAMETER;
  return server_accept_stream(std::move(stream), pre_read);
}

void WebSocketMultiplayerPeer::close() {
  if (client_ && client_->get_ready_state() != WebSocketPeer::STATE_CLOSED) client_->close(1000);
  clear();
}

bool WebSocketMultiplayerPeer::is_server() const { return server_ != nullptr; }

void WebSocketMultiplayerPeer::poll() {
  if (status_ == CONNECTION_DISCONNECTED) return;
  if (is_server()) {
    poll_server();
  } else {
    poll_client();
  }
}

PeerPoller* WebSocketMultiplayerPeer::get_server_poller() const {
  return is_server() ? server_poller() : nullptr;
}

int WebSocketMultiplayerPeer::get_local_port() const {
  return is_server() ? server_local_port() : 0;
}

void WebSocketMultiplayerPeer::wait(int timeout_ms) {
  if (is_server()) server_wait(timeout_ms);
}

// ---------------------------------------------------------------------------------------------
// The client

void WebSocketMultiplayerPeer::poll_client() {
  if (returning_) {
    poll_return();
    return;
  }
  WebSocketPeer& peer = *client_;
  peer.poll();
  if (status_ == CONNECTION_CONNECTING) {
    if (peer.get_ready_state() == WebSocketPeer::STATE_OPEN && peer.get_available_packet_count()) {
      // The server's first message: our id, 4 bytes, little-endian (and, from a server that
      // keeps places, a token to come back with); nothing else will do.
      const uint8_t* data = nullptr;
      int size = 0;
      std::optional<resume::Welcome> welcome;
      if (peer.get_packet(&data, &size) == OK) {
        welcome = resume::read_welcome({data, static_cast<size_t>(size)});
      }
      if (!welcome || (!welcome->token.empty() && reconnect_grace_ <= 0)) {
        peer.close(-1);
        remember_how_it_ended();
        last_error_ =
            "The server's first message was not a multiplayer welcome (an id of 4 "
            "bytes): it is not a multiplayer server.";
        clear();
        return;
      }
      unique_id_ = welcome->id;
      resume_token_ = welcome->token;
      status_ = CONNECTION_CONNECTED;
      emit(PeerEvent::PEER_CONNECTED, TARGET_PEER_SERVER);
    } else if (peer.get_ready_state() == WebSocketPeer::STATE_CLOSED ||
               std::chrono::steady_clock::now() >= client_deadline_) {
      const bool timed_out = peer.get_ready_state() != WebSocketPeer::STATE_CLOSED;
      peer.close(-1);
      remember_how_it_ended();
      if (timed_out) {
        char seconds[32];
        std::snprintf(seconds, sizeof seconds, "%g", handshake_timeout_);
        last_error_ =
            std::string("No multiplayer welcome within the handshake timeout (") + seconds + " s).";
      }
      clear();  // connection failed
      return;
    }
  }
  if (status_ == CONNECTION_CONNECTED && peer.get_ready_state() == WebSocketPeer::STATE_CLOSED &&
      peer.get_available_packet_count() == 0) {
    const int code = peer.get_close_code();
    if (!resume_token_.empty() && (code == -1 || code == 1006)) {
      begin_return();  // dropped, not closed: our place on the server waits for us
    } else {
      end_client();
    }
  }
}

void WebSocketMultiplayerPeer::remember_how_it_ended() {
  if (!client_) return;
  close_code_ = client_->get_close_code();
  close_reason_ = client_->get_close_reason();
  last_error_ = client_->get_last_error();
}

void WebSocketMultiplayerPeer::end_client() {
  remember_how_it_ended();
  clear();
  emit(PeerEvent::PEER_DISCONNECTED, TARGET_PEER_SERVER);  // after clear(), which drops events
}

void WebSocketMultiplayerPeer::clear_client() {
  client_.reset();
  client_tls_.reset();
  resume_token_.clear();
  returning_ = false;
  outbox_.reset();
}

void WebSocketMultiplayerPeer::begin_return() {
  const auto now = std::chrono::steady_clock::now();
  returning_ = true;
  return_attempts_ = 0;
  return_deadline_ = now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                               std::chrono::duration<double>(reconnect_grace_));
  next_attempt_ = now;
  outbox_ = std::make_unique<resume::HeldPackets>(static_cast<size_t>(outbound_buffer_size_),
                                                  static_cast<size_t>(max_queued_packets_));
  client_.reset();
}

void WebSocketMultiplayerPeer::poll_return() {
  const auto now = std::chrono::steady_clock::now();
  if (client_) {
    WebSocketPeer& peer = *client_;
    peer.poll();
    if (peer.get_ready_state() == WebSocketPeer::STATE_OPEN && peer.get_available_packet_count()) {
      const uint8_t* data = nullptr;
      int size = 0;
      std::optional<resume::Welcome> welcome;
      if (peer.get_packet(&data, &size) == OK) {
        welcome = resume::read_welcome({data, static_cast<size_t>(size)});
      }
      if (!welcome || welcome->id != unique_id_ || welcome->token.empty()) {
        peer.close(-1);
        end_client();  // not our place: we are not who we were
        return;
      }
      resume_token_ = welcome->token;
      returning_ = false;
      // What the application put meanwhile, in order, now that there is a connection again.
      while (outbox_ && !outbox_->empty()) {
        peer.put_packet(outbox_->front().data(), static_cast<int>(outbox_->front().size()));
        outbox_->pop_front();
      }
      outbox_.reset();
      return;
    }
    if (peer.get_ready_state() == WebSocketPeer::STATE_CLOSED) {
      if (peer.get_close_code() == resume::kPlaceGoneCode) {
        end_client();  // expired or unknown: trying again will not help
        return;
      }
      client_.reset();
      next_attempt_ = now + resume::retry_delay(return_attempts_++);
    } else if (now >= client_deadline_) {
      client_.reset();  // this attempt takes too long
      next_attempt_ = now + resume::retry_delay(return_attempts_++);
    }
  }
  if (now >= return_deadline_) {
    if (client_) client_->close(-1);
    end_client();
    return;
  }
  if (!client_ && now >= next_attempt_) {
    std::unique_ptr<WebSocketPeer> peer = make_peer();
    peer->set_supported_protocols(protocols_with_resume(resume_token_));
    if (peer->connect_to_url(client_url_, client_tls_) == OK) {
      client_ = std::move(peer);
      client_deadline_ = now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                   std::chrono::duration<double>(handshake_timeout_));
    } else {
      next_attempt_ = now + resume::retry_delay(return_attempts_++);
    }
  }
}

int WebSocketMultiplayerPeer::get_available_packet_count() const {
  if (is_server()) return server_packet_count();
  if (status_ != CONNECTION_CONNECTED || !client_ || returning_) return 0;
  return client_->get_available_packet_count();
}

Error WebSocketMultiplayerPeer::get_packet(const uint8_t** buffer, int* size) {
  *buffer = nullptr;
  *size = 0;
  if (status_ != CONNECTION_CONNECTED) return ERR_UNCONFIGURED;
  if (is_server()) return server_get_packet(buffer, size);
  if (returning_) return ERR_UNAVAILABLE;
  return client_->get_packet(buffer, size);
}

int WebSocketMultiplayerPeer::get_packet_peer() const {
  if (is_server()) return server_next_packet_source();
  return TARGET_PEER_SERVER;  // a client hears only from its server
}

Error WebSocketMultiplayerPeer::put_packet(const uint8_t* buffer, int size) {
  if (status_ != CONNECTION_CONNECTED) return ERR_UNCONFIGURED;
  if (is_server()) return server_put(get_target_peer(), buffer, size);
  if (returning_) {  // held until we are back
    if (size < 0 || (size > 0 && buffer == nullptr)) return ERR_INVALID_PARAMETER;
    return outbox_->hold({buffer, static_cast<size_t>(size)}) ? OK : ERR_OUT_OF_MEMORY;
  }
  return client_->put_packet(buffer, size);
}

Error WebSocketMultiplayerPeer::put_packet_to_peers(std::span<const int> peers,
                                                    const uint8_t* buffer, int size) {
  if (status_ != CONNECTION_CONNECTED) return ERR_UNCONFIGURED;
  if (!is_server()) return MultiplayerPeer::put_packet_to_peers(peers, buffer, size);
  return server_put_to_peers(peers, buffer, size);
}

void WebSocketMultiplayerPeer::disconnect_peer(int peer, bool force) {
  if (is_server()) {
    server_disconnect(peer, force);
  } else if (peer == TARGET_PEER_SERVER && status_ != CONNECTION_DISCONNECTED) {
    if (client_) client_->close(1000);
    const bool tell = !force && status_ == CONNECTION_CONNECTED;
    clear();
    if (tell) emit(PeerEvent::PEER_DISCONNECTED, peer);
  }
}

WebSocketPeer* WebSocketMultiplayerPeer::get_peer(int peer_id) const {
  if (is_server()) return server_peer(peer_id);
  return peer_id == TARGET_PEER_SERVER ? client_.get() : nullptr;
}

std::string WebSocketMultiplayerPeer::get_peer_address(int id) const {
  const WebSocketPeer* peer = get_peer(id);
  return peer ? peer->get_connected_host() : "";
}

int WebSocketMultiplayerPeer::get_peer_port(int id) const {
  const WebSocketPeer* peer = get_peer(id);
  return peer ? peer->get_connected_port() : 0;
}

std::string WebSocketMultiplayerPeer::get_peer_room(int id) const {
  return is_server() ? server_peer_room(id) : "";
}

// ---------------------------------------------------------------------------------------------
// Rooms

std::optional<std::string> WebSocketMultiplayerPeer::room_from_path(std::string_view path) {
  constexpr std::string_view kPrefix = "/rooms/";
  path = path.substr(0, path.find_first_of("?#"));
  if (path.substr(0, kPrefix.size()) != kPrefix) return std::string();
  const std::string_view name = path.substr(kPrefix.size());
  if (name.empty() || name.size() > 64) return std::nullopt;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      return std::nullopt;
    }
  }
  return std::string(name);
}

WebSocketMultiplayerPeer::JoinDecision WebSocketMultiplayerPeer::default_join_decision(
    const WebSocketPeer& request) {
  JoinDecision decision;
  if (const std::optional<std::string> room = room_from_path(request.get_request_path())) {
    decision.room = *room;
  } else {
    decision.accept = false;
    decision.status = 400;
    decision.reason = "A room name is 1 to 64 letters, digits, '.', '_' or '-': /rooms/NAME.";
  }
  return decision;
}

}  // namespace wsp
