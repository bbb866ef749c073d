// The PROXY protocol (HAProxy's "proxy-protocol.txt", versions 1 and 2): the header a load
// balancer sends before anything else on a connection, saying whom the connection is really
// from. Parsed here without I/O; a listener configured to expect it reads the header first,
// from trusted balancers only (TCPServer::set_proxy_protocol()).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace wsp::proxy_protocol {

/// The longest header accepted: version 1 allows 107 bytes; version 2 carries the addresses in
/// 12 to 216 bytes and optional TLVs after them, which are skipped: more than this is refused.
inline constexpr size_t kMaxHeaderSize = 16 + 536;

struct Header {
  size_t size = 0;           ///< bytes of the connection the header took
  bool has_address = false;  ///< false for LOCAL (a health check) or UNKNOWN: keep the real peer
  std::string source_host;   ///< the client's address, e.g. "203.0.113.7" or "2001:db8::1"
  int source_port = 0;
  std::string destination_host;
  int destination_port = 0;
};

enum class Result {
  kNeedMore,  ///< a header may still follow: read more (at most kMaxHeaderSize in all)
  kComplete,  ///< `header` is filled in
  kInvalid,   ///< not a PROXY header, or a broken or oversized one: `error` says which
};

/// Parses the header at the start of `data` (the first bytes of a connection).
Result parse(std::span<const uint8_t> data, Header* header, std::string* error);

}  // namespace wsp::proxy_protocol
