#include "wspeer/core/proxy/proxy_url.h"

#include "wspeer/core/url.h"

namespace wsp {
namespace {

Error fail(std::string* error, std::string message) {
  if (error) *error = std::move(message);
  return ERR_INVALID_PARAMETER;
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

std::string ProxyUrl::to_string() const {
  const char* scheme = kind == ProxyKind::kHttp     ? "http://"
                       : kind == ProxyKind::kSocks5 ? "socks5://"
                                                    : "socks5h://";
  return scheme + (host_is_ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Error parse_proxy_url(std::string_view text, ProxyUrl* proxy, std::string* error) {
  const std::string quoted = "\"" + std::string(text) + "\"";
  if (text.empty()) return fail(error, "Invalid proxy URL: the URL is empty.");
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F) {
      return fail(
          error, "Invalid proxy URL " + quoted + ": it contains whitespace or control characters.");
    }
  }
  ProxyUrl result;
  std::string_view rest = text;
  if (const size_t scheme_end = rest.find("://"); scheme_end != std::string_view::npos) {
    const std::string scheme = lowercase(rest.substr(0, scheme_end));
    if (scheme == "http") {
      result.kind = ProxyKind::kHttp;
    } else if (scheme == "socks5") {
      result.kind = ProxyKind::kSocks5;
    } else if (scheme == "socks5h") {
      result.kind = ProxyKind::kSocks5h;
    } else if (scheme == "https") {
      return fail(error, "Unsupported proxy URL " + quoted +
                             ": TLS to the proxy itself (https://) is not supported; use "
                             "http:// (a wss:// connection is encrypted end to end inside the "
                             "tunnel either way).");
    } else {
      return fail(error, "Unsupported proxy URL " + quoted + ": the scheme must be http://, " +
                             "socks5:// or socks5h://.");
    }
    rest.remove_prefix(scheme_end + 3);
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find_first_of("/?#") != std::string_view::npos) {
    return fail(error, "Invalid proxy URL " + quoted +
                           ": a proxy URL has no path or query (scheme://host:port).");
  }
  UrlAuthority authority;
  if (Error failed = parse_url_authority(rest, quoted, &authority, error); failed != OK) {
    if (error) error->replace(0, 11, "Invalid proxy URL");  // was "Invalid URL"
    return failed;
  }
  result.host = std::move(authority.host);
  result.host_is_ipv6 = authority.host_is_ipv6;
  result.port = authority.port != 0 ? authority.port : kDefaultProxyPort;
  if (authority.has_userinfo) {
    const std::string_view userinfo = authority.userinfo;
    const size_t colon = userinfo.find(':');
    if (!percent_decode(userinfo.substr(0, colon), &result.username) ||
        (colon != std::string_view::npos &&
         !percent_decode(userinfo.substr(colon + 1), &result.password))) {
      return fail(error,
                  "Invalid proxy URL " + quoted + ": malformed percent-encoding in credentials.");
    }
    if (result.username.empty()) {
      return fail(error, "Invalid proxy URL " + quoted + ": the user name is empty.");
    }
    result.has_credentials = true;
    if (result.kind != ProxyKind::kHttp &&
        (result.username.size() > 255 || result.password.size() > 255)) {
      return fail(error, "Invalid proxy URL " + quoted +
                             ": SOCKS5 user names and passwords are at most 255 bytes.");
    }
  }
  *proxy = std::move(result);
  return OK;
}

}  // namespace wsp
