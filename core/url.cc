#include "wspeer/core/url.h"

namespace wsp {
namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  return lower(c) - 'a' + 10;
}

bool is_host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

}  // namespace

bool percent_decode(std::string_view in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%') {
      if (i + 2 >= in.size()) return false;
      if (!is_hex(in[i + 1]) || !is_hex(in[i + 2])) return false;
      out->push_back(static_cast<char>(hex_value(in[i + 1]) * 16 + hex_value(in[i + 2])));
      i += 2;
    } else {
      out->push_back(in[i]);
    }
  }
  return true;
}

namespace {

Error fail(std::string* error, std::string message) {
  if (error) *error = std::move(message);
  return ERR_INVALID_PARAMETER;
}

}  // namespace

std::string WsUrl::host_for_authority() const { return host_is_ipv6 ? "[" + host + "]" : host; }

std::string WsUrl::host_header() const {
  std::string value = host_for_authority();
  if (port != default_port()) value += ":" + std::to_string(port);
  return value;
}

std::string WsUrl::to_string() const {
  return std::string(secure ? "wss://" : "ws://") + host_header() + resource;
}

Error parse_url_authority(std::string_view authority, const std::string& quoted,
                          UrlAuthority* parsed, std::string* error) {
  UrlAuthority result;
  if (const size_t at = authority.rfind('@'); at != std::string_view::npos) {
    result.userinfo = std::string(authority.substr(0, at));
    result.has_userinfo = true;
    authority.remove_prefix(at + 1);
  }

  std::string_view port_text;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return fail(error, "Invalid URL " + quoted + ": unterminated IPv6 literal.");
    }
    std::string_view literal = authority.substr(1, close - 1);
    if (literal.empty() || literal.find(':') == std::string_view::npos) {
      return fail(error, "Invalid URL " + quoted + ": malformed IPv6 literal.");
    }
    for (char c : literal) {
      if (!is_hex(c) && c != ':' && c != '.') {
        return fail(error, "Invalid URL " + quoted + ": malformed IPv6 literal.");
      }
    }
    for (char c : literal) result.host += lower(c);
    result.host_is_ipv6 = true;
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return fail(error, "Invalid URL " + quoted + ": junk after ']'.");
      port_text = after.substr(1);
      has_port = true;
    }
  } else {
    const size_t colon = authority.find(':');
    std::string_view host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      has_port = true;
      if (port_text.find(':') != std::string_view::npos) {
        return fail(error, "Invalid URL " + quoted +
                               ": too many ':' (IPv6 addresses must be written in brackets).");
      }
    }
    for (char c : host) {
      if (!is_host_char(c)) {
        return fail(error, "Invalid URL " + quoted + ": invalid character in host name" +
                               (static_cast<unsigned char>(c) >= 0x80
                                    ? " (internationalized names must be given in punycode)."
                                    : "."));
      }
      result.host += lower(c);
    }
  }
  if (result.host.empty()) return fail(error, "Invalid URL " + quoted + ": the host is empty.");

  if (has_port) {
    if (port_text.empty() || port_text.size() > 5) {
      return fail(error, "Invalid URL " + quoted + ": the port must be a number from 1 to 65535.");
    }
    int port = 0;
    for (char c : port_text) {
      if (c < '0' || c > '9') {
        return fail(error,
                    "Invalid URL " + quoted + ": the port must be a number from 1 to 65535.");
      }
      port = port * 10 + (c - '0');
    }
    if (port < 1 || port > 65535) {
      return fail(error, "Invalid URL " + quoted + ": the port must be a number from 1 to 65535.");
    }
    result.port = static_cast<uint16_t>(port);
  }
  *parsed = std::move(result);
  return OK;
}

Error parse_ws_url(std::string_view text, WsUrl* url, std::string* error) {
  const std::string quoted = "\"" + std::string(text) + "\"";
  if (text.empty()) return fail(error, "Invalid URL: the URL is empty.");
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F) {
      return fail(error,
                  "Invalid URL " + quoted + ": it contains whitespace or control characters.");
    }
  }

  WsUrl result;
  std::string_view rest = text;
  const size_t scheme_end = rest.find("://");
  if (scheme_end != std::string_view::npos) {
    std::string scheme;
    for (char c : rest.substr(0, scheme_end)) scheme += lower(c);
    if (scheme == "wss") {
      result.secure = true;
    } else if (scheme != "ws") {
      return fail(error, "Invalid protocol: \"" + std::string(rest.substr(0, scheme_end + 3)) +
                             "\" (must be either \"ws://\" or \"wss://\").");
    }
    rest.remove_prefix(scheme_end + 3);
  }

  // The fragment is never sent (RFC 6455 §3).
  if (const size_t hash = rest.find('#'); hash != std::string_view::npos)
    rest = rest.substr(0, hash);

  const size_t authority_end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, authority_end);
  std::string_view resource =
      authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);

  UrlAuthority parsed;
  if (Error failed = parse_url_authority(authority, quoted, &parsed, error); failed != OK) {
    return failed;
  }
  if (parsed.has_userinfo && !percent_decode(parsed.userinfo, &result.userinfo)) {
    return fail(error, "Invalid URL " + quoted + ": malformed percent-encoding in credentials.");
  }
  result.host = std::move(parsed.host);
  result.host_is_ipv6 = parsed.host_is_ipv6;
  result.port = parsed.port != 0 ? parsed.port : result.default_port();

  if (resource.empty()) {
    result.resource = "/";
  } else if (resource.front() == '?') {
    result.resource = "/" + std::string(resource);  // a query without a path
  } else {
    result.resource = std::string(resource);
  }
  *url = std::move(result);
  return OK;
}

}  // namespace wsp
