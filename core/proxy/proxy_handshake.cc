#include "wspeer/core/proxy/proxy_handshake.h"

#include "wspeer/core/proxy/http_connect.h"
#include "wspeer/core/proxy/socks5.h"

namespace wsp {

bool needs_local_resolution(const ProxyUrl& proxy, const ProxyTarget& target) {
  return proxy.kind == ProxyKind::kSocks5 && !target.resolved &&
         !parse_ip_literal(target.host).has_value();
}

std::unique_ptr<ProxyHandshake> start_proxy_handshake(const ProxyUrl& proxy,
                                                      const ProxyTarget& target) {
  if (proxy.kind == ProxyKind::kHttp) return std::make_unique<HttpConnectHandshake>(proxy, target);
  ProxyTarget socks_target = target;
  if (proxy.kind == ProxyKind::kSocks5h) socks_target.resolved.reset();
  return std::make_unique<Socks5Handshake>(proxy, socks_target);
}

}  // namespace wsp
