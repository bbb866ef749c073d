// The browser side of the demo: RoomClient (the multiplayer layer's client) compiled with the web
// backend. page/app.js only draws and forwards input; everything WebSocket-related happens here,
// through wspeer.
#include <emscripten/emscripten.h>

#include <cstdio>
#include <string>

#include "web_demo/room_client.h"
#include "wspeer/platform/web/web_websocket_peer.h"

namespace {

wsp::demo::RoomClient* g_client = nullptr;
std::string g_snapshot;

const char* state_text(wsp::WebSocketPeer::State state) {
  switch (state) {
    case wsp::WebSocketPeer::STATE_CONNECTING:
      return "CONNECTING";
    case wsp::WebSocketPeer::STATE_OPEN:
      return "OPEN";
    case wsp::WebSocketPeer::STATE_CLOSING:
      return "CLOSING";
    case wsp::WebSocketPeer::STATE_CLOSED:
      return "CLOSED";
  }
  return "?";
}

void append_json_string(std::string& out, const std::string& text) {
  out += '"';
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += ' ';
    } else {
      out += c;
    }
  }
  out += '"';
}

}  // namespace

extern "C" {

// Messages are handled from the browser event that delivers them, not at the next frame, so the
// round trip shown is the network's, not the frame rate's.
void handle_messages_at_once() {
  auto* peer = static_cast<wsp::WebWebSocketPeer*>(g_client->peer());
  if (peer) peer->set_message_handler([] { g_client->update(emscripten_get_now()); });
}

EMSCRIPTEN_KEEPALIVE void demo_start(const char* url, const char* name) {
  delete g_client;
  g_client = new wsp::demo::RoomClient(name);
  g_client->connect(url);
  handle_messages_at_once();
}

EMSCRIPTEN_KEEPALIVE void demo_reconnect() {
  if (!g_client) return;
  g_client->connect(g_client->url());
  handle_messages_at_once();
}

EMSCRIPTEN_KEEPALIVE void demo_frame(double now_ms) {
  if (g_client) g_client->update(now_ms);
}

EMSCRIPTEN_KEEPALIVE void demo_move(float x, float y) {
  if (g_client) g_client->move_to(x, y);
}

EMSCRIPTEN_KEEPALIVE void demo_nudge(float dx, float dy) {
  if (g_client) g_client->nudge(dx, dy);
}

EMSCRIPTEN_KEEPALIVE void demo_say(const char* text) {
  if (g_client) g_client->say(text);
}

// Everything the page draws, as JSON; valid until the next call.
EMSCRIPTEN_KEEPALIVE const char* demo_snapshot() {
  std::string& out = g_snapshot;
  out.clear();
  if (!g_client) return "{}";
  const wsp::demo::Stats& stats = g_client->stats();
  char number[64];
  out += "{\"state\":\"";
  out += state_text(stats.state);
  out += "\",\"ownId\":" + std::to_string(g_client->own_id());
  std::snprintf(number, sizeof(number),
                ",\"rttMs\":%.1f,\"inPerSecond\":%.1f,\"outPerSecond\":%.1f", stats.rtt_ms,
                stats.in_per_second, stats.out_per_second);
  out += number;
  out += ",\"buffered\":" + std::to_string(stats.buffered);
  out += ",\"closeCode\":" + std::to_string(stats.close_code);
  out += ",\"closeReason\":";
  append_json_string(out, stats.close_reason);
  out += ",\"error\":";
  append_json_string(out, stats.error);
  out += ",\"extensions\":";
  append_json_string(out, g_client->peer() ? g_client->peer()->get_selected_extensions() : "");
  out += ",\"participants\":[";
  bool first = true;
  for (const auto& [id, p] : g_client->participants()) {
    if (!first) out += ",";
    first = false;
    std::snprintf(number, sizeof(number), "{\"id\":%d,\"x\":%.4f,\"y\":%.4f,\"name\":", id, p.x,
                  p.y);
    out += number;
    append_json_string(out, p.name);
    out += ",\"color\":";
    append_json_string(out, p.color);
    out += "}";
  }
  out += "],\"chat\":[";
  first = true;
  for (const wsp::demo::ChatLine& line : g_client->chat()) {
    if (!first) out += ",";
    first = false;
    out += "{\"from\":";
    append_json_string(out, line.from);
    out += ",\"color\":";
    append_json_string(out, line.color);
    out += ",\"text\":";
    append_json_string(out, line.text);
    out += "}";
  }
  out += "]}";
  return out.c_str();
}

}  // extern "C"

int main() { return 0; }
