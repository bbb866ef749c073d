// //web_demo:server — the live demo's server, written with wspeer's public API only: one port
// serves the page (plain HTTP) and accepts WebSocket upgrades (accept_stream with the request
// bytes already read). Prints the URL to open; Ctrl-C closes every client with 1001.
#include <sys/resource.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "web_demo/front_door.h"
#include "web_demo/http_files.h"
#include "web_demo/origin_policy.h"
#include "web_demo/room.h"
#include "web_demo/room_hub.h"
#include "web_demo/room_protocol.h"
#include "web_demo/server_names.h"
#include "wspeer/core/handshake.h"
#include "wspeer/core/http.h"
#include "wspeer/core/websocket_peer.h"
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
    "  --threads N   serve with N threads (default 1; Linux), one room across them\n";

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
// with 403 before the 101, so it never joins the room.
void decide(wsp::WebSocketPeer& peer, const wsp::demo::OriginPolicy& origins) {
  std::string why;
  if (origins.allows(peer.get_request_headers(), &why)) {
    peer.accept_request();
  } else {
    peer.reject_request(403, {}, why);
  }
}

// One thread's share of the server: its listener (sharing the port with the other threads'),
// front door, poller and room, which passes on what the other rooms publish through `hub`.
struct ServerConfig {
  const wsp::demo::StaticFiles& files;
  std::shared_ptr<const wsp::TLSOptions> tls;
  wsp::demo::FrontDoor::Limits door_limits;
  const wsp::demo::OriginPolicy& origins;
  wsp::DeflateOptions deflate;
  int threads = 1;
};

void serve(wsp::TCPServer& server, const ServerConfig& config, wsp::demo::RoomHub* hub,
           size_t index) {
  using namespace wsp;
  PeerPoller poller;
  poller.add_server(&server);
  PeerPoller::Limits limits;  // a room is small: more participants than this are refused (503)
  limits.max_peers = 1000 / config.threads;
  limits.max_peers_per_address = 200;
  limits.max_buffered_bytes = (64 << 20) / config.threads;
  poller.set_limits(limits);
  demo::FrontDoor front_door(&poller, &config.files, config.tls, config.door_limits);
  const demo::OriginPolicy& origins = config.origins;
  const DeflateOptions& deflate = config.deflate;
  demo::Room room(hub, index);
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
      room.close_all(1001, "server shutting down");
    }
    if (stopping && (room.size() == 0 || now > stop_deadline)) break;

    const auto until = std::min(next_tick, next_expiry) - now;
    const int timeout =
        static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(until).count());
    const std::vector<WebSocketPeer*>& ready = poller.wait(std::max(timeout, 0));
    room.deliver();  // what members in the other threads' rooms said or did

    // Requests that arrived are answered before newcomers are let in (who might evict them).
    front_door.service(poller.ready_streams(), &upgrades);
    for (TCPServer* listening : poller.ready_servers())
      front_door.accept_from(*listening, &upgrades);
    if (Clock::now() >= next_expiry) next_expiry = front_door.expire(Clock::now());
    for (demo::FrontDoor::Upgrade& upgrade : upgrades) {
      // ---- excerpt: upgrade ----
      auto peer = WebSocketPeer::create();
      peer->set_manual_accept(true);          // the Origin is checked before the 101
      peer->set_keep_request_headers(false);  // and never needed again
      peer->set_deflate_options(deflate);
      // The request was read to tell a page from an upgrade: the peer reads it again.
      if (peer->accept_stream(upgrade.stream, upgrade.request_bytes) != OK) continue;
      // ---- end ----
      WebSocketPeer* raw = peer.get();
      room.admit(std::move(peer));
      poller.add(raw);
    }
    upgrades.clear();

    for (WebSocketPeer* peer : ready) {
      peer->poll();
      if (peer->is_request_pending()) decide(*peer, origins);
      if (!room.service(peer)) {
        poller.remove(peer);
        room.remove(peer);
      }
    }
    if (Clock::now() >= next_tick) {
      next_tick = Clock::now() + std::chrono::milliseconds(demo::kTickMilliseconds);
      room.tick();
    }
  }
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

  const int threads =
      std::max(1, std::min(64, std::atoi(flag(argc, argv, "--threads", "1").c_str())));
  std::string listen_error;
  const std::vector<std::unique_ptr<TCPServer>> servers =
      TCPServer::listen_shared(threads, port, host, &listen_error);
  if (servers.empty()) {
    std::fprintf(stderr, "server: %s\n", listen_error.c_str());
    return 1;
  }
  const int listening_port = servers.front()->get_local_port();
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
  const ServerConfig config{
      files,
      tls,
      door_limits,
      origins,
      has_switch(argc, argv, "--deflate") ? DeflateOptions::on() : DeflateOptions::off(),
      threads};
  // One room across the threads: their rooms share members and messages through the hub.
  std::unique_ptr<demo::RoomHub> hub;
  if (threads > 1) hub = std::make_unique<demo::RoomHub>(threads);
  std::vector<std::thread> workers;
  for (int i = 1; i < threads; ++i) {
    workers.emplace_back([&, i] { serve(*servers[i], config, hub.get(), i); });
  }
  serve(*servers[0], config, hub.get(), 0);
  for (std::thread& worker : workers) worker.join();
  std::printf("server stopped\n");
  return 0;
}
