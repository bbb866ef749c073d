// //web_demo:server — the live demo's server, written with wspeer's public API only: one port
// serves the page (plain HTTP) and accepts WebSocket upgrades (accept_stream with the request
// bytes already read). Prints the URL to open; Ctrl-C closes every client with 1001.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "core/handshake.h"
#include "core/http.h"
#include "core/websocket_peer.h"
#include "platform/native/peer_poller.h"
#include "platform/native/stream_peer_tls.h"
#include "platform/native/tcp_server.h"
#include "web_demo/http_files.h"
#include "web_demo/room.h"
#include "web_demo/room_protocol.h"

namespace {

using wsp::Clock;

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

constexpr const char* kUsage =
    "Usage: server [--host H] [--port N] [--tls-cert FILE --tls-key FILE] [--root DIR]\n"
    "  --host H      bind address (default 127.0.0.1; * for every address)\n"
    "  --port N      port (default 0: any free port, printed at start)\n"
    "  --tls-cert/--tls-key   serve https:// and wss:// with this certificate and key\n"
    "  --root DIR    directory holding page/ and room_app_wasm/ (default: the runfiles)\n";

// A connection whose first request has not been read yet: a page request or an upgrade.
struct PendingConnection {
  std::shared_ptr<wsp::StreamPeer> stream;
  wsp::HttpHeadReader reader{wsp::kMaxHandshakeHeadSize};
  std::string raw;       // every byte read so far (handed to accept_stream as pre_read)
  std::string response;  // static response being written
  size_t written = 0;
  Clock::time_point deadline;
  bool done = false;
};

std::string flag(int argc, char** argv, const char* name, const char* fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  }
  return fallback;
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
  demo::Room room;
  std::vector<std::unique_ptr<PendingConnection>> pending;
  Clock::time_point next_tick = Clock::now();
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

    int timeout = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(next_tick - now).count());
    if (!pending.empty()) timeout = std::min(timeout, 5);
    const std::vector<WebSocketPeer*>& ready = poller.wait(std::max(timeout, 0));

    for (TCPServer* listening : poller.ready_servers()) {
      while (auto tcp = listening->take_connection()) {
        auto connection = std::make_unique<PendingConnection>();
        connection->stream = tcp;
        if (tls) {
          auto secure = std::make_shared<StreamPeerTLS>();
          if (secure->accept_stream(tcp, tls) != OK) continue;
          connection->stream = secure;
        }
        connection->deadline = Clock::now() + std::chrono::seconds(10);
        if (pending.size() < 256) pending.push_back(std::move(connection));
      }
    }

    for (auto& connection : pending) {
      StreamPeer& stream = *connection->stream;
      stream.poll();
      if (Clock::now() > connection->deadline || stream.get_status() == StreamPeer::STATUS_ERROR) {
        connection->done = true;
        continue;
      }
      if (!connection->response.empty()) {
        int sent = 0;
        const auto* data = reinterpret_cast<const uint8_t*>(connection->response.data());
        if (stream.put_partial_data(
                data + connection->written,
                static_cast<int>(connection->response.size() - connection->written), &sent) != OK) {
          connection->done = true;
        }
        connection->written += static_cast<size_t>(sent);
        if (connection->written == connection->response.size()) connection->done = true;
        continue;
      }
      uint8_t buffer[4096];
      int received = 0;
      if (stream.get_partial_data(buffer, sizeof(buffer), &received) != OK) {
        connection->done = true;
        continue;
      }
      connection->raw.append(reinterpret_cast<char*>(buffer), static_cast<size_t>(received));
      connection->reader.feed(buffer, static_cast<size_t>(received));
      if (connection->reader.too_large()) {
        connection->response = build_http_error_response(431, "Request headers too large.\n");
      } else if (connection->reader.complete()) {
        HttpRequestHead request;
        std::string error;
        if (!parse_request_head(connection->reader.head(), &request, &error)) {
          connection->response = build_http_error_response(400, error + "\n");
        } else if (header_has_token(request.headers, "Upgrade", "websocket")) {
          // The same port takes WebSocket upgrades: the peer re-reads the request we consumed.
          auto peer = WebSocketPeer::create();
          if (peer->accept_stream(connection->stream, connection->raw) == OK) {
            WebSocketPeer* raw = peer.get();
            room.admit(std::move(peer));
            poller.add(raw);
          }
          connection->stream.reset();
          connection->done = true;
        } else {
          connection->response = files.respond(request.method, request.target);
        }
      }
    }
    std::erase_if(pending, [](const std::unique_ptr<PendingConnection>& c) {
      if (c->done && c->stream) c->stream->disconnect();
      return c->done;
    });

    for (WebSocketPeer* peer : ready) {
      peer->poll();
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
