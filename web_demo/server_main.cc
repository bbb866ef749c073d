// //web_demo:server — the live demo's server, written with wspeer's public API only: one port
// serves the page (plain HTTP) and hands WebSocket upgrades, with the request bytes already read,
// to the multiplayer layer (a WebSocketMultiplayerPeer and its MultiplayerSession: ids, rooms,
// joins and leaves), under which web_demo/room.cc plays the game. Prints the URL to open; Ctrl-C
// closes every client with 1001.
#include <sys/resource.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "tools/cluster_option.h"
#include "web_demo/front_door.h"
#include "web_demo/http_files.h"
#include "web_demo/origin_policy.h"
#include "web_demo/room.h"
#include "web_demo/room_protocol.h"
#include "web_demo/server_names.h"
#include "wspeer/core/handshake.h"
#include "wspeer/core/http.h"
#include "wspeer/core/websocket_peer.h"
#include "wspeer/multiplayer/multiplayer_session.h"
#include "wspeer/multiplayer/websocket_multiplayer_peer.h"
#include "wspeer/platform/native/peer_poller.h"
#include "wspeer/platform/native/stream_peer_tls.h"
#include "wspeer/platform/native/tcp_server.h"

namespace {

using wsp::Clock;

std::atomic<bool> g_stop{false};  // lock-free, so a signal handler may set it
void on_signal(int) { g_stop.store(true); }

constexpr const char* kUsage =
    "Usage: server [--host H] [--port N] [--tls-cert FILE --tls-key FILE] [--root DIR]\n"
    "  --host H      bind address (default 127.0.0.1; * for every address)\n"
    "  --port N      port (default 0: any free port, printed at start)\n"
    "  --tls-cert/--tls-key   serve https:// and wss:// with this certificate and key\n"
    "  --root DIR    directory holding page/ and room_app_wasm/ (default: the runfiles)\n"
    "                Pages with ?room=NAME join room NAME (ws://.../rooms/NAME); others the\n"
    "                main room\n"
    "  --allow-origin ORIGIN   also accept WebSocket requests from pages of ORIGIN\n"
    "                (e.g. https://game.example; repeatable). Pages served by this server are\n"
    "                always allowed, requests without Origin (native clients) too.\n"
    "  --allow-host NAME   a name this server answers to (e.g. game.example; repeatable): a\n"
    "                browser's request must name the server in Host, which stops DNS\n"
    "                rebinding. localhost, the loopback addresses and the bound address are\n"
    "                always known (with --host *, this machine's addresses and host name)\n"
    "  --max-waiting N  connections whose first request is incomplete (default 2048); when\n"
    "                full, the oldest is dropped to let a newcomer in\n"
    "  --deflate     accept permessage-deflate (browsers offer it): less bandwidth, about\n"
    "                300 KiB more memory per busy participant (docs/compression.md)\n"
    "  --redis URL --node-id NAME   one node of several sharing their rooms through Redis\n"
    "                (./run demo --nodes 3; docs/scaling.md)\n"
    "  --proxy-from ADDR   behind a load balancer sending the PROXY protocol from ADDR\n";

std::string flag(int argc, char** argv, const char* name, const char* fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  }
  return fallback;
}

bool has_switch(int argc, char** argv, const char* name) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return true;
  }
  return false;
}

std::vector<std::string> repeated_flag(int argc, char** argv, const char* name) {
  std::vector<std::string> values;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) values.push_back(argv[++i]);
  }
  return values;
}

// Browsers may open a WebSocket from any site: a request from a page of another origin is refused
// with 403 before the 101, so it never joins a room. Others join the room their path names.
wsp::WebSocketMultiplayerPeer::JoinDecision decide(const wsp::WebSocketPeer& request,
                                                   const wsp::demo::OriginPolicy& origins) {
  std::string why;
  if (!origins.allows(request.get_request_headers(), &why)) {
    wsp::WebSocketMultiplayerPeer::JoinDecision refusal;
    refusal.accept = false;
    refusal.status = 403;
    refusal.reason = why;
    return refusal;
  }
  return wsp::WebSocketMultiplayerPeer::default_join_decision(request);
}

struct ServerConfig {
  const wsp::demo::StaticFiles& files;
  std::shared_ptr<const wsp::TLSOptions> tls;
  wsp::demo::FrontDoor::Limits door_limits;
  const wsp::demo::OriginPolicy& origins;
  wsp::DeflateOptions deflate;
  wsp::tool::ClusterOptions cluster;  ///< no Redis URL: one process
};

