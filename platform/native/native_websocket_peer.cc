// The native WebSocketPeer's public face: starting a connection (connect_to_url, accept_stream),
// poll(), sending and closing, and what readiness loops ask of it. The opening handshake is in
// native_handshake.cc, the open connection in native_connection.cc.
#include "wspeer/platform/native/native_websocket_peer.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <vector>

#include "wspeer/core/close_code.h"
#include "wspeer/core/frame.h"
#include "wspeer/core/handshake.h"
#include "wspeer/core/proxy/proxy_choice.h"
#include "wspeer/platform/native/native_peer_parts.h"
#include "wspeer/platform/native/net.h"
#include "wspeer/platform/native/stream_peer_tls.h"

namespace wsp {

using namespace native_peer;  // NOLINT: the constants and helpers the three parts share

std::unique_ptr<WebSocketPeer> WebSocketPeer::create() {
  return std::make_unique<NativeWebSocketPeer>();
}

NativeWebSocketPeer::~NativeWebSocketPeer() { release_transport(); }

// ---------------------------------------------------------------------------------------------
// Starting a connection

Error NativeWebSocketPeer::connect_to_url(const std::string& url,
                                          std::shared_ptr<const TLSOptions> tls_client_options) {
  WsUrl parsed;
  if (Error error = check_connect_arguments(url, tls_client_options.get(), &parsed); error != OK) {
    return error;
  }
  ProxyChoice proxy;
  std::string proxy_error;
  if (choose_proxy(parsed, get_proxy(), get_use_environment_proxy(), process_environment(), &proxy,
                   &proxy_error) != OK) {
    return fail_call(ERR_INVALID_PARAMETER, "connect_to_url: " + proxy_error);
  }

  release_transport();  // a peer in CLOSING is cut off
  reset_connection_state();
  begin_session();
  is_server_ = false;
  handshake_ = std::make_unique<HandshakeState>();
  handshake_->url = std::move(parsed);
  handshake_->tls_options = std::move(tls_client_options);
  handshake_->route = std::make_unique<ClientRoute>();
  handshake_->route->proxy = std::move(proxy.proxy);
  handshake_->route->proxy_source = std::move(proxy.source);
  set_text(&Texts::requested_url, url);
  state_ = STATE_CONNECTING;
  handshake_->deadline = after_ms(Clock::now(), handshake_timeout_ms_);
  resolve_or_connect();
  if (state_ == STATE_CLOSED) return FAILED;  // every address failed at once
  return OK;
}

Error NativeWebSocketPeer::accept_stream(std::shared_ptr<StreamPeer> stream,
                                         std::string_view pre_read) {
  if (!stream) return fail_call(ERR_INVALID_PARAMETER, "accept_stream: the stream is null.");
  if (state_ == STATE_CONNECTING || state_ == STATE_OPEN) {
    return fail_call(ERR_ALREADY_IN_USE, "accept_stream: the peer is already connecting or open.");
  }
  const StreamPeer::Status status = stream->get_status();
  if (status != StreamPeer::STATUS_CONNECTED && status != StreamPeer::STATUS_CONNECTING) {
    return fail_call(ERR_INVALID_PARAMETER, "accept_stream: the stream is not connected.");
  }
  release_transport();
  reset_connection_state();
  begin_session();
  is_server_ = true;
  handshake_ = std::make_unique<HandshakeState>();
  stream_ = std::move(stream);
  stream_->set_no_delay(no_delay_);
  state_ = STATE_CONNECTING;
  handshake_->deadline = after_ms(Clock::now(), handshake_timeout_ms_);
  phase_ = status == StreamPeer::STATUS_CONNECTING ? Phase::kTlsHandshake : Phase::kReadRequest;
  if (!pre_read.empty()) {
    handshake_->heard = true;
    const auto* bytes = reinterpret_cast<const uint8_t*>(pre_read.data());
    const size_t used = handshake_->head_reader.feed(bytes, pre_read.size());
    handshake_->early_bytes.append(bytes + used, pre_read.size() - used);
  }
  return OK;
}

void NativeWebSocketPeer::reset_connection_state() {
  phase_ = Phase::kIdle;
  handshake_.reset();
  protocol_ = Protocol();
  heartbeat_.stop();
  close_deadline_ = Clock::time_point::max();
  transport_closed_ = false;
  close_deferred_ = false;
  lingering_ = false;
  input_maybe_pending_ = false;
  hangup_reported_ = false;
  paused_hangup_deadline_ = Clock::time_point::max();
  flush_pending_ = false;
  stopped_by_gate_ = false;
}

// ---------------------------------------------------------------------------------------------
// poll()

void NativeWebSocketPeer::poll() {
  if (state_ == STATE_CLOSED) return;
  const Clock::time_point now = Clock::now();
  if (state_ == STATE_CONNECTING) {
    if (!handshake_->heard && now >= handshake_->first_byte_deadline) {
      fail_handshake("The client sent nothing within the server's first-byte timeout.");
      return;
    }
    if (now >= handshake_->deadline) {
      std::string text = handshake_timeout_text();
      if (phase_ == Phase::kAwaitDecision) {
        text.back() = ' ';
        text += "while the request waited for accept_request() or reject_request().";
      }
      fail_handshake(std::move(text));
      return;
    }
    step_handshake(now);
    if (state_ != STATE_OPEN) return;
  } else {
    // The poll that reported STATE_OPEN is over: the application had its chance to read them.
    drop_request_head_unless_kept();
  }
  service_open(now);
}

// ---------------------------------------------------------------------------------------------
// Sending and closing

Error NativeWebSocketPeer::send_message(const uint8_t* data, size_t size, bool is_text) {
  if (!protocol_.can_send())
    return fail_call(FAILED, "Cannot send: a close frame was already sent.");
  // Dated at the next poll(): reading the clock per message would cost more than the rest of a
  // small message's path in user space.
  sent_since_poll_ = true;
  // A server's frames are not masked, so with nothing queued and no batch in progress the frame
  // goes to the kernel straight from the caller's buffer: header and payload in one write, and
  // only what the socket does not take is copied.
  const MessageCompressor* compressor = protocol_.compressor();
  if (is_server_ && inbound_.count() == 0 && protocol_.outbound().empty() && !transport_closed_ &&
      !(compressor && compressor->compresses(size)) && !stream_->has_pending_output()) {
    // A small payload is cheaper to copy behind the header than to hand the kernel as a second
    // piece (sendmsg must import an iovec array; send takes one buffer).
    uint8_t frame[kMaxFrameHeaderSize + kSmallFrameCopy];
    uint8_t* header = frame;
    const size_t header_size =
        write_frame_header(header, true, is_text ? OPCODE_TEXT : OPCODE_BINARY, size, nullptr);
    const bool coalesce = size <= kSmallFrameCopy;
    if (coalesce && size > 0) std::memcpy(frame + header_size, data, size);
    const ConstBuffer parts[2] = {{frame, coalesce ? header_size + size : header_size},
                                  {data, size}};
    size_t sent = 0;
    if (stream_->put_partial_data_v(parts, coalesce ? 1 : 2, &sent) != OK) {
      transport_lost(stream_->get_last_error());
      return OK;  // like a queued message on a connection that then failed
    }
    if (sent < header_size + size) {
      protocol_.outbound().append_unsent(header, header_size, data, size, sent);
    }
    return OK;
  }
  protocol_.send_message(data, size, is_text);
  // While the application is still taking messages from this poll, replies accumulate and leave
  // together (one write for the batch); a lone send goes out at once.
  if (inbound_.count() == 0 && !transport_closed_) {
    flush_output();
  } else {
    // The application may stop taking messages before the last one (its own back-pressure):
    // then nothing else would write this batch, and an edge-triggered loop reports no change.
    flush_pending_ = true;
  }
  return OK;
}

Error NativeWebSocketPeer::send_prepared_message(const PreparedMessage& message) {
  const std::span<const uint8_t> payload = message.payload();
  const MessageCompressor* compressor = protocol_.compressor();
  // A client masks each frame with its own key, and compression depends on each peer's context:
  // those frame it themselves.
  if (!is_server_ || (compressor && compressor->compresses(payload.size()))) {
    return send_message(payload.data(), payload.size(), message.is_text());
  }
  if (!protocol_.can_send())
    return fail_call(FAILED, "Cannot send: a close frame was already sent.");
  sent_since_poll_ = true;
  const std::vector<uint8_t>& frame = *message.frame();
  OutboundQueue& out = protocol_.outbound();
  if (inbound_.count() == 0 && out.empty() && !transport_closed_ &&
      !stream_->has_pending_output()) {
    const ConstBuffer whole{frame.data(), frame.size()};
    size_t sent = 0;
    if (stream_->put_partial_data_v(&whole, 1, &sent) != OK) {
      transport_lost(stream_->get_last_error());
      return OK;  // like a queued message on a connection that then failed
    }
    if (sent < frame.size()) out.append_shared(message.frame(), payload.size(), sent);
    return OK;
  }
  out.append_shared(message.frame(), payload.size(), 0);
  if (inbound_.count() == 0 && !transport_closed_) {
    flush_output();
  } else {
    flush_pending_ = true;
  }
  return OK;
}

void NativeWebSocketPeer::begin_close(int code, std::string_view reason) {
  protocol_.send_close(code, reason);
  state_ = STATE_CLOSING;
  close_deadline_ = after_ms(Clock::now(), close_timeout_ms_);
  if (!transport_closed_) flush_output();
}

void NativeWebSocketPeer::abort_connection() {
  if (protocol_.active()) {
    queue_parked_input();
    protocol_ = Protocol();
  }
  release_transport();
  phase_ = Phase::kIdle;
  set_closed(kCloseUnclean, "");
}

size_t NativeWebSocketPeer::queued_outbound_messages() const {
  return protocol_.active() ? protocol_.outbound().queued_frames() : 0;
}

int64_t NativeWebSocketPeer::get_current_outbound_buffered_amount() const {
  return protocol_.active() ? static_cast<int64_t>(protocol_.outbound().buffered_payload()) : 0;
}

void NativeWebSocketPeer::release_transport() {
  if (stream_) stream_->disconnect();
  stream_.reset();
  if (handshake_) {
    if (handshake_->tcp) handshake_->tcp->disconnect();  // a client's socket still connecting
    handshake_->tcp.reset();
    handshake_->resolve_job.reset();
    if (handshake_->route) {
      handshake_->route->tunnel.reset();
      for (auto& attempt : handshake_->route->attempts) {
        if (attempt) attempt->disconnect();
      }
      handshake_->route->attempts.clear();
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Queries

std::string NativeWebSocketPeer::get_connected_host() const {
  return stream_ && phase_ != Phase::kConnecting ? stream_->get_connected_host() : std::string();
}

int NativeWebSocketPeer::get_connected_port() const {
  return stream_ && phase_ != Phase::kConnecting ? stream_->get_connected_port() : 0;
}

void NativeWebSocketPeer::set_no_delay(bool enabled) {
  no_delay_ = enabled;
  if (stream_ && phase_ != Phase::kConnecting) stream_->set_no_delay(enabled);
}

short PollInterest::wait_interest() const {
  return static_cast<short>((want_read ? native::kReadable : 0) |
                            (want_write ? native::kWritable : 0) |
                            (want_hangup ? native::kPeerClosed : 0));
}

int PollInterest::timeout_ms(int max_ms) const {
  if (poll_now) return 0;
  if (deadline == Clock::time_point::max()) return max_ms;
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<long long>(left, 0, max_ms));
}

PollInterest NativeWebSocketPeer::get_poll_interest() const {
  PollInterest interest;
  if (state_ == STATE_CLOSED) return interest;
  interest.fd = stream_ ? stream_->get_native_handle() : -1;
  interest.stream = stream_.get();
  if (state_ == STATE_CONNECTING) {
    interest.deadline = handshake_->heard
                            ? handshake_->deadline
                            : std::min(handshake_->deadline, handshake_->first_byte_deadline);
    switch (phase_) {
      case Phase::kResolving:
        // The resolver thread has no handle to wait on: check back soon.
        interest.deadline =
            std::min(handshake_->deadline, Clock::now() + std::chrono::milliseconds(5));
        break;
      case Phase::kConnecting:
        interest.want_write = true;
        interest.deadline = std::min(interest.deadline, race_deadline());
        break;
      case Phase::kSendRequest:
      case Phase::kWriteResponse:
      case Phase::kWriteRefusal:
        interest.want_write = true;
        break;
      case Phase::kProxyTunnel:
        interest.want_read = true;
        interest.want_write = handshake_->written < handshake_->out.size();
        break;
      case Phase::kTlsHandshake:
        interest.want_read = true;
        interest.want_write = stream_ && stream_->has_pending_output();
        break;
      case Phase::kAwaitDecision:
        interest.want_read = handshake_->early_bytes.size() < kMaxEarlyBytes;
        break;
      default:
        interest.want_read = true;
        interest.poll_now = !handshake_->early_bytes.empty() || handshake_->head_reader.complete();
        break;
    }
    return interest;
  }
  interest.want_read = ((protocol_.wants_input() && !gated()) || lingering_) && !transport_closed_;
  interest.want_write = !protocol_.outbound().empty() || stream_->has_pending_output();
  interest.poll_now = (stopped_by_gate_ && !gated()) || flush_pending_ || transport_closed_ ||
                      input_maybe_pending_ || (close_deferred_ && !interest.want_write) ||
                      (interest.want_read && stream_->has_pending_input()) ||
                      (protocol_.has_parked_input() && !inbound_.full());
  if (state_ == STATE_CLOSING) interest.deadline = close_deadline_;
  if (state_ == STATE_OPEN && heartbeat_.enabled()) interest.deadline = heartbeat_.next_due();
  if (close_deferred_) interest.deadline = std::min(interest.deadline, close_deadline_);
  if (!transport_closed_ && reading_paused()) {
    if (paused_hangup_deadline_ == Clock::time_point::max()) {
      interest.want_hangup = true;  // not seen yet: ask to be told (once)
    } else {
      interest.deadline = std::min(interest.deadline, paused_hangup_deadline_);
    }
  }
  if (holds_idle_buffers())
    interest.deadline = std::min(interest.deadline, last_activity_ + kIdleRelease);
  return interest;
}

}  // namespace wsp
