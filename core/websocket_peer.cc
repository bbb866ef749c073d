#include "wspeer/core/websocket_peer.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "wspeer/core/close_code.h"
#include "wspeer/core/handshake.h"
#include "wspeer/core/heartbeat.h"
#include "wspeer/core/log.h"
#include "wspeer/core/proxy/proxy_url.h"
#include "wspeer/core/utf8.h"

namespace wsp {

const char* state_name(WebSocketPeer::State state) {
  switch (state) {
    case WebSocketPeer::STATE_CONNECTING:
      return "STATE_CONNECTING";
    case WebSocketPeer::STATE_OPEN:
      return "STATE_OPEN";
    case WebSocketPeer::STATE_CLOSING:
      return "STATE_CLOSING";
    case WebSocketPeer::STATE_CLOSED:
      return "STATE_CLOSED";
  }
  return "STATE_UNKNOWN";
}

Error WebSocketPeer::check_send(size_t size) {
  if (state_ != STATE_OPEN) {
    return fail_call(FAILED, std::string("Cannot send: the connection is in ") +
                                 state_name(state_) + ", not STATE_OPEN.");
  }
  if (queued_outbound_messages() >= static_cast<size_t>(max_queued_packets_)) {
    return fail_call(ERR_OUT_OF_MEMORY, "Cannot send: " + std::to_string(max_queued_packets_) +
                                            " messages are already queued (max_queued_packets).");
  }
  if (outbound_buffer_size_ > 0 &&
      static_cast<uint64_t>(get_current_outbound_buffered_amount()) + size >
          static_cast<uint64_t>(outbound_buffer_size_)) {
    return fail_call(ERR_OUT_OF_MEMORY, "Cannot send " + std::to_string(size) + " bytes: " +
                                            std::to_string(get_current_outbound_buffered_amount()) +
                                            " bytes are buffered and outbound_buffer_size is " +
                                            std::to_string(outbound_buffer_size_) + ".");
  }
  return OK;
}

Error WebSocketPeer::send(std::span<const uint8_t> message, WriteMode write_mode) {
  const bool is_text = write_mode == WRITE_MODE_TEXT;
  if (state_ == STATE_OPEN && is_text && !is_valid_utf8(message.data(), message.size())) {
    return fail_call(ERR_INVALID_DATA, "Cannot send: text messages must be valid UTF-8.");
  }
  if (const Error error = check_send(message.size()); error != OK) return error;
  return send_message(message.data(), message.size(), is_text);
}

Error WebSocketPeer::send_prepared(const PreparedMessage& message) {
  if (message.empty()) return fail_call(ERR_INVALID_PARAMETER, "send_prepared: nothing prepared.");
  if (const Error error = check_send(message.payload().size()); error != OK) return error;
  return send_prepared_message(message);
}

Error WebSocketPeer::send_prepared_message(const PreparedMessage& message) {
  return send_message(message.payload().data(), message.payload().size(), message.is_text());
}

Error WebSocketPeer::send_text(std::string_view message) {
  return send(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(message.data()), message.size()),
      WRITE_MODE_TEXT);
}

Error WebSocketPeer::put_packet(const uint8_t* buffer, int size) {
  if (size < 0 || (size > 0 && buffer == nullptr)) {
    return fail_call(ERR_INVALID_PARAMETER, "put_packet: invalid buffer.");
  }
  return send(std::span<const uint8_t>(buffer, static_cast<size_t>(size)), WRITE_MODE_BINARY);
}

bool WebSocketPeer::close_code_allowed(int code) const { return is_valid_close_code(code); }

Error WebSocketPeer::close(int code, std::string_view reason) {
  if (code < 0) {
    if (state_ != STATE_CLOSED) abort_connection();
    return OK;
  }
  if (!close_code_allowed(code)) {
    return fail_call(ERR_INVALID_PARAMETER,
                     "close(): " + std::to_string(code) + " is not a valid close code here.");
  }
  if (reason.size() > kMaxCloseReasonSize) {
    return fail_call(ERR_INVALID_PARAMETER,
                     "close(): the reason is " + std::to_string(reason.size()) +
                         " bytes; at most 123 UTF-8 bytes fit in a close frame.");
  }
  if (!is_valid_utf8(reason)) {
    return fail_call(ERR_INVALID_PARAMETER, "close(): the reason must be valid UTF-8.");
  }
  switch (state_) {
    case STATE_CONNECTING:
      abort_connection();
      break;
    case STATE_OPEN:
      begin_close(code, reason);
      break;
    case STATE_CLOSING:
    case STATE_CLOSED:
      break;
  }
  return OK;
}

int WebSocketPeer::get_available_packet_count() const { return static_cast<int>(inbound_.count()); }

Error WebSocketPeer::get_packet(const uint8_t** buffer, int* size) {
  size_t length = 0;
  bool is_text = false;
  if (!inbound_.pop(buffer, &length, &is_text)) {
    *buffer = nullptr;
    *size = 0;
    return ERR_UNAVAILABLE;
  }
  *size = static_cast<int>(length);
  last_packet_was_text_ = is_text;
  packet_taken_ = true;
  return OK;
}

