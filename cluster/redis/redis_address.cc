#include "wspeer/cluster/redis/redis_address.h"

#include <charconv>

namespace wsp::cluster {
namespace {

std::optional<std::string> unescape(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    unsigned value = 0;
    if (i + 2 >= text.size()) return {};
    const auto [end, ec] = std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16);
    if (ec != std::errc() || end != text.data() + i + 3) return {};
    out.push_back(static_cast<char>(value));
    i += 2;
  }
  return out;
}

bool parse_number(std::string_view text, int low, int high, int* out) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return false;
  if (value < low || value > high) return false;
  *out = value;
  return true;
}

}  // namespace

std::optional<RedisAddress> parse_redis_url(std::string_view url, std::string* error) {
  constexpr std::string_view kScheme = "redis://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    *error =
        "a Redis URL starts with redis:// (rediss:// and TLS are not supported: hiredis "
        "0.14 has no TLS; see docs/scaling.md)";
    return {};
  }
  std::string_view rest = url.substr(kScheme.size());
  RedisAddress address;
  if (const size_t slash = rest.find('/'); slash != std::string_view::npos) {
    if (slash + 1 < rest.size() && !parse_number(rest.substr(slash + 1), 0, 1 << 20, &address.db)) {
      *error = "the part after the last / is a database number";
      return {};
    }
    rest = rest.substr(0, slash);
  }
  if (const size_t at = rest.rfind('@'); at != std::string_view::npos) {
    const std::string_view credentials = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const size_t colon = credentials.find(':');
    std::optional<std::string> user = unescape(credentials.substr(0, colon));
    std::optional<std::string> password = colon == std::string_view::npos
                                              ? std::optional<std::string>(std::string())
                                              : unescape(credentials.substr(colon + 1));
    if (!user || !password) {
      *error = "a % in the user or password is not followed by two hex digits";
      return {};
    }
    // redis://SECRET@host: a lone word is the password (as redis-cli takes it).
    if (colon == std::string_view::npos) std::swap(*user, *password);
    address.user = std::move(*user);
    address.password = std::move(*password);
  }
  std::string_view port;
  if (!rest.empty() && rest.front() == '[') {
    const size_t close = rest.find(']');
    if (close == std::string_view::npos) {
      *error = "an IPv6 address in [ ] is not closed";
      return {};
    }
    address.host = std::string(rest.substr(1, close - 1));
    rest = rest.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') {
      *error = "expected :PORT after the IPv6 address";
      return {};
    }
    if (!rest.empty()) port = rest.substr(1);
  } else {
    const size_t colon = rest.find(':');
    address.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) port = rest.substr(colon + 1);
  }
  if (address.host.empty()) {
    *error = "the URL names no host";
    return {};
  }
  if (!port.empty() && !parse_number(port, 1, 65535, &address.port)) {
    *error = "the port is not a number from 1 to 65535";
    return {};
  }
  return address;
}

}  // namespace wsp::cluster
