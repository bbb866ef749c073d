// The browser side of the web benchmark: an echo loop through wspeer's web backend, reacting to
// each delivered message like the raw JavaScript loop it is compared with (web_bench.html).
#include <emscripten/emscripten.h>

#include <memory>
#include <string>
#include <vector>

#include "wspeer/core/websocket_peer.h"
#include "wspeer/platform/web/web_websocket_peer.h"

namespace {

std::unique_ptr<wsp::WebSocketPeer> g_peer;
std::vector<uint8_t> g_message;
double g_echoes = 0;
int g_inflight = 1;
bool g_counting = false;
bool g_primed = false;

void on_message() {
  while (g_peer->get_available_packet_count() > 0) {
    const uint8_t* data;
    int size;
    g_peer->get_packet(&data, &size);
    if (g_counting) ++g_echoes;
    g_peer->send(g_message);
  }
}

}  // namespace

extern "C" {

// Connects and keeps `inflight` messages of `payload` bytes going; returns 0 on success.
EMSCRIPTEN_KEEPALIVE int bench_start(const char* url, int payload, int inflight) {
  g_peer = wsp::WebSocketPeer::create();
  g_peer->set_inbound_buffer_size(payload + 1024);
  g_peer->set_outbound_buffer_size(0);
  g_message.assign(static_cast<size_t>(payload), 'w');
  g_inflight = inflight;
  g_echoes = 0;
  g_primed = false;
  static_cast<wsp::WebWebSocketPeer*>(g_peer.get())->set_message_handler(on_message);
  return g_peer->connect_to_url(url) == wsp::OK ? 0 : 1;
}

// 1 once open (the first messages are then sent), -1 on failure, 0 while connecting.
EMSCRIPTEN_KEEPALIVE int bench_ready() {
  const auto state = g_peer->get_ready_state();
  if (state == wsp::WebSocketPeer::STATE_CLOSED) return -1;
  if (state != wsp::WebSocketPeer::STATE_OPEN) return 0;
  if (!g_primed) {
    g_primed = true;
    for (int i = 0; i < g_inflight; ++i) g_peer->send(g_message);
  }
  return 1;
}

EMSCRIPTEN_KEEPALIVE void bench_count(int on) {
  g_counting = on != 0;
  if (on) g_echoes = 0;
}

EMSCRIPTEN_KEEPALIVE double bench_echoes() { return g_echoes; }

EMSCRIPTEN_KEEPALIVE void bench_stop() {
  g_peer->close(-1);
  g_peer.reset();
}

}  // extern "C"

int main() { return 0; }
