#include "web_demo/origin_policy.h"

namespace wsp::demo {

bool OriginPolicy::allows(const HttpHeaders& request_headers, std::string* why) const {
  const auto origin = find_header(request_headers, "Origin");
  if (!origin) return true;
  for (const std::string& allowed : extra_) {
    if (equals_ignore_case(*origin, allowed)) return true;
  }
  const auto host = find_header(request_headers, "Host");
  if (host && equals_ignore_case(*origin, std::string(tls_ ? "https://" : "http://") + *host)) {
    return true;
  }
  *why = "Origin " + *origin + " is not allowed to join this room (start the server with " +
         "--allow-origin " + *origin + " to allow it).\n";
  return false;
}

}  // namespace wsp::demo
