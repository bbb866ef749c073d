#include "wspeer/platform/native/native_websocket_peer.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <vector>

#include "wspeer/core/close_code.h"
#include "wspeer/core/frame.h"
#include "wspeer/core/handshake.h"
#include "wspeer/platform/native/net.h"
#include "wspeer/platform/native/stream_peer_tls.h"

namespace wsp {
namespace {

constexpr size_t kMinRead = 16 * 1024;
constexpr size_t kMaxRead = 256 * 1024;
constexpr int kMaxReadsPerPoll = 4;      // fairness between peers sharing one thread
constexpr size_t kSmallFrameCopy = 256;  // payloads up to this size are copied behind the header
// Bytes a client may send while its request waits for the application (it should send none).
constexpr size_t kMaxEarlyBytes = 64 * 1024;
// Buffers of a connection that saw no traffic for this long are given back: busy connections
// keep theirs (no allocation per message), idle ones cost little memory.
constexpr auto kIdleRelease = std::chrono::seconds(1);

// One receive buffer per thread, shared by every peer on it: an idle peer owns none.
uint8_t* read_buffer() {
  thread_local std::vector<uint8_t> buffer;
  if (buffer.empty()) buffer.resize(kMaxRead);
  return buffer.data();
}

Clock::time_point after(Clock::time_point now, double seconds) {
  return now + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

}  // namespace

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

  release_transport();  // a peer in CLOSING is cut off
  reset_connection_state();
  begin_session();
  is_server_ = false;
  handshake_ = std::make_unique<HandshakeState>();
  handshake_->url = std::move(parsed);
  handshake_->tls_options = std::move(tls_client_options);
  requested_url_ = url;
  state_ = STATE_CONNECTING;
  handshake_deadline_ = after(Clock::now(), handshake_timeout_);