Error WebSocketPeer::set_handshake_headers(std::vector<std::string> headers) {
  for (const std::string& line : headers) {
    std::string error;
    if (!validate_extra_header(line, &error)) return fail_call(ERR_INVALID_PARAMETER, error);
  }
  if (!headers.empty() && !lists_) lists_ = std::make_unique<Lists>();
  if (lists_) lists_->headers = std::move(headers);
  return OK;
}

Error WebSocketPeer::set_heartbeat_interval(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) {
    return fail_call(ERR_INVALID_PARAMETER, "heartbeat_interval must be 0 (off) or positive.");
  }
  const uint32_t interval = whole_milliseconds(seconds);
  if (interval != heartbeat_interval_ms_) heartbeat_interval_changed();
  heartbeat_interval_ms_ = interval;
  return OK;
}

Error WebSocketPeer::set_inbound_buffer_size(int size) {
  if (size <= 0) return fail_call(ERR_INVALID_PARAMETER, "inbound_buffer_size must be positive.");
  inbound_buffer_size_ = size;
  return OK;
}

Error WebSocketPeer::set_max_queued_packets(int count) {
  if (count <= 0) return fail_call(ERR_INVALID_PARAMETER, "max_queued_packets must be positive.");
  max_queued_packets_ = count;
  return OK;
}

Error WebSocketPeer::set_outbound_buffer_size(int size) {
  if (size < 0) {
    return fail_call(ERR_INVALID_PARAMETER,
                     "outbound_buffer_size must be 0 (no limit) or positive.");
  }
  outbound_buffer_size_ = size;
  return OK;
}

Error WebSocketPeer::set_supported_protocols(std::vector<std::string> protocols) {
  for (std::string& protocol : protocols) {
    // Godot strips surrounding whitespace; a protocol must then be an HTTP token (RFC 6455 §4.1).
    const size_t first = protocol.find_first_not_of(" \t");
    const size_t last = protocol.find_last_not_of(" \t");
    protocol = first == std::string::npos ? "" : protocol.substr(first, last - first + 1);
    if (!is_http_token(protocol)) {
      return fail_call(ERR_INVALID_PARAMETER,
                       "Invalid sub-protocol \"" + protocol + "\": it must be an HTTP token.");
    }
  }
  if (!protocols.empty() && !lists_) lists_ = std::make_unique<Lists>();
  if (lists_) lists_->protocols = std::move(protocols);
  return OK;
}

Error WebSocketPeer::set_deflate_options(const DeflateOptions& options) {
  if (!deflate_options_valid(options)) {
    return fail_call(ERR_INVALID_PARAMETER,
                     "deflate options: window bits must be 8 to 15, compression_level and "
                     "memory_level 1 to 9.");
  }
  // The defaults take no memory: a server that sets them on every peer pays nothing.
  if (options == DeflateOptions()) {
    deflate_options_.reset();
  } else {
    deflate_options_ = std::make_unique<DeflateOptions>(options);
  }
  return OK;
}

DeflateOptions WebSocketPeer::get_deflate_options() const {
  return deflate_options_ ? *deflate_options_ : DeflateOptions();
}

Error WebSocketPeer::set_handshake_timeout(double seconds) {
  if (!std::isfinite(seconds) || seconds <= 0) {
    return fail_call(ERR_INVALID_PARAMETER, "handshake_timeout must be positive.");
  }
  handshake_timeout_ms_ = whole_milliseconds(seconds);
  return OK;
}

Error WebSocketPeer::set_close_timeout(double seconds) {
  if (!std::isfinite(seconds) || seconds <= 0) {
    return fail_call(ERR_INVALID_PARAMETER, "close_timeout must be positive.");
  }
  close_timeout_ms_ = whole_milliseconds(seconds);
  return OK;
}

double WebSocketPeer::get_round_trip_time() const {
  return round_trip_us_ == kRoundTripUnknown ? -1.0 : round_trip_us_ / 1e6;
}

void WebSocketPeer::set_round_trip(std::chrono::steady_clock::duration elapsed) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count();
  round_trip_us_ = static_cast<uint32_t>(std::clamp<int64_t>(us, 0, kRoundTripUnknown - 1));
}

Error WebSocketPeer::set_proxy(const std::string& url) {
  if (!url.empty()) {
    ProxyUrl parsed;
    std::string error;
    if (parse_proxy_url(url, &parsed, &error) != OK) return fail_call(ERR_INVALID_PARAMETER, error);
  }
  if (!url.empty() && !lists_) lists_ = std::make_unique<Lists>();
  if (lists_) lists_->proxy = url;
  return OK;
}

Error WebSocketPeer::check_connect_arguments(const std::string& url, const TLSOptions* tls,
                                             WsUrl* parsed) {
  if (url.empty()) return fail_call(ERR_INVALID_PARAMETER, "connect_to_url: the URL is empty.");
  if (tls && tls->is_server()) {
    return fail_call(ERR_INVALID_PARAMETER,
                     "connect_to_url: TLS options are server options; use TLSOptions::client().");
  }
  if (state_ == STATE_CONNECTING || state_ == STATE_OPEN) {
    return fail_call(ERR_ALREADY_IN_USE, "connect_to_url: the peer is already connecting or open.");
  }
  std::string error;
  if (parse_ws_url(url, parsed, &error) != OK) return fail_call(ERR_INVALID_PARAMETER, error);
  return OK;
}

