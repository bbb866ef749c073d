// wsp echo-server: echoes every message back with its type, to any number of clients.
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <thread>
#include <vector>

#include "tools/args.h"
#include "tools/commands.h"
#include "tools/deflate_flags.h"
#include "tools/echo_service.h"
#include "tools/process.h"
#include "tools/tls_flags.h"
#include "wspeer/core/close_code.h"
#include "wspeer/core/websocket_peer.h"
#include "wspeer/platform/native/peer_poller.h"
#include "wspeer/platform/native/stream_peer_tls.h"
#include "wspeer/platform/native/tcp_server.h"

namespace wsp::tool {
namespace {

constexpr const char* kHelp =
    "Usage: wsp echo-server [options]\n"
    "\n"
    "Serves WebSocket clients and sends every message back with its type (text or binary).\n"
    "Prints the port it listens on, then runs until interrupted (Ctrl-C closes every client\n"
    "with 1001 and exits).\n"
    "\n"
    "Exit status: 0 after Ctrl-C, 1 when it cannot listen, 2 for a usage error.\n"
    "\n"
    "Options (--name=value works too):\n"
    "  --host H            bind address: * (default: every address), 127.0.0.1, ::1, ...\n"
    "  -p, --port N        port to listen on; 0 (default) picks a free one\n"
    "  --tls-cert FILE     serve wss:// with this certificate chain (PEM) ...\n"
    "  --tls-key FILE      ... and this private key (PEM)\n"
    "  --max-message N     largest message accepted, in bytes (default 1048576); larger\n"
    "                      messages close the connection with 1009. A client that sends\n"
    "                      and never reads holds about 4 x N of server memory at most\n"
    "  --max-connections N clients served at once (default 10000); beyond it newcomers get\n"
    "                      HTTP 503 with Retry-After (0: no limit)\n"
    "  --max-per-ip N      clients served at once from one address, IPv6 clients counted by\n"
    "                      network (default 0: no limit)\n"
    "  --ipv6-prefix N     the IPv6 network --max-per-ip counts by: the first N bits\n"
    "                      (default 64; 128 counts each address alone)\n"
    "  --max-waiting N     connections whose request has not arrived yet (default 16384); they\n"
    "                      hold no place among the served, and when full the oldest silent\n"
    "                      one makes room for a newcomer (0: no limit)\n"
    "  --first-byte-timeout SECONDS   drop a connection that sends nothing for this long\n"
    "                      (default 3; 0: only --handshake-timeout); on Linux such\n"
    "                      connections also wait that long in the kernel, unaccepted\n"
    "  --max-buffered-total N   bytes all clients together may hold in the server (messages\n"
    "                      not echoed yet, replies not sent); above it no client starts a\n"
    "                      new message until memory is freed (default 0: no limit)\n"
    "  -s, --protocol P    accept sub-protocol P (repeatable; first offered match wins)\n"
    "  --handshake-timeout SECONDS   drop clients that do not finish the handshake in time\n"
    "                      (default 10)\n"
    "  --heartbeat SECONDS ping every SECONDS; a peer silent for a whole interval while a\n"
    "                      ping is unanswered is dropped (close code -1). Default: off\n"
    "  --close-timeout SECONDS   longest wait for a client's close frame after ours, and for a\n"
    "                      client that hung up while its input was paused (default 5)\n"
    "  --threads N         serve with N threads (default 1), each with its own listener on\n"
    "                      the same port (Linux: the kernel spreads new clients over them);\n"
    "                      --max-connections and --max-buffered-total are shared out, the\n"
    "                      --max-per-ip limit applies per thread\n"
    "  --busy-poll USECS   before sleeping, keep checking for traffic for up to USECS\n"
    "                      microseconds (default 0: off); lower latency for CPU time\n"
    "  -q, --quiet         do not log connections\n";
// After the deflate flags (deflate_flags.h) in the usage text.
constexpr const char* kHelpExamples =
    "\n"
    "Examples:\n"
    "  wsp echo-server --port 9000\n"
    "  wsp echo-server --host 127.0.0.1 --port 9443 --tls-cert cert.pem --tls-key key.pem\n";

std::atomic<bool> g_stop{false};  // lock-free, so a signal handler may set it
void on_signal(int) { g_stop.store(true); }

}  // namespace

int run_echo_server(int argc, char** argv) {
  Args args;
  std::string error;
  if (!args.parse(
          argc, argv, 2,
          with_flags({"--host", "--port", "--tls-cert", "--tls-key", "--max-message", "--protocol",
                      "--handshake-timeout", "--close-timeout", "--heartbeat", "--busy-poll",
                      "--max-connections", "--max-per-ip", "--max-buffered-total", "--threads",
                      "--max-waiting", "--first-byte-timeout", "--ipv6-prefix"},
                     kDeflateValueFlags),
          with_flags({"--quiet", "--help"}, kDeflateSwitchFlags), &error)) {
    usage_error("echo-server", error);
    return 2;
  }
  if (args.has("--help")) {
    std::fputs(kHelp, stdout);
    std::fputs(kDeflateHelp, stdout);
    std::fputs(kHelpExamples, stdout);
    return 0;
  }
  long long port = 0, max_message = 1 << 20, busy_poll_us = 0, max_connections = 10000,
            max_per_ip = 0, max_buffered_total = 0, threads = 1, max_waiting = 16384,
            ipv6_prefix = 64;
  std::shared_ptr<const TLSOptions> tls;
  DeflateOptions deflate;
  if (!args.integer("--port", 0, 65535, &port, &error) ||
      !args.integer("--max-message", 1, 0x7FFFFFFF, &max_message, &error) ||
      !args.integer("--busy-poll", 0, 100000, &busy_poll_us, &error) ||
      !args.integer("--max-connections", 0, 100000000, &max_connections, &error) ||
      !args.integer("--max-per-ip", 0, 100000000, &max_per_ip, &error) ||
      !args.integer("--max-buffered-total", 0, INT64_MAX, &max_buffered_total, &error) ||
      !args.integer("--threads", 1, 64, &threads, &error) ||
      !args.integer("--max-waiting", 0, 100000000, &max_waiting, &error) ||
      !args.integer("--ipv6-prefix", 0, 128, &ipv6_prefix, &error) ||
      !server_tls_from_flags(args, &tls, &error) ||
      !deflate_from_flags(args, /*is_server=*/true, &deflate, &error)) {
    std::fprintf(stderr, "wsp echo-server: %s\n", error.c_str());
    return 2;
  }
  double handshake_timeout = 10, close_timeout = 5, heartbeat = 0, first_byte_timeout = 3;
  if (!args.seconds("--handshake-timeout", &handshake_timeout, &error) ||
      !args.seconds("--first-byte-timeout", &first_byte_timeout, &error,
                    /*zero_means_off=*/true) ||
      !args.seconds("--close-timeout", &close_timeout, &error) ||
      !args.seconds("--heartbeat", &heartbeat, &error, /*zero_means_off=*/true)) {
    std::fprintf(stderr, "wsp echo-server: %s\n", error.c_str());
    return 2;
  }
  const bool quiet = args.has("--quiet");
  raise_open_file_limit();
  const std::string host = args.value("--host").value_or("*");

  EchoSettings settings;
  settings.max_message = static_cast<int>(max_message);
  settings.protocols = args.values("--protocol");
  settings.deflate = deflate;
  settings.handshake_timeout = handshake_timeout;
  settings.close_timeout = close_timeout;
  settings.heartbeat_interval = heartbeat;
  settings.busy_poll_us = busy_poll_us;
  settings.tls = tls;
  settings.quiet = quiet;
  // The limits are the whole server's: each thread takes its share (the per-address limit
  // stays per thread: a client's connections may land on different threads).
  settings.limits.max_peers = static_cast<size_t>((max_connections + threads - 1) / threads);
  settings.limits.max_peers_per_address = static_cast<size_t>(max_per_ip);
  settings.limits.max_buffered_bytes =
      static_cast<size_t>((max_buffered_total + threads - 1) / threads);
  settings.limits.max_waiting = static_cast<size_t>((max_waiting + threads - 1) / threads);
  settings.limits.first_byte_timeout =
      std::chrono::milliseconds(static_cast<long long>(first_byte_timeout * 1000 + 0.5));
  settings.limits.ipv6_prefix_length = static_cast<int>(ipv6_prefix);

  // One listener per thread on the same port: the first may pick it, the others follow.
  std::string listen_error;
  const std::vector<std::unique_ptr<TCPServer>> servers = TCPServer::listen_shared(
      static_cast<int>(threads), static_cast<int>(port), host, &listen_error);
  if (servers.empty()) {
    std::fprintf(stderr, "wsp echo-server: %s\n", listen_error.c_str());
    return 1;
  }
  const int listening_port = servers.front()->get_local_port();
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  const char* scheme = tls ? "wss" : "ws";
  const std::string shown_host = host == "*" ? "127.0.0.1" : host;
  const bool v6 = shown_host.find(':') != std::string::npos;
  std::printf("listening on port %d (%s://%s%s%s:%d/)\n", listening_port, scheme, v6 ? "[" : "",
              shown_host.c_str(), v6 ? "]" : "", listening_port);
  std::fflush(stdout);

  std::vector<std::thread> workers;
  for (size_t i = 1; i < servers.size(); ++i) {
    workers.emplace_back([&, i] { serve_echo(*servers[i], settings, g_stop); });
  }
  serve_echo(*servers[0], settings, g_stop);
  for (std::thread& worker : workers) worker.join();
  return 0;
}

}  // namespace wsp::tool
