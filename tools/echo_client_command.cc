// wsp echo-client: echoes every message a server sends, until the server closes. This is the
// client role of a conformance run.

#include <algorithm>
#include <cstdio>

#include "tools/args.h"
#include "tools/commands.h"
#include "tools/deflate_flags.h"
#include "tools/echo.h"
#include "tools/tls_flags.h"
#include "wspeer/core/close_code.h"
#include "wspeer/core/websocket_peer.h"
#include "wspeer/platform/native/native_websocket_peer.h"
#include "wspeer/platform/native/net.h"

namespace wsp::tool {
namespace {

constexpr const char* kHelp =
    "Usage: wsp echo-client URL [options]\n"
    "\n"
    "Connects to URL and sends every received message back with its type until the server\n"
    "closes the connection; answers the close and exits 0 after a clean close, 1 when the\n"
    "connection failed or ended without a close handshake, 2 for a usage error.\n"
    "\n"
    "Options (--name=value works too):\n"
    "  --max-message N     largest message accepted, in bytes (default 67108864)\n"
    "  --ca FILE           trust the CA certificate(s) in FILE (PEM)\n"
    "  -k, --insecure      do not verify the server's host name (nor, without --ca, its chain)\n"
    "  --heartbeat SECONDS ping every SECONDS; a peer silent for a whole interval while a\n"
    "                      ping is unanswered is dropped (close code -1). Default: off\n";
// After the deflate flags (deflate_flags.h) in the usage text.
constexpr const char* kHelpExamples =
    "\n"
    "Example:\n"
    "  wsp echo-client ws://127.0.0.1:9001/case/1\n";

}  // namespace

int run_echo_client(int argc, char** argv) {
  Args args;
  std::string error;
  if (!args.parse(argc, argv, 2,
                  with_flags({"--max-message", "--ca", "--heartbeat"}, kDeflateValueFlags),
                  with_flags({"--insecure", "--help"}, kDeflateSwitchFlags), &error)) {
    usage_error("echo-client", error);
    return 2;
  }
  if (args.has("--help")) {
    std::fputs(kHelp, stdout);
    std::fputs(kDeflateHelp, stdout);
    std::fputs(kHelpExamples, stdout);
    return 0;
  }
  if (args.positional().size() != 1) {
    usage_error("echo-client", "expected exactly one URL.");
    return 2;
  }
  long long max_message = 64 << 20;
  std::shared_ptr<const TLSOptions> tls;
  DeflateOptions deflate;
  double heartbeat = 0;
  if (!args.integer("--max-message", 1, 0x7FFFFFFF, &max_message, &error) ||
      !args.seconds("--heartbeat", &heartbeat, &error, /*zero_means_off=*/true) ||
      !client_tls_from_flags(args, &tls, &error) ||
      !deflate_from_flags(args, /*is_server=*/false, &deflate, &error)) {
    std::fprintf(stderr, "wsp echo-client: %s\n", error.c_str());
    return 2;
  }
  std::unique_ptr<WebSocketPeer> peer = WebSocketPeer::create();
  peer->set_inbound_buffer_size(static_cast<int>(max_message));
  peer->set_outbound_buffer_size(0);
  peer->set_deflate_options(deflate);
  peer->set_heartbeat_interval(heartbeat);
  if (const Error error = peer->connect_to_url(args.positional()[0], tls); error != OK) {
    std::fprintf(stderr, "wsp echo-client: %s\n", peer->get_last_error().c_str());
    return error == ERR_INVALID_PARAMETER ? 2 : 1;  // a URL that cannot be used is a usage error
  }
  auto* native = static_cast<NativeWebSocketPeer*>(peer.get());
  const int64_t max_buffered = std::max<int64_t>(max_message, 1 << 20);
  while (peer->get_ready_state() != WebSocketPeer::STATE_CLOSED) {
    peer->poll();
    echo_pending(*peer, max_buffered);
    const PollInterest interest = native->get_poll_interest();
    if (interest.fd < 0 || interest.poll_now) continue;
    native::wait_for(interest.fd, interest.wait_interest(), interest.timeout_ms(1000));
  }
  const int code = peer->get_close_code();
  std::fprintf(stderr, "closed with code %d%s%s\n", code,
               peer->get_last_error().empty() ? "" : ": ", peer->get_last_error().c_str());
  return code == kCloseUnclean ? 1 : 0;
}

}  // namespace wsp::tool
