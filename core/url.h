// ws:// and wss:// URLs (RFC 6455 §3).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "wspeer/core/error.h"

namespace wsp {

struct WsUrl {
  bool secure = false;  ///< wss://
  std::string host;     ///< lowercased; an IPv6 literal without its brackets
  bool host_is_ipv6 = false;
  uint16_t port = 0;     ///< explicit, or 80 / 443 by scheme
  std::string resource;  ///< path and query, always starting with '/'; never the fragment
  std::string userinfo;  ///< "user:password" from the URL, percent-decoded, or empty

  uint16_t default_port() const { return secure ? 443 : 80; }
  /// Host as it appears in an authority: IPv6 literals keep their brackets.
  std::string host_for_authority() const;
  /// The Host header value: authority host, plus ":port" unless it is the scheme's default.
  std::string host_header() const;
  /// scheme://host[:port]/resource, without credentials or fragment.
  std::string to_string() const;
};

/// The authority of a URL: [userinfo "@"] host [":" port] (RFC 3986 §3.2).
struct UrlAuthority {
  std::string host;  ///< lowercased; an IPv6 literal without its brackets
  bool host_is_ipv6 = false;
  uint16_t port = 0;     ///< 0 when the authority names none
  std::string userinfo;  ///< as written (still percent-encoded), without the '@'
  bool has_userinfo = false;
};

/// Parses an authority the way parse_ws_url() does; `quoted` is the whole URL in quotes, for the
/// sentence in `*error`.
Error parse_url_authority(std::string_view authority, const std::string& quoted,
                          UrlAuthority* result, std::string* error);
/// Decodes %XX escapes; false when one is malformed.
bool percent_decode(std::string_view in, std::string* out);

/// Parses a WebSocket URL. A missing scheme means ws:// (as in Godot); any scheme other than
/// ws or wss, an empty or malformed host, a port outside 1-65535 or whitespace/control
/// characters give ERR_INVALID_PARAMETER with a sentence in `*error`.
Error parse_ws_url(std::string_view text, WsUrl* url, std::string* error);

}  // namespace wsp
