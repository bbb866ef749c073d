// The native WebSocketPeer's opening handshake, in both roles: DNS, TCP, TLS, the HTTP upgrade,
// and the application's decision on a server request.
#include <algorithm>
#include <climits>
#include <cstring>
#include <vector>

#include "wspeer/core/close_code.h"
#include "wspeer/core/deflate/zlib_compressor.h"
#include "wspeer/core/frame.h"
#include "wspeer/core/handshake.h"
#include "wspeer/platform/native/native_peer_parts.h"
#include "wspeer/platform/native/native_websocket_peer.h"
#include "wspeer/platform/native/net.h"
#include "wspeer/platform/native/stream_peer_tls.h"

namespace wsp {

using namespace native_peer;  // NOLINT: the constants and helpers the three parts share

void NativeWebSocketPeer::step_handshake(Clock::time_point now) {
  if (phase_ == Phase::kResolving) {
    native::ResolveResult result;
    if (!handshake_->resolve_job->done(&result)) return;
    handshake_->resolve_job.reset();
    on_resolved(std::move(result), now);
  }
  if (phase_ == Phase::kConnecting) step_race(now);
  if (phase_ == Phase::kProxyTunnel && !step_tunnel()) return;
  if (phase_ == Phase::kTlsHandshake) {
    stream_->poll();
    if (stream_->take_undelivered_arrival()) handshake_->heard = true;
    const StreamPeer::Status status = stream_->get_status();
    if (status == StreamPeer::STATUS_CONNECTING) return;
    if (status != StreamPeer::STATUS_CONNECTED) {
      fail_handshake(stream_->get_last_error().empty() ? "TLS handshake failed."
                                                       : stream_->get_last_error());
      return;
    }
    phase_ = is_server_ ? Phase::kReadRequest : Phase::kSendRequest;
  }
  if (phase_ == Phase::kSendRequest) {
    if (!write_handshake_bytes()) return;
    phase_ = Phase::kReadResponse;
  }
  if (phase_ == Phase::kReadResponse) {
    if (!read_handshake_head()) return;
    finish_client_handshake();
    if (state_ == STATE_CLOSED) return;
    enter_open(now);
    return;
  }
  if (phase_ == Phase::kReadRequest) {
    if (!read_handshake_head() || !admitted()) return;
    finish_server_handshake();
  }
  if (phase_ == Phase::kAwaitDecision) {
    watch_pending_request();
    return;
  }
  if (phase_ == Phase::kWriteResponse) {
    if (!write_handshake_bytes()) return;
    enter_open(now);
    return;
  }
  if (phase_ == Phase::kWriteRefusal) {
    if (!write_handshake_bytes()) return;
    const std::string reason = get_last_error();
    fail_handshake(reason);
  }
}

void NativeWebSocketPeer::start_tls_or_request() {
  stream_ = handshake_->tcp;
  if (handshake_->url.secure) {
    auto tls = std::make_shared<StreamPeerTLS>();
    if (tls->connect_to_stream(handshake_->tcp, handshake_->url.host, handshake_->tls_options) !=
        OK) {
      fail_handshake(tls->get_last_error());
      return;
    }
    stream_ = tls;
    phase_ = Phase::kTlsHandshake;
  } else {
    phase_ = Phase::kSendRequest;
  }
  handshake_->key = make_handshake_key();
  const DeflateOptions deflate = get_deflate_options();
  handshake_->out = build_client_request(
      handshake_->url, handshake_->key, lists().protocols, lists().headers,
      deflate_enabled(deflate, /*is_server=*/false) ? deflate_offer(deflate) : std::string());
  handshake_->written = 0;
  handshake_->head_reader = HttpHeadReader(kMaxHandshakeHeadSize);
}

bool NativeWebSocketPeer::write_handshake_bytes() {
  while (handshake_->written < handshake_->out.size()) {
    int sent = 0;
    const auto* data =
        reinterpret_cast<const uint8_t*>(handshake_->out.data()) + handshake_->written;
    const int size = static_cast<int>(handshake_->out.size() - handshake_->written);
    if (stream_->put_partial_data(data, size, &sent) != OK) {
      fail_handshake("Connection lost during the handshake: " + stream_->get_last_error());
      return false;
    }
    if (sent == 0) return false;
    handshake_->written += static_cast<size_t>(sent);
  }
  return true;
}

bool NativeWebSocketPeer::read_handshake_head() {
  uint8_t* buffer = read_buffer();
  while (!handshake_->head_reader.complete() && !handshake_->head_reader.too_large() &&
         !looks_like_tls_record(handshake_->head_reader.head())) {
    int received = 0;
    const Error error = stream_->get_partial_data(buffer, static_cast<int>(kMinRead), &received);
    if (error != OK) {
      // A TLS server drops a plain request without a word: the likely cause, when nothing came.
      const bool silent_close =
          !is_server_ && handshake_->head_reader.head().empty() && !handshake_->url.secure;
      fail_handshake(
          std::string("Connection closed during the handshake") +
          (is_server_ ? " (no complete request received)." : " (no complete response received).") +
          (stream_->get_last_error().empty() ? "" : " " + stream_->get_last_error()) +
          (silent_close ? " The server closed without answering: if it speaks TLS, try wss://."
                        : ""));
      return false;
    }
    if (received == 0) return false;
    handshake_->heard = true;
    const size_t used = handshake_->head_reader.feed(buffer, static_cast<size_t>(received));
    handshake_->early_bytes.append(buffer + used, static_cast<size_t>(received) - used);
  }
  return true;
}

void NativeWebSocketPeer::finish_client_handshake() {
  if (looks_like_tls_record(handshake_->head_reader.head())) {
    fail_handshake("The server answered with TLS: it seems to speak TLS only; try wss://.");
    return;
  }
  if (handshake_->head_reader.too_large()) {
    fail_handshake("Handshake response headers exceed " + std::to_string(kMaxHandshakeHeadSize) +
                   " bytes.");
    return;
  }
  const DeflateOptions deflate = get_deflate_options();
  ClientHandshakeResult result =
      check_server_response(handshake_->head_reader.head(), handshake_->key, lists().protocols,
                            deflate_enabled(deflate, /*is_server=*/false) ? &deflate : nullptr);
  handshake_status_ = result.status;
  set_received_head(handshake_->head_reader.head(), /*is_request=*/false);
  if (!result.ok) {
    fail_handshake(result.error);
    return;
  }
  set_text(&Texts::selected_protocol, std::move(result.selected_protocol));
  set_text(&Texts::selected_extensions, std::move(result.selected_extensions));
  handshake_->deflate = result.deflate;
}

bool NativeWebSocketPeer::admitted() {
  if (!share_ || !share_->admit_request || share_->admit_request(*this)) return true;
  fail_handshake(
      "Dropped: the server is full, and as many refusals as it answers at once are under way.");
  return false;
}

bool NativeWebSocketPeer::awaiting_request() const {
  return is_server_ && state_ == STATE_CONNECTING &&
         (phase_ == Phase::kTlsHandshake ||
          (phase_ == Phase::kReadRequest && !handshake_->head_reader.complete() &&
           !handshake_->head_reader.too_large()));
}

void NativeWebSocketPeer::set_first_byte_deadline(Clock::time_point deadline) {
  if (is_server_ && state_ == STATE_CONNECTING) handshake_->first_byte_deadline = deadline;
}

void NativeWebSocketPeer::drop_handshake(std::string reason) {
  if (state_ == STATE_CONNECTING) fail_handshake(std::move(reason));
}

void NativeWebSocketPeer::refuse_request(int status, std::vector<std::string> headers,
                                         std::string body, double seconds) {
  if (!is_server_ || state_ != STATE_CONNECTING) return;
  handshake_->refusal = std::make_unique<HandshakeState::Refusal>(
      HandshakeState::Refusal{status, std::move(headers), std::move(body)});
  handshake_->deadline = std::min(handshake_->deadline, after(Clock::now(), seconds));
  if (phase_ == Phase::kAwaitDecision) {
    request_pending_ = false;
    finish_server_handshake();
    step_handshake(Clock::now());
  }
}

void NativeWebSocketPeer::finish_server_handshake() {
  handshake_->written = 0;
  if (handshake_
          ->refusal) {  // the server is full: whatever the request, the answer is this refusal
    handshake_status_ = handshake_->refusal->status;
    set_last_error("Refused handshake with HTTP " + std::to_string(handshake_->refusal->status) +
                   ": the server's connection limits are reached.");
    handshake_->out = build_http_error_response(
        handshake_->refusal->status, handshake_->refusal->body, handshake_->refusal->headers);
    handshake_->refusal.reset();
    phase_ = Phase::kWriteRefusal;
    return;
  }
  if (looks_like_tls_record(handshake_->head_reader.head())) {
    // A wss:// client at a ws:// endpoint: answer at once (in plain HTTP, which its TLS layer
    // reports as not TLS) instead of waiting out the handshake timeout for a request.
    handshake_status_ = 400;
    set_last_error(
        "Refused handshake with HTTP 400: the client speaks TLS to this plain "
        "endpoint (it should use ws://, or wss:// with a TLS server).");
    handshake_->out = build_http_error_response(
        400, "This endpoint speaks plain HTTP (ws://), not TLS (wss://).\n");
    phase_ = Phase::kWriteRefusal;
    return;
  }
  if (handshake_->head_reader.too_large()) {
    handshake_status_ = 431;
    set_last_error("Refused handshake: request headers exceed " +
                   std::to_string(kMaxHandshakeHeadSize) + " bytes (HTTP 431).");
    handshake_->out = build_http_error_response(431, "Request headers too large.\n");
    phase_ = Phase::kWriteRefusal;
    return;
  }
  const DeflateOptions deflate = get_deflate_options();
  ServerHandshakeResult result =
      answer_client_request(handshake_->head_reader.head(), lists().protocols, lists().headers,
                            deflate_enabled(deflate, /*is_server=*/true) ? &deflate : nullptr);
  handshake_status_ = result.status;
  set_received_head(handshake_->head_reader.head(), /*is_request=*/true, std::move(result.path));
  handshake_->out = std::move(result.response);
  if (result.status != 101) {
    set_last_error("Refused handshake with HTTP " + std::to_string(result.status) + ": " +
                   result.error);
    phase_ = Phase::kWriteRefusal;
    return;
  }
  const bool secure = dynamic_cast<StreamPeerTLS*>(stream_.get()) != nullptr;
  request_scheme_ = secure ? RequestScheme::kWss : RequestScheme::kWs;
  set_text(&Texts::selected_extensions, std::move(result.selected_extensions));
  handshake_->deflate = result.deflate;
  if (manual_accept_) {
    handshake_status_ = 0;  // nothing is sent until the application decides
    handshake_->out.clear();
    request_pending_ = true;
    phase_ = Phase::kAwaitDecision;
    return;
  }
  set_text(&Texts::selected_protocol, std::move(result.selected_protocol));
  phase_ = Phase::kWriteResponse;
}

void NativeWebSocketPeer::watch_pending_request() {
  // A client must wait for the response before it sends frames, so little arrives meanwhile;
  // reading it (up to a bound, kept for after the 101) shows at once when the client leaves.
  uint8_t* buffer = read_buffer();
  while (handshake_->early_bytes.size() < kMaxEarlyBytes) {
    int received = 0;
    const Error error = stream_->get_partial_data(buffer, static_cast<int>(kMinRead), &received);
    if (error != OK) {
      fail_handshake("The client left before the application accepted or rejected its request." +
                     (stream_->get_last_error().empty() ? "" : " " + stream_->get_last_error()));
      return;
    }
    if (received == 0) return;
    handshake_->early_bytes.append(buffer, static_cast<size_t>(received));
  }
}

void NativeWebSocketPeer::answer_request(std::string response, int status) {
  handshake_->out = std::move(response);
  handshake_->written = 0;
  phase_ = status == 101 ? Phase::kWriteResponse : Phase::kWriteRefusal;
  step_handshake(Clock::now());
}

void NativeWebSocketPeer::enter_open(Clock::time_point now) {
  phase_ = Phase::kOpen;
  state_ = STATE_OPEN;
  last_activity_ = now;
  protocol_ = Protocol(is_server_ ? Role::kServer : Role::kClient, &inbound_);
  if (handshake_->deflate) {
    protocol_.set_compressor(
        make_zlib_compressor(*handshake_->deflate, get_deflate_options(), is_server_));
  }
  heartbeat_.start(heartbeat_interval_ms_, now);
  // The open connection reads at its next poll(): bytes may be waiting that an edge-triggered
  // loop already reported (while a request waited for the application, for example).
  input_maybe_pending_ = true;
  const ByteBuffer& early = handshake_->early_bytes;
  if (!early.empty()) protocol_.receive(early.data(), early.size());
  handshake_.reset();  // the handshake's buffers and strings are not needed any more
}

void NativeWebSocketPeer::fail_handshake(std::string message) {
  set_last_error(std::move(message));
  release_transport();
  phase_ = Phase::kIdle;
  set_closed(kCloseUnclean, "");
}

}  // namespace wsp
