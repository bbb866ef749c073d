// An HTTP proxy's tunnel: CONNECT host:port (RFC 9110 §9.3.6) with optional Basic credentials
// (RFC 7617); any 2xx opens the tunnel. A plain forwarded GET would not do: proxies such as
// tinyproxy and squid drop the Upgrade header, so even ws:// needs CONNECT.
#pragma once

#include "wspeer/core/http.h"
#include "wspeer/core/proxy/proxy_handshake.h"

namespace wsp {

class HttpConnectHandshake : public ProxyHandshake {
 public:
  HttpConnectHandshake(const ProxyUrl& proxy, const ProxyTarget& target);
  size_t receive(const uint8_t* data, size_t size) override;

 private:
  void judge_reply();

  std::string proxy_name_;
  std::string authority_;  ///< host:port of the server, as in the request line
  bool sent_credentials_ = false;
  HttpHeadReader reader_;
};

}  // namespace wsp
