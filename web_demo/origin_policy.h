// Which pages may open a WebSocket to the demo server. Browsers send the page's origin with every
// WebSocket request and let any site connect anywhere, so without this check a page on another
// site could join the room in a visitor's name (cross-site WebSocket hijacking). A page can also
// make its own name resolve to this machine (DNS rebinding): its requests then carry that name
// as both Host and Origin, so a browser's request must also name this server in Host.
#pragma once

#include <string>
#include <vector>

#include "wspeer/core/http.h"

namespace wsp::demo {

class OriginPolicy {
 public:
  // Same origin is always allowed; `extra` lists more origins ("https://game.example").
  // `host_names` are the names the server answers to (lowercase, no port; see server_names.h).
  OriginPolicy(bool tls, std::vector<std::string> extra, std::vector<std::string> host_names)
      : tls_(tls), extra_(std::move(extra)), host_names_(std::move(host_names)) {}
  // True for a request without Origin (not a browser: a native client). A browser's request
  // must name this server in Host (one of `host_names`, any port), and come from the origin
  // the server itself serves (scheme + Host) or from one of the extra origins; "null"
  // (sandboxed or file:// pages) only when listed. Otherwise false, with the reason in `*why`.
  bool allows(const HttpHeaders& request_headers, std::string* why) const;

 private:
  bool tls_;
  std::vector<std::string> extra_;
  std::vector<std::string> host_names_;
};

}  // namespace wsp::demo
