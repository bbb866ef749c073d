// The RFC 6455 §4 opening handshake for both roles: building and checking the HTTP upgrade.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "wspeer/core/deflate_negotiation.h"
#include "wspeer/core/http.h"
#include "wspeer/core/url.h"

namespace wsp {

/// Larger heads are refused: 431 from a server, a failed handshake on a client.
constexpr size_t kMaxHandshakeHeadSize = 8192;

/// True when bytes that should start an HTTP head start a TLS record instead (a handshake or an
/// alert): a wss:// client talking to a plain server, or a ws:// client to a TLS one.
bool looks_like_tls_record(std::string_view bytes);

/// base64 of 16 random bytes (§4.1).
std::string make_handshake_key();
/// base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")) (§4.2.2).
std::string compute_accept_key(std::string_view key);

/// Checks one `handshake_headers` entry: "Name: value", a valid field name, no CR/LF/NUL, and
/// not one of the fields the handshake itself controls (Host, Upgrade, Connection,
/// Sec-WebSocket-*).
bool validate_extra_header(std::string_view line, std::string* error);

// ---- Client role ----

/// `extensions`: the Sec-WebSocket-Extensions offer ("" for none).
std::string build_client_request(const WsUrl& url, std::string_view key,
                                 const std::vector<std::string>& protocols,
                                 const std::vector<std::string>& extra_headers,
                                 std::string_view extensions = {});

struct ClientHandshakeResult {
  bool ok = false;
  int status = 0;  ///< HTTP status received (0 if the head was unparsable)
  std::string reason_phrase;
  HttpHeaders headers;                      ///< response headers, as received
  std::string selected_protocol;            ///< "" when the server selected none
  std::optional<DeflateAgreement> deflate;  ///< when permessage-deflate was agreed
  std::string selected_extensions;          ///< the response's Sec-WebSocket-Extensions value
  std::string error;                        ///< why it failed, in words
};

/// Validates a server's response head against what the client sent. `deflate_offered`: the
/// options the permessage-deflate offer was made from (null: no extension was offered).
ClientHandshakeResult check_server_response(std::string_view head, std::string_view key,
                                            const std::vector<std::string>& protocols,
                                            const DeflateOptions* deflate_offered = nullptr);

// ---- Server role ----

struct ServerHandshakeResult {
  int status = 0;        ///< 101 when accepted; otherwise 400, 426 or 431
  std::string response;  ///< complete bytes to send (an error response includes a body)
  std::string error;     ///< why it was refused, in words
  std::string path;      ///< request-target ("/chat?room=1")
  std::string host;      ///< Host header value
  HttpHeaders headers;   ///< request headers, as received
  std::string selected_protocol;
  std::string accept_key;  ///< Sec-WebSocket-Accept for this request (when it is valid)
  std::optional<DeflateAgreement> deflate;  ///< when the client's offer was accepted
  std::string selected_extensions;          ///< the response's Sec-WebSocket-Extensions value
};

/// Answers a client's request head. `supported_protocols` are tried in the client's order; when the
/// client offers protocols and none is supported, the server accepts without one (§4.2.2).
/// `deflate`: what the server accepts of permessage-deflate (null: declines every offer).
ServerHandshakeResult answer_client_request(std::string_view head,
                                            const std::vector<std::string>& supported_protocols,
                                            const std::vector<std::string>& extra_headers,
                                            const DeflateOptions* deflate = nullptr);

/// The sub-protocols a request offers, in its order (Sec-WebSocket-Protocol, all lines).
std::vector<std::string> offered_protocols(const HttpHeaders& request_headers);
/// The first offered protocol that is supported, "" if none.
std::string choose_protocol(const std::vector<std::string>& offered,
                            const std::vector<std::string>& supported);
/// The 101 response that accepts a request; `protocol` and `extensions` may be "".
std::string build_switching_response(std::string_view accept_key, std::string_view protocol,
                                     const std::vector<std::string>& extra_headers,
                                     std::string_view extensions = {});

/// An HTTP error response with a body (plain text unless `extra_header_lines` name a
/// Content-Type); `extra_header_lines` are "Name: value".
std::string build_http_error_response(int status, std::string_view body,
                                      const std::vector<std::string>& extra_header_lines = {});

}  // namespace wsp
