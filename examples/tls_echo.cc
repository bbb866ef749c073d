// wss:// in one program: a TLS echo server with its key and certificate, and a client that
// trusts the certificate's CA (certificate and host name verified, as by default).
//   tls_echo CA.pem CERT.pem KEY.pem   prints the echo and how the connection ended
#include <wspeer/core/main_loop.h>
#include <wspeer/core/websocket_peer.h>
#include <wspeer/platform/native/stream_peer_tls.h>
#include <wspeer/platform/native/tcp_server.h>

#include <cstdio>
#include <memory>
#include <string>

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: tls_echo CA.pem CERT.pem KEY.pem\n");
    return 2;
  }
  wsp::TCPServer server;
  if (server.listen(0, "127.0.0.1") != wsp::OK) return 1;
  const std::string url = "wss://localhost:" + std::to_string(server.get_local_port()) + "/";

  // ---- excerpt: client ----
  auto ca = std::make_shared<wsp::X509Certificate>();
  ca->load(argv[1]);  // or load_from_string(pem)
  auto ws = wsp::WebSocketPeer::create();
  ws->connect_to_url(url, wsp::TLSOptions::client(ca));
  // ---- end ----

  std::unique_ptr<wsp::WebSocketPeer> peer;
  bool sent = false;
  wsp::run_main_loop([&] {
    ws->poll();
    if (!peer) {
      if (auto tcp = server.take_connection()) {
        // ---- excerpt: server ----
        auto key = std::make_shared<wsp::CryptoKey>();
        key->load(argv[3]);
        auto cert = std::make_shared<wsp::X509Certificate>();
        cert->load(argv[2]);  // leaf first, then intermediates
        auto options = wsp::TLSOptions::server(key, cert);
        auto tls = std::make_shared<wsp::StreamPeerTLS>();
        tls->accept_stream(tcp, options);  // a key that does not match the certificate fails here
        peer = wsp::WebSocketPeer::create();
        peer->accept_stream(tls);
        // ---- end ----
      }
    } else {
      peer->poll();
      while (peer->get_available_packet_count() > 0) peer->put_packet(peer->get_packet());
    }
    if (!sent && ws->get_ready_state() == wsp::WebSocketPeer::STATE_OPEN) {
      sent = ws->send_text("over TLS") == wsp::OK;
    }
    while (ws->get_available_packet_count() > 0) {
      const std::vector<uint8_t> echo = ws->get_packet();
      std::printf("echo: %.*s\n", static_cast<int>(echo.size()),
                  reinterpret_cast<const char*>(echo.data()));
      ws->close();
    }
    if (ws->get_ready_state() != wsp::WebSocketPeer::STATE_CLOSED) return true;
    std::printf("closed: %d %s\n", ws->get_close_code(), ws->get_last_error().c_str());
    return false;
  });
  return 0;
}
