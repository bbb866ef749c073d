// Which proxy, if any, a client connection goes through: the application's own setting, or the
// environment read the way curl reads it.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "wspeer/core/error.h"
#include "wspeer/core/proxy/proxy_url.h"
#include "wspeer/core/url.h"

namespace wsp {

/// Reads one environment variable (std::getenv natively; a map in tests). nullopt when unset.
using EnvironmentLookup = std::function<std::optional<std::string>(const char* name)>;

/// The process environment.
EnvironmentLookup process_environment();

/// Whether a no_proxy value exempts `host` (as in WsUrl: lowercased, IPv6 without brackets).
/// Entries are separated by commas or spaces; "*" exempts every host; a name matches itself and
/// its subdomains ("example.com" and ".example.com" both match "example.com" and
/// "a.example.com", not "badexample.com"); an IP literal matches itself and a CIDR entry
/// ("10.0.0.0/8", "fd00::/8") the addresses it covers. Ports in entries are ignored.
bool no_proxy_matches(std::string_view no_proxy, std::string_view host);

struct ProxyChoice {
  std::optional<ProxyUrl> proxy;  ///< nullopt: connect directly
  /// Where it came from: "set_proxy()" or the variable's name ("wss_proxy", "HTTPS_PROXY", ...);
  /// when connecting directly because of no_proxy, that variable's name.
  std::string source;
};

/// The proxy for a connection to `target`. An explicit `configured` URL (set_proxy()) is used for
/// every connection. Otherwise, when `use_environment` is true, the first variable set and not
/// empty of: for wss:// wss_proxy, WSS_PROXY, https_proxy, HTTPS_PROXY; for ws:// ws_proxy,
/// WS_PROXY, http_proxy (lowercase only: a CGI program's HTTP_PROXY comes from the request's
/// "Proxy:" header, as curl also reasons); then all_proxy, ALL_PROXY; unless no_proxy (or
/// NO_PROXY) exempts the host. A malformed URL gives ERR_INVALID_PARAMETER, the variable named.
Error choose_proxy(const WsUrl& target, std::string_view configured, bool use_environment,
                   const EnvironmentLookup& environment, ProxyChoice* choice, std::string* error);

}  // namespace wsp
