// Negotiating permessage-deflate (RFC 7692 §5, §7.1) in both roles: text in, text or an
// agreement out, no compression involved.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "wspeer/core/deflate_options.h"

namespace wsp {

/// The option values are in range (window bits 8–15, level 1–9, memory level 1–9).
bool deflate_options_valid(const DeflateOptions& options);

/// Whether `options` say to use the extension in this role.
bool deflate_enabled(const DeflateOptions& options, bool is_server);

/// The client's Sec-WebSocket-Extensions value for `options` (never empty).
std::string deflate_offer(const DeflateOptions& options);

/// The client's check of a response's Sec-WebSocket-Extensions value (`response` nothing when
/// the header was absent) against the offer made from `options`. An absent or empty header
/// means no extension; anything not offered, duplicated, out of range or not allowed fails with
/// `*error` set.
struct ClientDeflateResult {
  bool ok = false;
  std::optional<DeflateAgreement> agreement;  ///< when the server accepted
  std::string error;
};
ClientDeflateResult check_deflate_response(const DeflateOptions& options,
                                           const std::optional<std::string>& response);

/// The server's choice among a request's offers (its Sec-WebSocket-Extensions value): the first
/// permessage-deflate offer it can accept within `options`, nothing when none (offers of other
/// extensions are ignored; a malformed header is declined too).
struct ServerDeflateChoice {
  DeflateAgreement agreement;
  std::string response;  ///< the Sec-WebSocket-Extensions value that accepts the offer
};
std::optional<ServerDeflateChoice> choose_deflate_offer(const DeflateOptions& options,
                                                        const std::optional<std::string>& request);

/// The Sec-WebSocket-Extensions value that states an agreement in its shortest form (what
/// get_selected_extensions() returns).
std::string deflate_agreement_text(const DeflateAgreement& agreement);

}  // namespace wsp
