#include "wspeer/platform/web/web_websocket_peer.h"

#include <emscripten/emscripten.h>

#include "wspeer/core/close_code.h"
#include "wspeer/core/url.h"

extern "C" {
// websocket_library.js
int wsp_js_create(wsp::WebWebSocketPeer* peer, const char* url, const char* protocols,
                  double handshake_seconds, char* error, int error_size);
int wsp_js_send(int socket, const uint8_t* data, size_t size, int is_text);
double wsp_js_buffered_amount(int socket);
int wsp_js_close(wsp::WebWebSocketPeer* peer, int socket, int code, const char* reason,
                 double close_seconds, char* error, int error_size);
void wsp_js_destroy(int socket);

EMSCRIPTEN_KEEPALIVE char* wsp_web_scratch(wsp::WebWebSocketPeer* peer, size_t size) {
  return peer->scratch(size);
}
EMSCRIPTEN_KEEPALIVE void wsp_web_on_open(wsp::WebWebSocketPeer* peer, const char* protocol) {
  peer->on_open(protocol);
}
EMSCRIPTEN_KEEPALIVE uint8_t* wsp_web_reserve(wsp::WebWebSocketPeer* peer, size_t size,
                                              int is_text) {
  return peer->reserve_message(size, is_text != 0);
}
EMSCRIPTEN_KEEPALIVE void wsp_web_commit(wsp::WebWebSocketPeer* peer, int is_text) {
  peer->commit_message(is_text != 0);
}
EMSCRIPTEN_KEEPALIVE void wsp_web_on_error(wsp::WebWebSocketPeer* peer) { peer->on_error(); }
EMSCRIPTEN_KEEPALIVE void wsp_web_on_timeout(wsp::WebWebSocketPeer* peer, int closing) {
  peer->on_timeout(closing != 0);
}
EMSCRIPTEN_KEEPALIVE void wsp_web_on_close(wsp::WebWebSocketPeer* peer, int code,
                                           const char* reason, int was_clean) {
  peer->on_close(code, reason, was_clean != 0);
}
}

