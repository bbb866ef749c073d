// wsp relay-server: a ready-made server for multiplayer games that need no server code. Clients
// (Godot 4's WebSocketMultiplayerPeer with its multiplayer API, or wspeer's) join the room their
// request path names and reach each other through the server.
#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "tools/args.h"
#include "tools/cluster_option.h"
#include "tools/commands.h"
#include "tools/process.h"
#include "tools/tls_flags.h"
#include "wspeer/core/http.h"
#include "wspeer/multiplayer/multiplayer_session.h"
#include "wspeer/multiplayer/websocket_multiplayer_peer.h"
#include "wspeer/platform/native/peer_poller.h"

namespace wsp::tool {
namespace {

constexpr const char* kHelp =
    "Usage: wsp relay-server [options]\n"
    "\n"
    "A ready-made server for multiplayer games: clients join the room their request path\n"
    "names (ws://HOST:PORT/rooms/NAME; any other path joins the default room) and reach each\n"
    "other through the server: peer ids, peers joining and leaving, and packets to everyone,\n"
    "to one peer or to all but one, as Godot 4's multiplayer API over its\n"
    "WebSocketMultiplayerPeer expects (multiplayer.send_bytes()), and as wspeer's\n"
    "MultiplayerSession does. Try it with 'wsp relay-client'. docs/multiplayer.md.\n"
    "\n"
    "Prints the port it listens on, then one line per join and leave (unless --quiet); runs\n"
    "until interrupted (Ctrl-C closes every client with 1001).\n"
    "Exit status: 0 after Ctrl-C, 1 when it cannot listen, 2 for a usage error.\n"
    "\n"
    "Options (--name=value works too):\n"
    "  --host H            bind address: * (default: every address), 127.0.0.1, ::1, ...\n"
    "  -p, --port N        port to listen on; 0 (default) picks a free one\n"
    "  --tls-cert FILE     serve wss:// with this certificate chain (PEM) ...\n"
    "  --tls-key FILE      ... and this private key (PEM)\n"
    "  --token SECRET      every client must send SECRET as its authentication data\n"
    "                      (Godot: multiplayer.send_auth(1, SECRET.to_utf8_buffer()), then\n"
    "                      complete_auth(1)); others are dropped\n"
    "  --auth-timeout SECONDS   how long a client may take to authenticate (default 3)\n"
    "  --allow-origin ORIGIN   accept browsers only from pages of ORIGIN (repeatable; e.g.\n"
    "                      https://game.example); without it, pages of any origin may join\n"
    "  --heartbeat SECONDS ping every client; one silent for a whole interval while a ping\n"
    "                      is unanswered is dropped (default: off)\n"
    "  --max-message N     largest packet, in bytes (default 65535)\n"
    "  --max-connections N clients served at once (default 10000; beyond: HTTP 503)\n"
    "  --max-per-ip N      clients at once from one address (default 0: no limit)\n"
    "  --proxy-from ADDR   behind a load balancer that sends the PROXY protocol (HAProxy's\n"
    "                      send-proxy-v2) from ADDR (repeatable): the clients' addresses come\n"
    "                      from it; any other connection is refused\n"
    "  -q, --quiet         do not log joins and leaves\n"
    "\n"
    "Several servers, one set of rooms (docs/scaling.md):\n"
    "  --redis URL         join the cluster whose broker is this Redis:\n"
    "                      redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]; clients of one room on\n"
    "                      different servers reach each other as if on one; exits with 1 when\n"
    "                      Redis cannot be reached at start, reconnects by itself later\n"
    "  --node-id NAME      this server's name in the cluster (needed with --redis): unique,\n"
    "                      1 to 64 letters, digits, '.', '_' or '-'\n"
    "  --node-timeout SECONDS  a server not heard from for this long is gone, and its clients\n"
    "                      leave every room (default 5)\n"
    "\n"
    "One thread serves every room; run more servers with --redis to grow further.\n"
    "\n"
    "Examples:\n"
    "  wsp relay-server --port 9000\n"
    "  wsp relay-server --port 9443 --tls-cert cert.pem --tls-key key.pem --token s3cret\n"
    "  wsp relay-server --port 9001 --redis redis://127.0.0.1:6379 --node-id eu-1\n";

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop.store(true); }

}  // namespace

