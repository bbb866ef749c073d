// //web_demo:server — the live demo's server, written with wspeer's public API only: one port
// serves the page (plain HTTP) and accepts WebSocket upgrades (accept_stream with the request
// bytes already read). Prints the URL to open; Ctrl-C closes every client with 1001.
#include <sys/resource.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "web_demo/front_door.h"
#include "web_demo/http_files.h"
#include "web_demo/origin_policy.h"
#include "web_demo/room.h"
#include "web_demo/room_protocol.h"
#include "wspeer/core/handshake.h"
#include "wspeer/core/http.h"
#include "wspeer/core/websocket_peer.h"
#include "wspeer/platform/native/peer_poller.h"
#include "wspeer/platform/native/stream_peer_tls.h"
#include "wspeer/platform/native/tcp_server.h"

namespace {

using wsp::Clock;

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

constexpr const char* kUsage =
    "Usage: server [--host H] [--port N] [--tls-cert FILE --tls-key FILE] [--root DIR]\n"
    "  --host H      bind address (default 127.0.0.1; * for every address)\n"
    "  --port N      port (default 0: any free port, printed at start)\n"
    "  --tls-cert/--tls-key   serve https:// and wss:// with this certificate and key\n"
    "  --root DIR    directory holding page/ and room_app_wasm/ (default: the runfiles)\n"
    "  --allow-origin ORIGIN   also accept WebSocket requests from pages of ORIGIN\n"
    "                (e.g. https://game.example; repeatable). Pages served by this server are\n"
    "                always allowed, requests without Origin (native clients) too.\n"
    "  --max-waiting N  connections whose first request is incomplete (default 2048); when\n"
    "                full, the oldest is dropped to let a newcomer in\n"
    "  --deflate     accept permessage-deflate (browsers offer it): less bandwidth, about\n"
    "                300 KiB more memory per busy participant (docs/compression.md)\n";

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
  if (server.listen(port, host) != OK) {
    std::fprintf(stderr, "server: %s\n", server.get_last_error().c_str());
    return 1;
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  const std::string shown = host == "*" ? "127.0.0.1" : host;
  std::printf("listening on port %d\n", server.get_local_port());
  std::printf("wspeer demo: open %s://%s:%d/ (serving %s)\n", tls ? "https" : "http", shown.c_str(),
              server.get_local_port(), files.root().c_str());
  std::fflush(stdout);

  PeerPoller poller;
  poller.add_server(&server);
  PeerPoller::Limits limits;  // a room is small: more participants than this are refused (503)
  limits.max_peers = 1000;
  limits.max_peers_per_address = 200;
  limits.max_buffered_bytes = 64 << 20;
  poller.set_limits(limits);
  demo::FrontDoor::Limits door_limits;
  door_limits.max_waiting = static_cast<size_t>(
      std::max(1, std::atoi(flag(argc, argv, "--max-waiting", "2048").c_str())));
  demo::FrontDoor front_door(&poller, &files, tls, door_limits);
  const demo::OriginPolicy origins(tls != nullptr, repeated_flag(argc, argv, "--allow-origin"));
  const DeflateOptions deflate =
      has_switch(argc, argv, "--deflate") ? DeflateOptions::on() : DeflateOptions::off();
  demo::Room room;
  std::vector<demo::FrontDoor::Upgrade> upgrades;
  Clock::time_point next_tick = Clock::now();
  Clock::time_point next_expiry = Clock::now();
  Clock::time_point stop_deadline{};
  bool stopping = false;

  while (true) {
    const Clock::time_point now = Clock::now();
    if (g_stop && !stopping) {
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

    // Requests that arrived are answered before newcomers are let in (who might evict them).
    front_door.service(poller.ready_streams(), &upgrades);
    for (TCPServer* listening : poller.ready_servers())
      front_door.accept_from(*listening, &upgrades);
    if (Clock::now() >= next_expiry) next_expiry = front_door.expire(Clock::now());
    for (demo::FrontDoor::Upgrade& upgrade : upgrades) {
      // ---- excerpt: upgrade ----
      auto peer = WebSocketPeer::create();
      peer->set_manual_accept(true);  // the Origin is checked before the 101
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
  std::printf("server stopped\n");
  return 0;
}