namespace wsp {

std::unique_ptr<WebSocketPeer> WebSocketPeer::create() {
  return std::make_unique<WebWebSocketPeer>();
}

WebWebSocketPeer::~WebWebSocketPeer() { release_socket(); }

Error WebWebSocketPeer::connect_to_url(const std::string& url,
                                       std::shared_ptr<const TLSOptions> tls_client_options) {
  WsUrl parsed;
  if (Error error = check_connect_arguments(url, tls_client_options.get(), &parsed); error != OK) {
    return error;
  }

  release_socket();
  begin_session();
  limit_failure_ = false;
  limit_reason_.clear();
  set_text(&Texts::requested_url, url);

  std::string protocols;
  for (const std::string& protocol : lists().protocols) {
    protocols += (protocols.empty() ? "" : ",") + protocol;
  }
  // The browser gets the normalised URL: brackets of IPv6 literals kept, fragment and
  // credentials dropped (browsers do not send them in a WebSocket handshake).
  char failure[512] = {0};
  socket_ = wsp_js_create(this, parsed.to_string().c_str(), protocols.c_str(),
                          get_handshake_timeout(), failure, sizeof(failure));
  if (socket_ == 0) {
    set_closed(kCloseUnclean, "");
    return fail_call(ERR_CANT_CONNECT,
                     std::string("The browser refused to open the WebSocket: ") + failure);
  }
  state_ = STATE_CONNECTING;
  std::string notes;
  if (!lists().headers.empty())
    notes += " handshake_headers are ignored: browsers cannot set them.";
  if (heartbeat_interval_ms_ > 0)
    notes += " heartbeat_interval has no effect: browsers send no pings.";
  if (max_queued_packets_ != DEFAULT_MAX_QUEUED_PACKETS) {
    notes +=
        " max_queued_packets counts received messages only: a browser does not say how many "
        "messages wait to be sent (get_current_outbound_buffered_amount() gives their bytes).";
  }
  if (tls_client_options) notes += " TLS options are ignored: the browser verifies certificates.";
  if (!get_proxy().empty())
    notes += " set_proxy() is ignored: the browser uses its own proxy settings.";
  if (!parsed.userinfo.empty()) notes += " Credentials in the URL are not sent by browsers.";
  if (!notes.empty()) set_last_error("Connecting in a browser:" + notes);
  return OK;
}

Error WebWebSocketPeer::accept_stream(std::shared_ptr<StreamPeer>, std::string_view) {
  return fail_call(ERR_UNAVAILABLE,
                   "accept_stream: acting as a WebSocket server is not possible in a browser.");
}

void WebWebSocketPeer::poll() {
  if (state_ == STATE_OPEN && inbound_.count() == 0) inbound_.release_if_idle();
}

std::string WebWebSocketPeer::get_connected_host() const {
  const_cast<WebWebSocketPeer*>(this)->set_last_error(
      "get_connected_host: browsers do not expose the remote address.");
  return "";
}

int WebWebSocketPeer::get_connected_port() const {
  const_cast<WebWebSocketPeer*>(this)->set_last_error(
      "get_connected_port: browsers do not expose the remote port.");
  return 0;
}

int64_t WebWebSocketPeer::get_current_outbound_buffered_amount() const {
  return socket_ ? static_cast<int64_t>(wsp_js_buffered_amount(socket_)) : 0;
}

void WebWebSocketPeer::set_no_delay(bool) {
  set_last_error("set_no_delay has no effect in a browser (it manages TCP itself).");
}

bool WebWebSocketPeer::close_code_allowed(int code) const {
  return code == kCloseNormal || (code >= 3000 && code <= 4999);
}

Error WebWebSocketPeer::send_message(const uint8_t* data, size_t size, bool is_text) {
  if (wsp_js_send(socket_, data, size, is_text ? 1 : 0) != 0) {
    return fail_call(FAILED, "Cannot send: the browser WebSocket is not open.");
  }
  return OK;
}

void WebWebSocketPeer::begin_close(int code, std::string_view reason) {
  char failure[256] = {0};
  const std::string reason_text(reason);
  if (wsp_js_close(this, socket_, code, reason_text.c_str(), get_close_timeout(), failure,
                   sizeof(failure)) != 0) {
    set_last_error(std::string("The browser refused close(): ") + failure);
  }
  state_ = STATE_CLOSING;  // messages keep arriving, and stay readable, until onclose
}

void WebWebSocketPeer::abort_connection() {
  if (socket_ && state_ != STATE_CONNECTING) {
    set_last_error(
        "close(-1) in a browser: a browser cannot drop a connection without a close frame, so "
        "it sent one without a status (the remote sees 1005); this peer is CLOSED at once.");
  }
  release_socket();
  set_closed(kCloseUnclean, "");
}

void WebWebSocketPeer::release_socket() {
  if (socket_) wsp_js_destroy(socket_);
  socket_ = 0;
}

// ---- events from JavaScript ----

char* WebWebSocketPeer::scratch(size_t size) {
  scratch_.assign(size, '\0');
  return scratch_.data();
}

void WebWebSocketPeer::on_open(const char* protocol_and_extensions) {
  if (state_ != STATE_CONNECTING) return;
  const std::string_view agreed(protocol_and_extensions);
  const size_t newline = agreed.find('\n');
  set_text(&Texts::selected_protocol, std::string(agreed.substr(0, newline)));
  set_text(&Texts::selected_extensions,
           std::string(newline == std::string_view::npos ? "" : agreed.substr(newline + 1)));
  handshake_status_ = 101;
  state_ = STATE_OPEN;
}

uint8_t* WebWebSocketPeer::reserve_message(size_t size, bool is_text) {
  if (limit_failure_ || (state_ != STATE_OPEN && state_ != STATE_CLOSING)) return nullptr;
  // No back-pressure is possible in a browser: a message that does not fit closes the
  // connection with a reason instead of disappearing silently.
  if (size > inbound_.max_message_size() ||
      inbound_.queued_bytes() + size > inbound_.max_message_size()) {
    fail_with_1009("Message too big: " + std::to_string(size) + " bytes with " +
                   std::to_string(inbound_.queued_bytes()) +
                   " unread bytes exceed inbound_buffer_size (" +
                   std::to_string(inbound_.max_message_size()) + ").");
    return nullptr;
  }
  if (inbound_.count() >= inbound_.max_packets()) {
    fail_with_1009("Too many unread messages: max_queued_packets (" +
                   std::to_string(inbound_.max_packets()) + ") reached.");
    return nullptr;
  }
  (void)is_text;
  uint8_t* target = inbound_.extend_partial(size);
  // An empty message needs no bytes, but JavaScript reads a null pointer as "refused".
  static uint8_t empty_target;
  return target ? target : &empty_target;
}

void WebWebSocketPeer::commit_message(bool is_text) {
  inbound_.commit_partial(is_text);
  if (message_handler_) message_handler_();
}

void WebWebSocketPeer::fail_with_1009(std::string reason) {
  limit_failure_ = true;
  limit_reason_ = "Message too big";
  set_last_error(std::move(reason) +
                 " The remote is told 1000 \"Message too big\": browsers cannot send 1009.");
  // Browsers do not let applications send 1009; the remote gets 1000 with the reason, and
  // get_close_code() reports 1009 as for a native peer.
  char failure[256] = {0};
  wsp_js_close(this, socket_, kCloseNormal, limit_reason_.c_str(), get_close_timeout(), failure,
               sizeof(failure));
  state_ = STATE_CLOSING;
}

void WebWebSocketPeer::on_error() {
  if (state_ == STATE_CONNECTING) {
    // The connection could not be opened. Some implementations (Node 20's WebSocket) never
    // follow with a close event, so the peer ends here instead of waiting for one.
    set_last_error(
        "The WebSocket connection could not be opened (the browser does not say why: refused, "
        "DNS, TLS or an HTTP refusal, whose status and headers a page cannot see; see the "
        "browser console).");
    release_socket();
    set_closed(kCloseUnclean, "");
    return;
  }
  if (get_last_error().empty()) set_last_error("The browser reported a WebSocket error.");
}

void WebWebSocketPeer::on_timeout(bool closing) {
  // The library already detached the browser's socket (closed it if it was still open).
  socket_ = 0;
  set_last_error(closing ? close_timeout_text() : handshake_timeout_text());
  if (limit_failure_) {
    set_closed(kCloseMessageTooBig, limit_reason_);  // as natively: the code we closed with
  } else {
    set_closed(kCloseUnclean, "");
  }
}

void WebWebSocketPeer::on_close(int code, const char* reason, bool was_clean) {
  socket_ = 0;  // the library forgets the socket after this event
  if (limit_failure_) {
    set_closed(kCloseMessageTooBig, limit_reason_);
    return;
  }
  if (!was_clean) {
    if (get_last_error().empty()) {
      set_last_error("The connection closed uncleanly (browser code " + std::to_string(code) +
                     ").");
    }
    set_closed(kCloseUnclean, reason);
    return;
  }
  set_closed(code, reason);  // 1005 when the close frame had no status
}

}  // namespace wsp