// Returns the exit status.
int serve(wsp::TCPServer& server, const ServerConfig& config) {
  using namespace wsp;
  auto transport = std::make_shared<WebSocketMultiplayerPeer>();
  transport->create_server_for_streams();
  transport->set_peer_setup([&config](WebSocketPeer& peer) {
    peer.set_keep_request_headers(false);  // the join policy reads them; nothing after
    peer.set_deflate_options(config.deflate);
  });
  transport->set_join_policy(
      [&config](const WebSocketPeer& request) { return decide(request, config.origins); });
  MultiplayerSession session;
  session.set_multiplayer_peer(transport);
  std::unique_ptr<tool::ClusterHandle> cluster;
  if (!config.cluster.redis_url.empty()) {
    std::string error;
    cluster = tool::join_cluster(config.cluster, session, transport->get_server_poller(), &error);
    if (!cluster) {
      std::fprintf(stderr, "server: %s\n", error.c_str());
      return 1;
    }
  }
  demo::Rooms rooms(&session);
  // The front door shares the multiplayer server's poller: one wait serves both.
  PeerPoller& poller = *transport->get_server_poller();
  poller.add_server(&server);
  PeerPoller::Limits limits;  // a room is small: more participants than this are refused (503)
  limits.max_peers = 1000;
  limits.max_peers_per_address = 200;
  limits.max_buffered_bytes = 64 << 20;
  poller.set_limits(limits);
  demo::FrontDoor front_door(&poller, &config.files, config.tls, config.door_limits);
  std::vector<demo::FrontDoor::Upgrade> upgrades;
  Clock::time_point next_tick = Clock::now();
  Clock::time_point next_expiry = Clock::now();
  Clock::time_point stop_deadline{};
  bool stopping = false;

  while (true) {
    const Clock::time_point now = Clock::now();
    if (g_stop.load() && !stopping) {
      stopping = true;
      stop_deadline = now + std::chrono::seconds(2);
      poller.remove_server(&server);
      server.stop();
      for (int id : session.get_peer_ids()) {
        if (WebSocketPeer* peer = transport->get_peer(id)) {
          peer->close(1001, "server shutting down");
          poller.update(peer);
        }
      }
    }
    if (stopping && (session.get_peer_ids().empty() || now > stop_deadline)) break;

    const auto until = std::min(next_tick, next_expiry) - now;
    const int timeout =
        static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(until).count());
    transport->wait(std::max(timeout, 0));

    // Requests that arrived are answered before newcomers are let in (who might evict them).
    front_door.service(poller.ready_streams(), &upgrades);
    for (TCPServer* listening : poller.ready_servers())
      front_door.accept_from(*listening, &upgrades);
    if (Clock::now() >= next_expiry) next_expiry = front_door.expire(Clock::now());
    for (demo::FrontDoor::Upgrade& upgrade : upgrades) {
      // ---- excerpt: upgrade ----
      // The request was read to tell a page from an upgrade: the multiplayer server reads it
      // again, and its join policy checks the Origin and picks the room before the 101.
      transport->accept_stream(upgrade.stream, upgrade.request_bytes);
      // ---- end ----
    }
    upgrades.clear();

    session.poll();
    MultiplayerSession::Event event;
    while (session.take_event(&event)) rooms.handle(event);
    if (Clock::now() >= next_tick) {
      next_tick = Clock::now() + std::chrono::milliseconds(demo::kTickMilliseconds);
      rooms.tick();
    }
  }
  if (cluster) {
    session.set_room_bus(nullptr);  // the clients still here leave the other nodes' rooms
    transport->wait(50);            // and that is written to Redis before the connection goes
  }
  cluster.reset();  // before the poller it uses
  transport->close();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace wsp;
  std::signal(SIGPIPE, SIG_IGN);
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--help") == 0) {
      std::fputs(kUsage, stdout);
      return 0;
    }
  }
  const std::string host = flag(argc, argv, "--host", "127.0.0.1");
  const int port = std::atoi(flag(argc, argv, "--port", "0").c_str());
  const demo::StaticFiles files(demo::find_static_root(argv[0], flag(argc, argv, "--root", "")));

  std::shared_ptr<const TLSOptions> tls;
  const std::string cert_path = flag(argc, argv, "--tls-cert", "");
  const std::string key_path = flag(argc, argv, "--tls-key", "");
  if (!cert_path.empty() || !key_path.empty()) {
    auto cert = std::make_shared<X509Certificate>();
    auto key = std::make_shared<CryptoKey>();
    if (cert->load(cert_path) != OK || key->load(key_path) != OK) {
      std::fprintf(stderr, "server: cannot load --tls-cert/--tls-key\n");
      return 2;
    }
    tls = TLSOptions::server(key, cert);
  }

  // Many visitors (and the sockets of anyone attacking the room) need many descriptors.
  rlimit files_limit;
  if (getrlimit(RLIMIT_NOFILE, &files_limit) == 0 && files_limit.rlim_cur < files_limit.rlim_max) {
    files_limit.rlim_cur = files_limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files_limit);
  }

  TCPServer server;
  if (server.set_proxy_protocol(repeated_flag(argc, argv, "--proxy-from")) != OK) {
    std::fprintf(stderr, "server: --proxy-from takes an IP address\n");
    return 2;
  }
  if (server.listen(port, host) != OK) {
    std::fprintf(stderr, "server: cannot listen on %s port %d\n", host.c_str(), port);
    return 1;
  }
  const int listening_port = server.get_local_port();
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  const std::string shown = host == "*" ? "127.0.0.1" : host;
  std::printf("listening on port %d\n", listening_port);
  std::printf("wspeer demo: open %s://%s:%d/ (serving %s)\n", tls ? "https" : "http", shown.c_str(),
              listening_port, files.root().c_str());
  std::fflush(stdout);

  demo::FrontDoor::Limits door_limits;
  door_limits.max_waiting = static_cast<size_t>(
      std::max(1, std::atoi(flag(argc, argv, "--max-waiting", "2048").c_str())));
  std::vector<std::string> names = demo::local_server_names(host);
  for (const std::string& name : repeated_flag(argc, argv, "--allow-host")) {
    names.push_back(demo::host_name_of(name));
  }
  const demo::OriginPolicy origins(tls != nullptr, repeated_flag(argc, argv, "--allow-origin"),
                                   std::move(names));
  tool::ClusterOptions cluster;
  cluster.redis_url = flag(argc, argv, "--redis", "");
  cluster.node_id = flag(argc, argv, "--node-id", "");
  const ServerConfig config{
      files,
      tls,
      door_limits,
      origins,
      has_switch(argc, argv, "--deflate") ? DeflateOptions::on() : DeflateOptions::off(),
      cluster};
  const int status = serve(server, config);
  if (status == 0) std::printf("server stopped\n");
  return status;
}
