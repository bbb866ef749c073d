// The echo server's work for one listener on one thread: wsp echo-server runs one per --threads,
// each with its own TCPServer (sharing the port), PeerPoller and clients, so threads share
// nothing but the settings.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "wspeer/core/deflate_options.h"
#include "wspeer/core/tls_options.h"
#include "wspeer/platform/native/peer_poller.h"
#include "wspeer/platform/native/tcp_server.h"

namespace wsp::tool {

struct EchoSettings {
  int max_message = 1 << 20;
  std::vector<std::string> protocols;
  DeflateOptions deflate;
  double handshake_timeout = 10;
  double close_timeout = 5;
  double heartbeat_interval = 0;  ///< 0: off
  long long busy_poll_us = 0;
  PeerPoller::Limits limits;  ///< for this listener's thread
  std::shared_ptr<const TLSOptions> tls;
  bool quiet = false;
};

/// Serves the clients of `server` until `stop` is set, then closes them with 1001 (waiting 2 s at
/// most). Returns how many clients it accepted.
size_t serve_echo(TCPServer& server, const EchoSettings& settings, const std::atomic<bool>& stop);

}  // namespace wsp::tool