int run_relay_server(int argc, char** argv) {
  Args args;
  std::string error;
  if (!args.parse(argc, argv, 2,
                  {"--host", "--port", "--tls-cert", "--tls-key", "--token", "--auth-timeout",
                   "--allow-origin", "--heartbeat", "--reconnect-grace", "--max-message",
                   "--max-connections", "--max-per-ip", "--redis", "--node-id", "--node-timeout",
                   "--proxy-from"},
                  {"--quiet", "--help"}, &error)) {
    usage_error("relay-server", error);
    return kExitUsage;
  }
  if (args.has("--help")) {
    std::fputs(kHelp, stdout);
    return kExitOk;
  }
  long long port = 0, max_message = 65535, max_connections = 10000, max_per_ip = 0;
  double auth_timeout = 3, heartbeat = 0, reconnect_grace = 0, node_timeout = 5;
  std::shared_ptr<const TLSOptions> tls;
  if (!args.integer("--port", 0, 65535, &port, &error) ||
      !args.integer("--max-message", 1, 0x7FFFFFFF, &max_message, &error) ||
      !args.integer("--max-connections", 0, 100000000, &max_connections, &error) ||
      !args.integer("--max-per-ip", 0, 100000000, &max_per_ip, &error) ||
      !args.seconds("--auth-timeout", &auth_timeout, &error) ||
      !args.seconds("--heartbeat", &heartbeat, &error, /*zero_means_off=*/true) ||
      !args.seconds("--reconnect-grace", &reconnect_grace, &error, /*zero_means_off=*/true) ||
      !args.seconds("--node-timeout", &node_timeout, &error) ||
      !server_tls_from_flags(args, &tls, &error)) {
    std::fprintf(stderr, "wsp relay-server: %s\n", error.c_str());
    return kExitUsage;
  }
  const std::optional<std::string> token = args.value("--token");
  if (token && token->empty()) {
    std::fprintf(stderr, "wsp relay-server: --token needs a secret.\n");
    return kExitUsage;
  }
  const std::vector<std::string> origins = args.values("--allow-origin");
  const bool quiet = args.has("--quiet");
  raise_open_file_limit();

  auto transport = std::make_shared<WebSocketMultiplayerPeer>();
  transport->set_inbound_buffer_size(static_cast<int>(max_message));
  transport->set_outbound_buffer_size(static_cast<int>(std::max(max_message, 65535LL)));
  transport->set_heartbeat_interval(heartbeat);
  transport->set_reconnect_grace(reconnect_grace);
  transport->set_join_policy([&origins](const WebSocketPeer& request) {
    WebSocketMultiplayerPeer::JoinDecision decision =
        WebSocketMultiplayerPeer::default_join_decision(request);
    const auto origin = find_header(request.get_request_headers(), "Origin");
    if (decision.accept && origin && !origins.empty() &&
        std::find(origins.begin(), origins.end(), *origin) == origins.end()) {
      decision.accept = false;
      decision.status = 403;
      decision.reason = "Pages of " + *origin + " may not join this server.\n";
    }
    return decision;
  });
  const std::string host = args.value("--host").value_or("*");
  const std::vector<std::string> proxies = args.values("--proxy-from");
  if (TCPServer check; check.set_proxy_protocol(proxies) != OK) {
    usage_error("relay-server", "--proxy-from takes an IP address (127.0.0.1, ::1, ...)");
    return kExitUsage;
  }
  transport->set_proxy_protocol(proxies);
  if (transport->create_server(static_cast<int>(port), host, tls) != OK) {
    std::fprintf(stderr, "wsp relay-server: cannot listen on %s port %lld.\n", host.c_str(), port);
    return kExitFailed;
  }
  PeerPoller::Limits limits;
  limits.max_peers = static_cast<size_t>(max_connections);
  limits.max_peers_per_address = static_cast<size_t>(max_per_ip);
  transport->get_server_poller()->set_limits(limits);

  MultiplayerSession session;
  session.set_auth_timeout(auth_timeout);
  if (token) {
    session.set_auth_callback([&session, &token](int peer, std::span<const uint8_t> data) {
      if (std::string(data.begin(), data.end()) == *token) {
        session.complete_auth(peer);
      } else {
        session.disconnect_peer(peer);
      }
    });
  }
  session.set_multiplayer_peer(transport);

  if (args.value("--redis") && !args.value("--node-id")) {
    usage_error("relay-server", "--redis needs --node-id NAME (this server's unique name)");
    return kExitUsage;
  }
  std::unique_ptr<ClusterHandle> cluster;
  if (const std::optional<std::string> redis = args.value("--redis")) {
    ClusterOptions options;
    options.redis_url = *redis;
    options.node_id = args.value("--node-id").value_or("");
    options.node_timeout = node_timeout;
    cluster = join_cluster(options, session, transport->get_server_poller(), &error);
    if (!cluster) {
      std::fprintf(stderr, "wsp relay-server: %s\n", error.c_str());
      return kExitFailed;
    }
    std::fprintf(stderr, "cluster: %s\n", cluster->describe().c_str());
  }

  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  const char* scheme = tls ? "wss" : "ws";
  const std::string shown = host == "*" ? "127.0.0.1" : host;
  std::printf("listening on port %d (%s://%s:%d/rooms/NAME)\n", transport->get_local_port(), scheme,
              shown.c_str(), transport->get_local_port());
  std::fflush(stdout);

  while (!g_stop.load()) {
    transport->wait(500);
    session.poll();
    MultiplayerSession::Event event;
    while (session.take_event(&event)) {
      if (quiet) continue;
      const std::string room = transport->get_peer_room(event.peer);
      switch (event.type) {
        case MultiplayerSession::Event::PEER_CONNECTED:
          std::fprintf(stderr, "join: %d in room \"%s\" from %s\n", event.peer, room.c_str(),
                       transport->get_peer_address(event.peer).c_str());
          break;
        case MultiplayerSession::Event::PEER_DISCONNECTED:
          std::fprintf(stderr, "leave: %d\n", event.peer);
          break;
        case MultiplayerSession::Event::PEER_AUTHENTICATION_FAILED:
          std::fprintf(stderr, "refused: %d did not authenticate\n", event.peer);
          break;
        default:  // packets for the server itself: a relay server has no game of its own
          break;
      }
    }
  }
  // Ctrl-C: every client hears 1001, and the server waits a little for the close handshakes.
  for (int id : session.get_peer_ids()) {
    if (WebSocketPeer* peer = transport->get_peer(id)) {
      peer->close(1001, "server shutting down");
      transport->get_server_poller()->update(peer);
    }
  }
  for (int round = 0; round < 40 && !session.get_peer_ids().empty(); ++round) {
    transport->wait(50);
    session.poll();  // each client that goes leaves its room on the other nodes too
    MultiplayerSession::Event event;
    while (session.take_event(&event)) {
    }
  }
  if (cluster) {
    std::fprintf(stderr, "cluster: %s\n", cluster->describe().c_str());
    session.set_room_bus(nullptr);  // the clients still here leave the other nodes' rooms
    transport->wait(50);            // and that is written to Redis before the connection goes
  }
  cluster.reset();  // before the poller it uses
  transport->close();
  return kExitOk;
}

}  // namespace wsp::tool
