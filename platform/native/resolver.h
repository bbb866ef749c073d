// Host name resolution that never blocks the caller's poll loop.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "wspeer/platform/native/socket_address.h"

namespace wsp::native {

struct ResolveResult {
  std::vector<SocketAddress> addresses;  ///< every address, in getaddrinfo's order
  std::string error;                     ///< set when resolution failed
};

/// One lookup in flight. getaddrinfo() blocks, so it runs on a short-lived thread of its own; the
/// caller polls done(). Dropping the handle abandons the lookup (the thread finishes on its own).
class ResolveJob {
 public:
  static std::shared_ptr<ResolveJob> start(const std::string& host, int port);
  virtual ~ResolveJob() = default;
  /// True once the result is ready; then `*result` is filled.
  virtual bool done(ResolveResult* result) = 0;
};

/// For tests: every lookup is answered by `resolve` (on the resolver's thread) instead of
/// getaddrinfo, e.g. a name with an address that never answers before a good one. An empty
/// function restores getaddrinfo.
void set_resolver_for_testing(
    std::function<ResolveResult(const std::string& host, int port)> resolve);

}  // namespace wsp::native