Error WebSocketPeer::fail_call(Error error, std::string message) {
  set_last_error(std::move(message));
  return error;
}

void WebSocketPeer::set_last_error(std::string message) {
  set_text(&Texts::last_error, std::move(message));
  log_message(texts().last_error);
}

const WebSocketPeer::Texts& WebSocketPeer::texts() const {
  static const Texts kNone;
  return texts_ ? *texts_ : kNone;
}

void WebSocketPeer::set_text(std::string Texts::*field, std::string value) {
  if (value.empty() && !texts_) return;
  if (!texts_) texts_ = std::make_unique<Texts>();
  (*texts_).*field = std::move(value);
}

const WebSocketPeer::Lists& WebSocketPeer::lists() const {
  static const Lists kNone;
  return lists_ ? *lists_ : kNone;
}

void WebSocketPeer::begin_session() {
  close_code_ = kCloseUnclean;
  round_trip_us_ = kRoundTripUnknown;
  texts_.reset();
  request_scheme_ = RequestScheme::kNone;
  handshake_status_ = 0;
  received_.reset();
  request_pending_ = false;
  last_packet_was_text_ = false;
  inbound_.clear();
  inbound_.release_if_idle();
  inbound_.configure(static_cast<size_t>(inbound_buffer_size_),
                     static_cast<size_t>(max_queued_packets_));
}

void WebSocketPeer::set_received_head(std::string_view head, bool is_request,
                                      std::string request_path) {
  received_ = std::make_unique<ReceivedHead>();
  received_->text = std::string(head);
  received_->request_path = std::move(request_path);
  received_head_is_request_ = is_request;
}

void WebSocketPeer::drop_request_head() {
  if (received_->url_from_request) {  // asked for already: keep only that
    received_->text.clear();
    received_->text.shrink_to_fit();
    received_->request_path.clear();
    received_->request_path.shrink_to_fit();
    received_->parsed.reset();
  } else {
    received_.reset();
  }
}

namespace {
const HttpHeaders& parsed_headers(const std::string& head, bool is_request,
                                  std::unique_ptr<HttpHeaders>& cache) {
  if (!cache) {
    cache = std::make_unique<HttpHeaders>();
    std::string error;
    if (is_request) {
      HttpRequestHead request;
      if (parse_request_head(head, &request, &error)) *cache = std::move(request.headers);
    } else {
      HttpResponseHead response;
      if (parse_response_head(head, &response, &error)) *cache = std::move(response.headers);
    }
  }
  return *cache;
}
const HttpHeaders kNoHeaders;
}  // namespace

const std::string& WebSocketPeer::get_requested_url() const {
  // A client's URL is the one it connected to; a server's is made from the request, unless the
  // request's head was given back (no Host to make it from).
  if (request_scheme_ == RequestScheme::kNone || !received_head_is_request_ || !received_) {
    return texts().requested_url;
  }
  std::unique_ptr<std::string>& url = received_->url_from_request;
  if (!url) {
    url = std::make_unique<std::string>(
        (request_scheme_ == RequestScheme::kWss ? "wss://" : "ws://") +
        find_header(get_request_headers(), "Host").value_or("") + received_->request_path);
  }
  return *url;
}

const HttpHeaders& WebSocketPeer::get_handshake_response_headers() const {
  if (received_head_is_request_ || !received_ || received_->text.empty()) return kNoHeaders;
  return parsed_headers(received_->text, false, received_->parsed);
}

const std::string& WebSocketPeer::get_request_path() const {
  static const std::string kNoPath;
  return received_head_is_request_ && received_ ? received_->request_path : kNoPath;
}

const HttpHeaders& WebSocketPeer::get_request_headers() const {
  if (!received_head_is_request_ || !received_ || received_->text.empty()) return kNoHeaders;
  return parsed_headers(received_->text, true, received_->parsed);
}

std::string WebSocketPeer::describe_seconds(double seconds) {
  std::string text = std::to_string(seconds);
  text.erase(text.find_last_not_of('0') + 1);
  if (!text.empty() && text.back() == '.') text.pop_back();
  return text + " s";
}

std::string WebSocketPeer::handshake_timeout_text() const {
  return "Handshake timed out after " + describe_seconds(get_handshake_timeout()) + ".";
}

std::string WebSocketPeer::close_timeout_text() const {
  return "Close handshake timed out after " + describe_seconds(get_close_timeout()) +
         "; the connection was dropped.";
}

void WebSocketPeer::set_closed(int code, std::string reason) {
  state_ = STATE_CLOSED;
  request_pending_ = false;
  // -1, 1005/1006, or a code the protocol accepted (at most 4999): 16 bits hold them all.
  close_code_ = static_cast<int16_t>(std::clamp(code, -1, 4999));
  set_text(&Texts::close_reason, std::move(reason));
}

}  // namespace wsp
