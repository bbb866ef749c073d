#include "wspeer/core/handshake.h"

#include "wspeer/core/base64.h"
#include "wspeer/core/random.h"
#include "wspeer/core/sha1.h"

namespace wsp {
namespace {

constexpr std::string_view kAcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

const char* status_text(int status) {
  switch (status) {
    case 101:
      return "Switching Protocols";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 426:
      return "Upgrade Required";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
  }
  return "Error";
}

std::string describe_status(const ClientHandshakeResult& result) {
  std::string text = "HTTP " + std::to_string(result.status);
  if (!result.reason_phrase.empty()) text += " " + result.reason_phrase;
  return text;
}

ServerHandshakeResult refuse(ServerHandshakeResult result, int status, std::string error,
                             std::vector<std::string> extra = {}) {
  result.status = status;
  result.error = std::move(error);
  result.response = build_http_error_response(status, result.error + "\n", extra);
  return result;
}

}  // namespace

bool looks_like_tls_record(std::string_view bytes) {
  // Content type 22 (handshake) or 21 (alert): control characters no HTTP head starts with.
  return !bytes.empty() && (bytes[0] == 0x16 || bytes[0] == 0x15);
}

std::string make_handshake_key() {
  uint8_t nonce[16];
  fill_random(nonce, sizeof(nonce));
  return base64_encode(nonce, sizeof(nonce));
}

std::string compute_accept_key(std::string_view key) {
  std::string input(key);
  input += kAcceptGuid;
  const auto digest = sha1(input);
  return base64_encode(digest.data(), digest.size());
}

bool validate_extra_header(std::string_view line, std::string* error) {
  for (char c : line) {
    if (c == '\r' || c == '\n' || c == '\0') {
      *error = "Handshake header contains CR, LF or NUL: refused to prevent header injection.";
      return false;
    }
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos || !is_http_token(line.substr(0, colon))) {
    *error = "Handshake header must look like \"Name: value\": \"" + std::string(line) + "\".";
    return false;
  }
  std::string_view name = line.substr(0, colon);
  static constexpr std::string_view kReserved[] = {"host",
                                                   "upgrade",
                                                   "connection",
                                                   "sec-websocket-key",
                                                   "sec-websocket-accept",
                                                   "sec-websocket-version",
                                                   "sec-websocket-protocol",
                                                   "sec-websocket-extensions",
                                                   "content-length",
                                                   "transfer-encoding"};
  for (std::string_view reserved : kReserved) {
    if (equals_ignore_case(name, reserved)) {
      *error = "Handshake header \"" + std::string(name) +
               "\" is set by the handshake itself and cannot be overridden.";
      return false;
    }
  }
  return true;
}

std::string build_client_request(const WsUrl& url, std::string_view key,
                                 const std::vector<std::string>& protocols,
                                 const std::vector<std::string>& extra_headers,
                                 std::string_view extensions) {
  std::string request;
  request.reserve(256);
  request += "GET " + url.resource + " HTTP/1.1\r\n";
  request += "Host: " + url.host_header() + "\r\n";
  request += "Upgrade: websocket\r\n";
  request += "Connection: Upgrade\r\n";
  request += "Sec-WebSocket-Key: ";
  request += key;
  request += "\r\n";
  request += "Sec-WebSocket-Version: 13\r\n";
  if (!protocols.empty()) {
    request += "Sec-WebSocket-Protocol: ";
    for (size_t i = 0; i < protocols.size(); ++i) {
      if (i) request += ", ";
      request += protocols[i];
    }
    request += "\r\n";
  }
  if (!extensions.empty()) {
    request += "Sec-WebSocket-Extensions: ";
    request += extensions;
    request += "\r\n";
  }
  if (!url.userinfo.empty()) {
    request +=
        "Authorization: Basic " +
        base64_encode(reinterpret_cast<const uint8_t*>(url.userinfo.data()), url.userinfo.size()) +
        "\r\n";
  }
  for (const std::string& line : extra_headers) request += line + "\r\n";
  request += "\r\n";
  return request;
}

ClientHandshakeResult check_server_response(std::string_view head, std::string_view key,
                                            const std::vector<std::string>& protocols,
                                            const DeflateOptions* deflate_offered) {
  ClientHandshakeResult result;
  HttpResponseHead response;
  std::string error;
  if (!parse_response_head(head, &response, &error)) {
    result.error = "Invalid handshake response: " + error;
    return result;
  }
  result.status = response.status;
  result.reason_phrase = response.reason;
  result.headers = response.headers;
  if (response.status != 101) {
    result.error =
        "Server answered " + describe_status(result) + " instead of 101 Switching Protocols.";
    return result;
  }
  if (!header_has_token(response.headers, "Upgrade", "websocket")) {
    result.error = "Invalid handshake response: missing \"Upgrade: websocket\".";
    return result;
  }
  if (!header_has_token(response.headers, "Connection", "upgrade")) {
    result.error = "Invalid handshake response: missing \"Connection: Upgrade\".";
    return result;
  }
  const auto accept = find_header(response.headers, "Sec-WebSocket-Accept");
  if (!accept || *accept != compute_accept_key(key)) {
    result.error = "Invalid handshake response: wrong or missing Sec-WebSocket-Accept.";
    return result;
  }
  const auto extensions = find_header(response.headers, "Sec-WebSocket-Extensions");
  if (deflate_offered) {
    ClientDeflateResult deflate = check_deflate_response(*deflate_offered, extensions);
    if (!deflate.ok) {
      result.error = "Invalid handshake response: " + deflate.error + ".";
      return result;
    }
    result.deflate = deflate.agreement;
    if (result.deflate) result.selected_extensions = *extensions;
  } else if (extensions && !extensions->empty()) {
    result.error = "Invalid handshake response: server selected extension \"" + *extensions +
                   "\" that was not offered.";
    return result;
  }
  if (const auto protocol = find_header(response.headers, "Sec-WebSocket-Protocol")) {
    bool requested = false;
    for (const std::string& offered : protocols) requested = requested || offered == *protocol;
    if (!requested) {
      result.error = "Invalid handshake response: server selected sub-protocol \"" + *protocol +
                     "\" that was not requested.";
      return result;
    }
    result.selected_protocol = *protocol;
  }
  result.ok = true;
  return result;
}

ServerHandshakeResult answer_client_request(std::string_view head,
                                            const std::vector<std::string>& supported_protocols,
                                            const std::vector<std::string>& extra_headers,
                                            const DeflateOptions* deflate) {
  ServerHandshakeResult result;
  HttpRequestHead request;
  std::string error;
  if (!parse_request_head(head, &request, &error)) return refuse(result, 400, error);
  result.path = request.target;
  result.headers = request.headers;
  if (request.method != "GET") {
    return refuse(result, 400, "WebSocket handshakes use GET, not " + request.method + ".");
  }
  if (request.version != "HTTP/1.1") {
    return refuse(result, 400, "WebSocket handshakes need HTTP/1.1, got " + request.version + ".");
  }
  if (request.target.front() != '/') {
    return refuse(result, 400, "Request target must be an absolute path.");
  }
  const auto host = find_header(request.headers, "Host");
  if (!host || host->empty()) return refuse(result, 400, "Missing Host header.");
  // RFC 9112 §3.2: more than one Host, or an invalid one, is a 400 (a proxy and this server
  // could otherwise disagree about which host was asked for).
  size_t host_lines = 0;
  for (const HttpHeader& header : request.headers)
    host_lines += equals_ignore_case(header.name, "Host");
  if (host_lines > 1) return refuse(result, 400, "More than one Host header.");
  if (!is_valid_host_value(*host)) return refuse(result, 400, "Invalid Host header.");
  result.host = *host;
  if (!header_has_token(request.headers, "Upgrade", "websocket")) {
    return refuse(result, 426, "This endpoint only accepts WebSocket upgrades.",
                  {"Upgrade: websocket", "Sec-WebSocket-Version: 13"});
  }
  if (!header_has_token(request.headers, "Connection", "upgrade")) {
    return refuse(result, 400, "Missing \"Connection: Upgrade\".");
  }
  const auto version = find_header(request.headers, "Sec-WebSocket-Version");
  if (!version || *version != "13") {
    return refuse(result, 426, "Unsupported WebSocket version; only 13 is supported.",
                  {"Sec-WebSocket-Version: 13"});
  }
  const auto key = find_header(request.headers, "Sec-WebSocket-Key");
  const auto decoded_key = key ? base64_decode(*key) : std::nullopt;
  if (!decoded_key || decoded_key->size() != 16) {
    return refuse(result, 400, "Missing or malformed Sec-WebSocket-Key.");
  }

  result.accept_key = compute_accept_key(*key);
  result.selected_protocol =
      choose_protocol(offered_protocols(request.headers), supported_protocols);
  if (deflate) {
    if (auto choice = choose_deflate_offer(
            *deflate, find_header(request.headers, "Sec-WebSocket-Extensions"))) {
      result.deflate = choice->agreement;
      result.selected_extensions = std::move(choice->response);
    }
  }
  result.response = build_switching_response(result.accept_key, result.selected_protocol,
                                             extra_headers, result.selected_extensions);
  result.status = 101;
  return result;
}

std::vector<std::string> offered_protocols(const HttpHeaders& request_headers) {
  const auto offered = find_header(request_headers, "Sec-WebSocket-Protocol");
  return offered ? split_header_list(*offered) : std::vector<std::string>{};
}

std::string choose_protocol(const std::vector<std::string>& offered,
                            const std::vector<std::string>& supported) {
  for (const std::string& protocol : offered) {
    for (const std::string& candidate : supported) {
      if (protocol == candidate) return protocol;
    }
  }
  return "";
}

std::string build_switching_response(std::string_view accept_key, std::string_view protocol,
                                     const std::vector<std::string>& extra_headers,
                                     std::string_view extensions) {
  std::string response =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n";
  response += "Sec-WebSocket-Accept: ";
  response += accept_key;
  response += "\r\n";
  if (!protocol.empty()) {
    response += "Sec-WebSocket-Protocol: ";
    response += protocol;
    response += "\r\n";
  }
  if (!extensions.empty()) {
    response += "Sec-WebSocket-Extensions: ";
    response += extensions;
    response += "\r\n";
  }
  for (const std::string& line : extra_headers) response += line + "\r\n";
  response += "\r\n";
  return response;
}

std::string build_http_error_response(int status, std::string_view body,
                                      const std::vector<std::string>& extra_header_lines) {
  std::string response = "HTTP/1.1 " + std::to_string(status) + " " + status_text(status) + "\r\n";
  bool typed = false;
  for (const std::string& line : extra_header_lines) {
    typed = typed || (line.size() > 13 && equals_ignore_case(line.substr(0, 13), "content-type:"));
  }
  if (!typed) response += "Content-Type: text/plain; charset=utf-8\r\n";
  response += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  response += "Connection: close\r\n";
  for (const std::string& line : extra_header_lines) response += line + "\r\n";
  response += "\r\n";
  response += body;
  return response;
}

}  // namespace wsp
