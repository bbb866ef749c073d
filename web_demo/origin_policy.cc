#include "web_demo/origin_policy.h"

#include <algorithm>

#include "web_demo/server_names.h"

namespace wsp::demo {

bool OriginPolicy::allows(const HttpHeaders& request_headers, std::string* why) const {
  const auto origin = find_header(request_headers, "Origin");
  if (!origin) return true;
  const auto host = find_header(request_headers, "Host");
  const std::string name = host ? host_name_of(std::string(*host)) : "";
  if (std::find(host_names_.begin(), host_names_.end(), name) == host_names_.end()) {
    *why = "Host " + (host ? std::string(*host) : std::string("(none)")) +
           " is not a name this server answers to (start the server with --allow-host " +
           (name.empty() ? std::string("NAME") : name) + " if it is).\n";
    return false;
  }
  for (const std::string& allowed : extra_) {
    if (equals_ignore_case(*origin, allowed)) return true;
  }
  if (equals_ignore_case(*origin, std::string(tls_ ? "https://" : "http://") + *host)) {
    return true;
  }
  *why = "Origin " + *origin + " is not allowed to join this room (start the server with " +
         "--allow-origin " + *origin + " to allow it).\n";
  return false;
}

}  // namespace wsp::demo
