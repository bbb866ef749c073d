// Fuzzes the ws:// URL parser: no crash, and a parsed URL printed back parses to the same parts.
#include <cstddef>
#include <cstdint>
#include <string>

#include "wspeer/core/url.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  wsp::WsUrl url;
  std::string error;
  if (wsp::parse_ws_url(text, &url, &error) != wsp::OK) {
    if (error.empty()) __builtin_trap();
    return 0;
  }
  if (url.host.empty() || url.port == 0 || url.resource.empty() || url.resource[0] != '/') {
    __builtin_trap();
  }
  wsp::WsUrl again;
  if (wsp::parse_ws_url(url.to_string(), &again, &error) != wsp::OK) __builtin_trap();
  if (again.host != url.host || again.port != url.port || again.resource != url.resource ||
      again.secure != url.secure || again.host_is_ipv6 != url.host_is_ipv6) {
    __builtin_trap();
  }
  return 0;
}
