#include "wspeer/core/proxy/proxy_choice.h"

#include <cstdlib>

#include "wspeer/core/proxy/ip_literal.h"

namespace wsp {
namespace {

bool ends_with_label(std::string_view host, std::string_view suffix) {
  if (suffix.empty() || host.size() < suffix.size()) return false;
  if (host.substr(host.size() - suffix.size()) != suffix) return false;
  return host.size() == suffix.size() || host[host.size() - suffix.size() - 1] == '.';
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool entry_matches(std::string_view entry, std::string_view host,
                   const std::optional<IpLiteral>& host_ip) {
  if (entry == "*") return true;
  if (!entry.empty() && entry.front() == '[') {
    // "[::1]" or "[::1]:8080": an IPv6 literal in brackets, the port ignored.
    const size_t close = entry.find(']');
    if (close == std::string_view::npos) return false;
    const std::string_view inside = entry.substr(1, close - 1);
    std::string_view after = entry.substr(close + 1);
    if (!after.empty() && after.front() == '/') {
      return entry_matches(std::string(inside) + std::string(after), host, host_ip);
    }
    entry = inside;
  }
  if (const size_t slash = entry.find('/'); slash != std::string_view::npos) {
    const auto network = parse_ip_literal(entry.substr(0, slash));
    const std::string_view bits_text = entry.substr(slash + 1);
    if (!network || !host_ip || bits_text.empty() || bits_text.size() > 3) return false;
    int bits = 0;
    for (char c : bits_text) {
      if (c < '0' || c > '9') return false;
      bits = bits * 10 + (c - '0');
    }
    if (bits > static_cast<int>(network->size()) * 8) return false;
    return same_prefix(*network, *host_ip, bits);
  }
  if (const auto literal = parse_ip_literal(entry)) {
    return host_ip && same_prefix(*literal, *host_ip, 128);
  }
  // A name, perhaps with a port (ignored) and a leading or trailing dot.
  if (const size_t colon = entry.find(':'); colon != std::string_view::npos) {
    entry = entry.substr(0, colon);
  }
  while (!entry.empty() && entry.front() == '.') entry.remove_prefix(1);
  while (!entry.empty() && entry.back() == '.') entry.remove_suffix(1);
  if (entry.empty() || host_ip) return false;
  return ends_with_label(host, lowercase(entry));
}

std::optional<std::string> first_set(const EnvironmentLookup& environment,
                                     std::initializer_list<const char*> names,
                                     std::string* source) {
  for (const char* name : names) {
    std::optional<std::string> value = environment(name);
    if (value && !value->empty()) {
      *source = name;
      return value;
    }
  }
  return std::nullopt;
}

}  // namespace

EnvironmentLookup process_environment() {
  return [](const char* name) -> std::optional<std::string> {
    const char* value = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): read only
    if (!value) return std::nullopt;
    return std::string(value);
  };
}

bool no_proxy_matches(std::string_view no_proxy, std::string_view host) {
  while (!host.empty() && host.back() == '.') host.remove_suffix(1);
  const std::optional<IpLiteral> host_ip = parse_ip_literal(host);
  size_t start = 0;
  while (start < no_proxy.size()) {
    size_t end = no_proxy.find_first_of(", \t", start);
    if (end == std::string_view::npos) end = no_proxy.size();
    const std::string_view entry = no_proxy.substr(start, end - start);
    if (!entry.empty() && entry_matches(entry, host, host_ip)) return true;
    start = end + 1;
  }
  return false;
}

Error choose_proxy(const WsUrl& target, std::string_view configured, bool use_environment,
                   const EnvironmentLookup& environment, ProxyChoice* choice, std::string* error) {
  *choice = ProxyChoice();
  if (!configured.empty()) {
    ProxyUrl proxy;
    if (Error failed = parse_proxy_url(configured, &proxy, error); failed != OK) return failed;
    choice->proxy = std::move(proxy);
    choice->source = "set_proxy()";
    return OK;
  }
  if (!use_environment) return OK;
  std::string source;
  const std::optional<std::string> value =
      target.secure
          ? first_set(
                environment,
                {"wss_proxy", "WSS_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"},
                &source)
          : first_set(environment, {"ws_proxy", "WS_PROXY", "http_proxy", "all_proxy", "ALL_PROXY"},
                      &source);
  if (!value) return OK;
  std::string exempt_source;
  if (const auto no_proxy = first_set(environment, {"no_proxy", "NO_PROXY"}, &exempt_source);
      no_proxy && no_proxy_matches(*no_proxy, target.host)) {
    choice->source = exempt_source;
    return OK;
  }
  ProxyUrl proxy;
  std::string detail;
  if (parse_proxy_url(*value, &proxy, &detail) != OK) {
    if (error) *error = "The environment variable " + source + " is not a usable proxy: " + detail;
    return ERR_INVALID_PARAMETER;
  }
  choice->proxy = std::move(proxy);
  choice->source = source;
  return OK;
}

}  // namespace wsp
