// wsp echo-server: echoes every message back with its type, to any number of clients.
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <unordered_map>

#include "tools/args.h"
#include "tools/commands.h"
#include "tools/deflate_flags.h"
#include "tools/echo.h"
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
    "  --max-per-ip N      clients served at once from one address (default 0: no limit)\n"
    "  --max-buffered-total N   bytes all clients together may hold in the server (messages\n"
    "                      not echoed yet, replies not sent); above it no client starts a\n"
    "                      new message until memory is freed (default 0: no limit)\n"
    "  -s, --protocol P    accept sub-protocol P (repeatable; first offered match wins)\n"
    "  --handshake-timeout SECONDS   drop clients that do not finish the handshake in time\n"
    "                      (default 10)\n"
    "  --close-timeout SECONDS   longest wait for a client's close frame after ours, and for a\n"
    "                      client that hung up while its input was paused (default 5)\n"
    "  --busy-poll USECS   before sleeping, keep checking for traffic for up to USECS\n"
    "                      microseconds (default 0: off); lower latency for CPU time\n"
    "  -q, --quiet         do not log connections\n";
// After the deflate flags (deflate_flags.h) in the usage text.
constexpr const char* kHelpExamples =
    "\n"
    "Examples:\n"
    "  wsp echo-server --port 9000\n"
    "  wsp echo-server --host 127.0.0.1 --port 9443 --tls-cert cert.pem --tls-key key.pem\n";

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

struct Client {
  std::unique_ptr<WebSocketPeer> peer;
  bool logged_open = false;
};

}  // namespace

int run_echo_server(int argc, char** argv) {
  Args args;
  std::string error;
  if (!args.parse(argc, argv, 2,
                  with_flags({"--host", "--port", "--tls-cert", "--tls-key", "--max-message",
                              "--protocol", "--handshake-timeout", "--close-timeout", "--busy-poll",
                              "--max-connections", "--max-per-ip", "--max-buffered-total"},
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
            max_per_ip = 0, max_buffered_total = 0;
  std::shared_ptr<const TLSOptions> tls;
  DeflateOptions deflate;
  if (!args.integer("--port", 0, 65535, &port, &error) ||
      !args.integer("--max-message", 1, 0x7FFFFFFF, &max_message, &error) ||
      !args.integer("--busy-poll", 0, 100000, &busy_poll_us, &error) ||
      !args.integer("--max-connections", 0, 100000000, &max_connections, &error) ||
      !args.integer("--max-per-ip", 0, 100000000, &max_per_ip, &error) ||
      !args.integer("--max-buffered-total", 0, INT64_MAX, &max_buffered_total, &error) ||
      !server_tls_from_flags(args, &tls, &error) ||
      !deflate_from_flags(args, /*is_server=*/true, &deflate, &error)) {
    std::fprintf(stderr, "wsp echo-server: %s\n", error.c_str());
    return 2;
  }
  double handshake_timeout = 10, close_timeout = 5;
  if (!args.seconds("--handshake-timeout", &handshake_timeout, &error) ||
      !args.seconds("--close-timeout", &close_timeout, &error)) {
    std::fprintf(stderr, "wsp echo-server: %s\n", error.c_str());
    return 2;
  }
  const bool quiet = args.has("--quiet");
  raise_open_file_limit();
  const std::vector<std::string> protocols = args.values("--protocol");
  const std::string host = args.value("--host").value_or("*");

  TCPServer server;
  if (server.listen(static_cast<int>(port), host) != OK) {
    std::fprintf(stderr, "wsp echo-server: %s\n", server.get_last_error().c_str());
    return 1;
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  const char* scheme = tls ? "wss" : "ws";
  const std::string shown_host = host == "*" ? "127.0.0.1" : host;
  const bool v6 = shown_host.find(':') != std::string::npos;
  std::printf("listening on port %d (%s://%s%s%s:%d/)\n", server.get_local_port(), scheme,
              v6 ? "[" : "", shown_host.c_str(), v6 ? "]" : "", server.get_local_port());
  std::fflush(stdout);

  // Replies wait in memory up to this much per client; beyond it the client's input pauses.
  const int64_t max_buffered = 256 * 1024;
  PeerPoller poller;
  poller.set_busy_poll(std::chrono::microseconds(busy_poll_us));
  PeerPoller::Limits limits;
  limits.max_peers = static_cast<size_t>(max_connections);
  limits.max_peers_per_address = static_cast<size_t>(max_per_ip);
  limits.max_buffered_bytes = static_cast<size_t>(max_buffered_total);
  poller.set_limits(limits);
  poller.add_server(&server);
  std::unordered_map<WebSocketPeer*, Client> clients;
  bool stopping = false;
  Clock::time_point stop_deadline{};

  while (true) {
    if (g_stop && !stopping) {
      stopping = true;
      stop_deadline = Clock::now() + std::chrono::seconds(2);
      poller.remove_server(&server);
      server.stop();
      for (auto& [raw, client] : clients) {
        client.peer->close(kCloseGoingAway, "server shutting down");
        poller.update(raw);
      }
    }
    if (stopping && (clients.empty() || Clock::now() > stop_deadline)) break;

    const std::vector<WebSocketPeer*>& ready = poller.wait(stopping ? 50 : 500);
    for (TCPServer* listening : poller.ready_servers()) {
      while (auto tcp = listening->take_connection()) {
        std::shared_ptr<StreamPeer> stream = tcp;
        if (tls) {
          auto secure = std::make_shared<StreamPeerTLS>();
          if (secure->accept_stream(tcp, tls) != OK) {
            if (!quiet)
              std::fprintf(stderr, "TLS setup failed: %s\n", secure->get_last_error().c_str());
            continue;
          }
          stream = secure;
        }
        Client client{WebSocketPeer::create()};
        client.peer->set_inbound_buffer_size(static_cast<int>(max_message));
        client.peer->set_outbound_buffer_size(0);
        client.peer->set_supported_protocols(protocols);
        client.peer->set_deflate_options(deflate);
        client.peer->set_handshake_timeout(handshake_timeout);
        client.peer->set_close_timeout(close_timeout);
        if (client.peer->accept_stream(stream) != OK) continue;
        WebSocketPeer* raw = client.peer.get();
        clients.emplace(raw, std::move(client));
        poller.add(raw);
      }
    }
    for (WebSocketPeer* raw : ready) {
      Client& client = clients.at(raw);
      WebSocketPeer& peer = *client.peer;
      peer.poll();
      if (!client.logged_open && peer.get_ready_state() == WebSocketPeer::STATE_OPEN) {
        client.logged_open = true;
        if (!quiet) {
          const std::string& extensions = peer.get_selected_extensions();
          std::fprintf(stderr, "open: %s:%d %s%s%s%s\n", peer.get_connected_host().c_str(),
                       peer.get_connected_port(), peer.get_request_path().c_str(),
                       extensions.empty() ? "" : " (", extensions.c_str(),
                       extensions.empty() ? "" : ")");
        }
      }
      echo_pending(peer, max_buffered);
      if (peer.get_ready_state() == WebSocketPeer::STATE_CLOSED) {
        if (!quiet) {
          std::fprintf(stderr, "closed: code %d%s%s\n", peer.get_close_code(),
                       peer.get_last_error().empty() ? "" : ", ", peer.get_last_error().c_str());
        }
        poller.remove(raw);
        clients.erase(raw);
      }
    }
  }
  return 0;
}

}  // namespace wsp::tool
