// Which pages may open a WebSocket to the demo server. Browsers send the page's origin with every
// WebSocket request and let any site connect anywhere, so without this check a page on another
// site could join the room in a visitor's name (cross-site WebSocket hijacking).
#pragma once

#include <string>
#include <vector>

#include "wspeer/core/http.h"

namespace wsp::demo {

class OriginPolicy {
 public:
  // Same origin is always allowed; `extra` lists more origins ("https://game.example").
  OriginPolicy(bool tls, std::vector<std::string> extra) : tls_(tls), extra_(std::move(extra)) {}
  // True for a request without Origin (not a browser: a native client), for the origin the
  // server itself serves (scheme + Host), and for the extra origins; "null" (sandboxed or
  // file:// pages) only when listed. Otherwise false, with the reason in `*why`.
  bool allows(const HttpHeaders& request_headers, std::string* why) const;

 private:
  bool tls_;
  std::vector<std::string> extra_;
};

}  // namespace wsp::demo
