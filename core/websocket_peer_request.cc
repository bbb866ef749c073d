// The server side's decision point: the application accepts or refuses a request before any
// response is sent (WebSocketPeer::accept_request and reject_request).
#include <algorithm>

#include "wspeer/core/handshake.h"
#include "wspeer/core/websocket_peer.h"

namespace wsp {
namespace {

Error check_header_lines(const std::vector<std::string>& lines, std::string* error) {
  for (const std::string& line : lines) {
    if (!validate_extra_header(line, error)) return ERR_INVALID_PARAMETER;
  }
  return OK;
}

}  // namespace

std::vector<std::string> WebSocketPeer::get_requested_protocols() const {
  return offered_protocols(get_request_headers());
}

Error WebSocketPeer::accept_request(std::string_view protocol,
                                    std::vector<std::string> extra_headers) {
  if (!request_pending_) {
    return fail_call(FAILED, "accept_request: no request is waiting for a decision.");
  }
  std::string error;
  if (check_header_lines(extra_headers, &error) != OK) {
    return fail_call(ERR_INVALID_PARAMETER, "accept_request: " + error);
  }
  const std::vector<std::string> offered = get_requested_protocols();
  std::string chosen(protocol);
  if (chosen.empty()) {
    chosen = choose_protocol(offered, lists().protocols);
  } else if (std::find(offered.begin(), offered.end(), chosen) == offered.end()) {
    return fail_call(ERR_INVALID_PARAMETER,
                     "accept_request: the client did not offer sub-protocol \"" + chosen + "\".");
  }
  const auto key = find_header(get_request_headers(), "Sec-WebSocket-Key");
  std::vector<std::string> headers = lists().headers;
  headers.insert(headers.end(), extra_headers.begin(), extra_headers.end());
  request_pending_ = false;
  set_text(&Texts::selected_protocol, chosen);
  handshake_status_ = 101;
  // The selected extensions are what the server accepted when the request arrived.
  answer_request(build_switching_response(compute_accept_key(key.value_or("")), chosen, headers,
                                          get_selected_extensions()),
                 101);
  return OK;
}

Error WebSocketPeer::reject_request(int status, std::vector<std::string> extra_headers,
                                    std::string_view body) {
  if (!request_pending_) {
    return fail_call(FAILED, "reject_request: no request is waiting for a decision.");
  }
  if (status < 300 || status > 599) {
    return fail_call(
        ERR_INVALID_PARAMETER,
        "reject_request: the status must be from 300 to 599, not " + std::to_string(status) + ".");
  }
  std::string error;
  if (check_header_lines(extra_headers, &error) != OK) {
    return fail_call(ERR_INVALID_PARAMETER, "reject_request: " + error);
  }
  request_pending_ = false;
  handshake_status_ = status;
  set_text(&Texts::selected_extensions, "");
  set_last_error("Refused handshake with HTTP " + std::to_string(status) +
                 ": rejected by the application.");
  answer_request(build_http_error_response(status, body, extra_headers), status);
  return OK;
}

}  // namespace wsp