  sockaddr_storage literal;
  socklen_t length;
  if (native::parse_ip_literal(handshake_->url.host, handshake_->url.port, &literal, &length)) {
    handshake_->addresses = {literal};
    try_next_address();
    if (state_ == STATE_CLOSED) return FAILED;  // every address failed at once
  } else {
    handshake_->resolve_job = native::ResolveJob::start(handshake_->url.host, handshake_->url.port);
    phase_ = Phase::kResolving;
  }
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
  tcp_ = std::dynamic_pointer_cast<StreamPeerTCP>(stream_);
  stream_->set_no_delay(no_delay_);
  state_ = STATE_CONNECTING;
  handshake_deadline_ = after(Clock::now(), handshake_timeout_);
  phase_ = status == StreamPeer::STATUS_CONNECTING ? Phase::kTlsHandshake : Phase::kReadRequest;
  if (!pre_read.empty()) {
    const auto* bytes = reinterpret_cast<const uint8_t*>(pre_read.data());
    const size_t used = handshake_->head_reader.feed(bytes, pre_read.size());
    handshake_->early_bytes.append(bytes + used, pre_read.size() - used);
  }
  return OK;
}

void NativeWebSocketPeer::reset_connection_state() {
  phase_ = Phase::kIdle;
  handshake_.reset();
  protocol_.reset();
  heartbeat_.stop();
  close_deadline_ = Clock::time_point::max();
  transport_closed_ = false;
  close_deferred_ = false;
  lingering_ = false;
  input_maybe_pending_ = false;
  hangup_reported_ = false;
  paused_hangup_deadline_ = Clock::time_point::max();
  refusal_.reset();
  flush_pending_ = false;
  stopped_by_gate_ = false;
}

// ---------------------------------------------------------------------------------------------
// poll()

void NativeWebSocketPeer::poll() {
  if (state_ == STATE_CLOSED) return;
  const Clock::time_point now = Clock::now();
  if (state_ == STATE_CONNECTING) {
    if (now >= handshake_deadline_) {
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
  }
  service_open(now);
}

void NativeWebSocketPeer::step_handshake(Clock::time_point now) {
  if (phase_ == Phase::kResolving) {
    native::ResolveResult result;
    if (!handshake_->resolve_job->done(&result)) return;
    handshake_->resolve_job.reset();
    if (!result.error.empty()) {
      fail_handshake(result.error);
      return;
    }
    handshake_->addresses = std::move(result.addresses);
    handshake_->next_address = 0;
    try_next_address();
  }
  if (phase_ == Phase::kConnecting) {
    tcp_->poll();
    if (tcp_->get_status() == StreamPeer::STATUS_CONNECTING) return;
    if (tcp_->get_status() != StreamPeer::STATUS_CONNECTED) {
      handshake_->last_connect_error = tcp_->get_last_error();
      ++handshake_->next_address;
      try_next_address();
      return;
    }
    tcp_->set_no_delay(no_delay_);
    start_tls_or_request();
  }
  if (phase_ == Phase::kTlsHandshake) {
    stream_->poll();
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
    if (!read_handshake_head()) return;
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
    const std::string reason = last_error_;
    fail_handshake(reason);
  }
}

void NativeWebSocketPeer::try_next_address() {
  while (handshake_->next_address < handshake_->addresses.size()) {
    hangup_reported_ = false;  // a report about the previous socket
    tcp_ = std::make_shared<StreamPeerTCP>();
    if (tcp_->connect_to_address(handshake_->addresses[handshake_->next_address]) == OK) {
      stream_ = tcp_;
      phase_ = Phase::kConnecting;
      return;
    }
    handshake_->last_connect_error = tcp_->get_last_error();
    ++handshake_->next_address;
  }
  std::string message =
      handshake_->last_connect_error.empty() ? "Cannot connect." : handshake_->last_connect_error;
  if (handshake_->addresses.size() > 1) {
    message += " (tried " + std::to_string(handshake_->addresses.size()) + " addresses)";
  }
  fail_handshake(message);
}

void NativeWebSocketPeer::start_tls_or_request() {
  stream_ = tcp_;
  if (handshake_->url.secure) {
    auto tls = std::make_shared<StreamPeerTLS>();
    if (tls->connect_to_stream(tcp_, handshake_->url.host, handshake_->tls_options) != OK) {
      fail_handshake(tls->get_last_error());
      return;
    }
    stream_ = tls;
    phase_ = Phase::kTlsHandshake;
  } else {
    phase_ = Phase::kSendRequest;
  }
  handshake_->key = make_handshake_key();
  handshake_->out = build_client_request(handshake_->url, handshake_->key, supported_protocols_,
                                         handshake_headers_);
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
  ClientHandshakeResult result =
      check_server_response(handshake_->head_reader.head(), handshake_->key, supported_protocols_);
  handshake_status_ = result.status;
  set_received_head(handshake_->head_reader.head(), /*is_request=*/false);
  if (!result.ok) {
    fail_handshake(result.error);
    return;
  }
  selected_protocol_ = std::move(result.selected_protocol);
}

void NativeWebSocketPeer::refuse_request(int status, std::vector<std::string> headers,
                                         std::string body, double seconds) {
  if (!is_server_ || state_ != STATE_CONNECTING) return;
  refusal_ = std::make_unique<Refusal>(Refusal{status, std::move(headers), std::move(body)});
  handshake_deadline_ = std::min(handshake_deadline_, after(Clock::now(), seconds));
  if (phase_ == Phase::kAwaitDecision) {
    request_pending_ = false;
    finish_server_handshake();
    step_handshake(Clock::now());
  }
}

void NativeWebSocketPeer::finish_server_handshake() {
  handshake_->written = 0;
  if (refusal_) {  // the server is full: whatever the request, the answer is this refusal
    handshake_status_ = refusal_->status;
    set_last_error("Refused handshake with HTTP " + std::to_string(refusal_->status) +
                   ": the server's connection limits are reached.");
    handshake_->out =
        build_http_error_response(refusal_->status, refusal_->body, refusal_->headers);
    refusal_.reset();
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
  ServerHandshakeResult result = answer_client_request(handshake_->head_reader.head(),
                                                       supported_protocols_, handshake_headers_);
  handshake_status_ = result.status;
  request_path_ = std::move(result.path);
  set_received_head(handshake_->head_reader.head(), /*is_request=*/true);
  handshake_->out = std::move(result.response);
  if (result.status != 101) {
    set_last_error("Refused handshake with HTTP " + std::to_string(result.status) + ": " +
                   result.error);
    phase_ = Phase::kWriteRefusal;
    return;
  }
  const bool secure = dynamic_cast<StreamPeerTLS*>(stream_.get()) != nullptr;
  requested_url_ = std::string(secure ? "wss://" : "ws://") + result.host + request_path_;
  if (manual_accept_) {
    handshake_status_ = 0;  // nothing is sent until the application decides
    handshake_->out.clear();
    request_pending_ = true;
    phase_ = Phase::kAwaitDecision;
    return;
  }
  selected_protocol_ = std::move(result.selected_protocol);
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
  protocol_ = std::make_unique<Protocol>(is_server_ ? Role::kServer : Role::kClient, &inbound_);
  heartbeat_.start(heartbeat_interval_, now);
  // The open connection reads at its next poll(): bytes may be waiting that an edge-triggered
  // loop already reported (while a request waited for the application, for example).
  input_maybe_pending_ = true;
  const ByteBuffer& early = handshake_->early_bytes;
  if (!early.empty()) protocol_->receive(early.data(), early.size());
  handshake_.reset();  // the handshake's buffers and strings are not needed any more
}

void NativeWebSocketPeer::fail_handshake(std::string message) {
  set_last_error(std::move(message));
  release_transport();
  phase_ = Phase::kIdle;
  set_closed(kCloseUnclean, "");
}

// ---------------------------------------------------------------------------------------------
// OPEN and CLOSING

void NativeWebSocketPeer::service_open(Clock::time_point now) {
  protocol_->resume();
  if (!transport_closed_) read_frames(now);
  if (!transport_closed_ && reading_paused()) watch_paused_transport(now);

  const ProtocolEvents events = protocol_->take_events();
  if (events.pongs > 0) heartbeat_.pong_received();
  // The heartbeat runs after reading, so a pong that already arrived is counted.
  if (state_ == STATE_OPEN) {
    switch (heartbeat_.tick(now, reading_paused())) {
      case Heartbeat::Action::kSendPing:
        protocol_->send_ping(nullptr, 0);
        break;
      case Heartbeat::Action::kPeerDead:
        set_last_error("No pong within the heartbeat interval (" +
                       describe_seconds(heartbeat_interval_) + "): the peer is unresponsive.");
        transport_closed_ = true;
        finish();
        return;
      case Heartbeat::Action::kNone:
        break;
    }
  }

  if (events.failed) {
    const std::string& detail = protocol_->failure_detail();
    set_last_error("Protocol error: " + protocol_->failure_reason() + " (closing with code " +
                   std::to_string(protocol_->failure_code()) + ")" +
                   (detail.empty() ? "." : ": " + detail + "."));
  }
  if (protocol_->close_reply_pending()) {
    // Messages that arrived before the peer's close (or before a violation) can still be
    // answered: the close takes effect at the next poll, after the replies, as RFC 6455 §5.5.1
    // allows. A peer that sent nothing first is answered at once.
    if (inbound_.count() > 0 && !close_deferred_) {
      close_deferred_ = true;
    } else {
      close_deferred_ = false;
      protocol_->send_close_reply();
    }
  }
  if (state_ == STATE_OPEN && protocol_->close_queued()) {
    state_ = STATE_CLOSING;
    close_deadline_ = after(now, close_timeout_);
  }

  if (!transport_closed_) flush_output();

  const bool exchange_done =
      protocol_->close_sent() && (protocol_->close_received() || protocol_->failed());
  if (transport_closed_) {
    finish();
  } else if (exchange_done) {
    // A graceful TCP close: end our side after the close frame, then wait (bounded by
    // close_timeout) for the peer to end its side, so late bytes from it cause no reset that
    // could destroy our close frame in flight.
    if (!lingering_) {
      lingering_ = true;
      close_deadline_ = after(now, close_timeout_);
      stream_->shutdown_write();
    }
    drain_input();
    if (transport_closed_ || now >= close_deadline_) finish();
  } else if (state_ == STATE_CLOSING && now >= close_deadline_) {
    set_last_error(close_timeout_text());
    transport_closed_ = true;
    finish();
  } else if (holds_idle_buffers() && now - last_activity_ >= kIdleRelease) {
    inbound_.release_if_idle();
    protocol_->outbound().release_if_idle();
  }
}

bool NativeWebSocketPeer::holds_idle_buffers() const {
  return state_ == STATE_OPEN && inbound_.count() == 0 && inbound_.partial_size() == 0 &&
         protocol_->outbound().empty() && !protocol_->has_parked_input() &&
         (inbound_.holds_memory() || protocol_->outbound().holds_memory());
}

bool NativeWebSocketPeer::gated() const {
  return read_gate_ && read_gate_->available == 0 &&
         (read_gate_->finisher != this || inbound_.partial_size() == 0);
}

size_t NativeWebSocketPeer::buffered_bytes() const {
  if (!protocol_) return 0;
  return inbound_.queued_bytes() + inbound_.partial_size() + protocol_->parked_size() +
         protocol_->outbound().size();
}

void NativeWebSocketPeer::read_frames(Clock::time_point now) {
  uint8_t* buffer = read_buffer();
  input_maybe_pending_ = false;
  stopped_by_gate_ = false;
  for (int reads = 0; reads < kMaxReadsPerPoll && protocol_->wants_input(); ++reads) {
    if (gated()) {
      // The socket may hold data no new edge will announce: read as soon as the gate opens.
      stopped_by_gate_ = true;
      return;
    }
    // Read no more than the inbound budget allows, so parked input stays bounded by the limits.
    const size_t budget = inbound_.max_message_size() -
                          std::min(inbound_.max_message_size(), inbound_.queued_bytes());
    size_t want = std::clamp(budget + kMaxFrameHeaderSize, kMinRead, kMaxRead);
    // A server-wide budget (PeerPoller::Limits) bounds what all its peers read together.
    if (read_gate_) {
      // At the budget only the finisher reads, and only the rest of its frame.
      want = std::min(want, read_gate_->available > 0 ? read_gate_->available
                                                      : protocol_->bytes_to_frame_end());
    }
    // Every read goes to the shared buffer and is unmasked from there into its message (one
    // copy, by vector loads and stores). Reading large payloads straight into the message was
    // slower: the kernel copies with `rep movsb`, which on AMD CPUs runs about 15x slower when
    // the destination is 1-15 bytes ahead of the source modulo 4096, and a 16-byte-aligned
    // message behind a 2-14 byte frame header kept that distance for the whole payload (1 MiB
    // echo: 1.5k msg/s straight, 2.2k through this buffer). Here every read starts at the same
    // address while the source moves on, so that distance changes from one read to the next.
    int received = 0;
    const Error error = stream_->get_partial_data(buffer, static_cast<int>(want), &received);
    if (error != OK) {
      transport_lost(error == ERR_FILE_EOF ? "The peer closed the connection."
                                           : stream_->get_last_error());
      return;
    }
    if (received > 0) {
      if (read_gate_) read_gate_->available -= std::min<size_t>(read_gate_->available, received);
      protocol_->receive(buffer, static_cast<size_t>(received));
      // The poll's clock: one reading per poll is precise enough for idleness.
      last_activity_ = now;
    }
    // A short read means the socket is drained, unless the OS reported a hang-up: the end of
    // stream (or a reset) that came with the last bytes is only seen by reading once more, and
    // an edge-triggered loop will not report it again.
    if (static_cast<size_t>(received) < want && !stream_->has_pending_input() && !hangup_reported_)
      return;
    input_maybe_pending_ = true;
  }
}

bool NativeWebSocketPeer::reading_paused() const {
  return (!protocol_->wants_input() || gated()) && !protocol_->input_finished() && !lingering_;
}

void NativeWebSocketPeer::watch_paused_transport(Clock::time_point now) {
  // A paused peer reads nothing, so it would not see its remote leave; asking the OS costs one
  // call, made only while paused.
  switch (stream_->check_hangup()) {
    case StreamPeer::HANGUP_BROKEN:
      transport_lost(
          "The connection broke while reading was paused (input not yet read was lost).");
      break;
    case StreamPeer::HANGUP_REMOTE_FINISHED:
      if (paused_hangup_deadline_ == Clock::time_point::max()) {
        paused_hangup_deadline_ = after(now, close_timeout_);
      } else if (now >= paused_hangup_deadline_) {
        transport_lost(
            "The peer closed the connection while reading was paused, and its last "
            "messages were not taken within the close timeout (" +
            describe_seconds(close_timeout_) + ").");
      }
      break;
    case StreamPeer::HANGUP_NONE:
      break;
  }
}

void NativeWebSocketPeer::drain_input() {
  uint8_t* buffer = read_buffer();
  input_maybe_pending_ = false;
  for (int reads = 0; reads < kMaxReadsPerPoll; ++reads) {
    int received = 0;
    const Error error = stream_->get_partial_data(buffer, static_cast<int>(kMaxRead), &received);
    if (error != OK) {
      transport_closed_ = true;  // the peer's end of stream completes the close
      return;
    }
    if (received == 0) return;
  }
  input_maybe_pending_ = true;  // more may wait, and an edge-triggered loop will not say so
}

bool NativeWebSocketPeer::flush_output() {
  flush_pending_ = false;
  OutboundQueue& out = protocol_->outbound();
  while (!out.empty()) {
    int sent = 0;
    const int size = static_cast<int>(std::min<size_t>(out.size(), INT_MAX));
    if (stream_->put_partial_data(out.data(), size, &sent) != OK) {
      transport_lost(stream_->get_last_error());
      return false;
    }
    if (sent == 0) break;
    out.consume(static_cast<size_t>(sent));
  }
  if (stream_->has_pending_output()) stream_->poll();
  return true;
}

void NativeWebSocketPeer::transport_lost(const std::string& why) {
  if (transport_closed_) return;
  transport_closed_ = true;
  // After a completed close exchange (or our own failure close) an EOF is the normal ending.
  if (!protocol_->close_received() && !protocol_->failed()) {
    set_last_error("Connection lost: " + (why.empty() ? std::string("transport error.") : why));
  }
}

void NativeWebSocketPeer::finish() {
  // Every message already received is queued before the connection is released.
  protocol_->resume(/*ignore_limits=*/true);
  protocol_->take_events();
  int code = kCloseUnclean;
  std::string reason;
  if (protocol_->failed()) {
    code = protocol_->failure_code();  // the code we sent (or tried to send)
    reason = protocol_->failure_reason();
  } else if (protocol_->close_received()) {
    code = protocol_->received_close_code();
    reason = protocol_->received_close_reason();
  }
  release_transport();
  protocol_.reset();
  phase_ = Phase::kIdle;
  set_closed(code, std::move(reason));
}

// ---------------------------------------------------------------------------------------------
// Sending and closing

Error NativeWebSocketPeer::send_message(const uint8_t* data, size_t size, bool is_text) {
  if (!protocol_->can_send())
    return fail_call(FAILED, "Cannot send: a close frame was already sent.");
  last_activity_ = Clock::now();
  // A server's frames are not masked, so with nothing queued and no batch in progress the frame
  // goes to the kernel straight from the caller's buffer: header and payload in one write, and
  // only what the socket does not take is copied.
  if (is_server_ && inbound_.count() == 0 && protocol_->outbound().empty() && !transport_closed_ &&
      !stream_->has_pending_output()) {
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
      protocol_->outbound().append_unsent(header, header_size, data, size, sent);
    }
    return OK;
  }
  protocol_->send_message(data, size, is_text);
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

void NativeWebSocketPeer::begin_close(int code, std::string_view reason) {
  protocol_->send_close(code, reason);
  state_ = STATE_CLOSING;
  close_deadline_ = after(Clock::now(), close_timeout_);
  if (!transport_closed_) flush_output();
}

void NativeWebSocketPeer::abort_connection() {
  if (protocol_) {
    protocol_->resume(/*ignore_limits=*/true);
    protocol_.reset();
  }
  release_transport();
  phase_ = Phase::kIdle;
  set_closed(kCloseUnclean, "");
}

size_t NativeWebSocketPeer::queued_outbound_messages() const {
  return protocol_ ? protocol_->outbound().queued_frames() : 0;
}

int64_t NativeWebSocketPeer::get_current_outbound_buffered_amount() const {
  return protocol_ ? static_cast<int64_t>(protocol_->outbound().buffered_payload()) : 0;
}

void NativeWebSocketPeer::release_transport() {
  if (stream_) stream_->disconnect();
  stream_.reset();
  if (tcp_) tcp_->disconnect();
  tcp_.reset();
  if (handshake_) handshake_->resolve_job.reset();
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
    interest.deadline = handshake_deadline_;
    switch (phase_) {
      case Phase::kResolving:
        // The resolver thread has no handle to wait on: check back soon.
        interest.deadline =
            std::min(handshake_deadline_, Clock::now() + std::chrono::milliseconds(5));
        break;
      case Phase::kConnecting:
      case Phase::kSendRequest:
      case Phase::kWriteResponse:
      case Phase::kWriteRefusal:
        interest.want_write = true;
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
  interest.want_read = ((protocol_->wants_input() && !gated()) || lingering_) && !transport_closed_;
  interest.want_write = !protocol_->outbound().empty() || stream_->has_pending_output();
  interest.poll_now = (stopped_by_gate_ && !gated()) || flush_pending_ || transport_closed_ ||
                      input_maybe_pending_ || close_deferred_ ||
                      (interest.want_read && stream_->has_pending_input()) ||
                      (protocol_->has_parked_input() && !inbound_.full());
  if (state_ == STATE_CLOSING) interest.deadline = close_deadline_;
  if (state_ == STATE_OPEN && heartbeat_.enabled()) interest.deadline = heartbeat_.next_due();
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
