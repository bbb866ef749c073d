#include "wspeer/core/proxy/http_connect.h"

#include "wspeer/core/base64.h"
#include "wspeer/core/handshake.h"

namespace wsp {
namespace {

bool offers_basic(std::string_view challenges) {
  for (size_t i = 0; i + 5 <= challenges.size(); ++i) {
    if (equals_ignore_case(challenges.substr(i, 5), "basic")) return true;
  }
  return false;
}

}  // namespace

HttpConnectHandshake::HttpConnectHandshake(const ProxyUrl& proxy, const ProxyTarget& target)
    : proxy_name_(proxy.to_string()),
      authority_((target.host_is_ipv6 ? "[" + target.host + "]" : target.host) + ":" +
                 std::to_string(target.port)),
      sent_credentials_(proxy.has_credentials),
      reader_(kMaxHandshakeHeadSize) {
  output_ = "CONNECT " + authority_ + " HTTP/1.1\r\nHost: " + authority_ + "\r\n";
  if (proxy.has_credentials) {
    const std::string pair = proxy.username + ":" + proxy.password;
    output_ += "Proxy-Authorization: Basic " +
               base64_encode(reinterpret_cast<const uint8_t*>(pair.data()), pair.size()) + "\r\n";
  }
  output_ += "\r\n";
}

size_t HttpConnectHandshake::receive(const uint8_t* data, size_t size) {
  if (status() != Status::kWorking) return 0;
  const size_t used = reader_.feed(data, size);
  if (reader_.too_large()) {
    fail("The proxy " + proxy_name_ + " answered CONNECT with a head longer than " +
         std::to_string(kMaxHandshakeHeadSize) + " bytes.");
  } else if (reader_.complete()) {
    judge_reply();
  }
  return used;
}

void HttpConnectHandshake::judge_reply() {
  HttpResponseHead response;
  std::string parse_error;
  if (!parse_response_head(reader_.head(), &response, &parse_error)) {
    fail("The proxy " + proxy_name_ + " did not answer CONNECT in HTTP (" + parse_error +
         "): is it an HTTP proxy?");
    return;
  }
  http_status_ = response.status;
  if (response.status >= 200 && response.status <= 299) {
    open();
    return;
  }
  std::string message = "The proxy " + proxy_name_ + " refused the tunnel to " + authority_ +
                        ": HTTP " + std::to_string(response.status) +
                        (response.reason.empty() ? "" : " " + response.reason) + ".";
  // tinyproxy answers bad credentials with 401 where RFC 9110 says 407.
  if (response.status == 407 || response.status == 401) {
    const auto scheme = find_header(
        response.headers, response.status == 407 ? "Proxy-Authenticate" : "WWW-Authenticate");
    if (!sent_credentials_) {
      message +=
          " It asks for credentials: give them in the proxy URL "
          "(http://user:password@host:port).";
    } else {
      message += " It did not accept the user name and password.";
    }
    if (scheme && !offers_basic(*scheme)) {
      message += " It asks for \"" + *scheme + "\"; only Basic is supported.";
    }
  }
  fail(std::move(message));
}

}  // namespace wsp
