// A WebSocket client, the same source natively and in the browser: it says hello in text and in
// binary, prints the echoes with their type, then closes.
//   client [URL]   (default ws://127.0.0.1:9000/)
// Natively: bazel run //examples:client -- ws://HOST:PORT/. In a browser or Node: the
// //examples:client_wasm build (see docs/using-wspeer.md).
#include <wspeer/core/main_loop.h>
#include <wspeer/core/websocket_peer.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace {

void print_message(const std::vector<uint8_t>& message, bool is_text) {
  if (is_text) {
    std::printf("text: %.*s\n", static_cast<int>(message.size()),
                reinterpret_cast<const char*>(message.data()));
    return;
  }
  std::printf("binary: %zu bytes", message.size());
  for (uint8_t byte : message) std::printf(" %02x", byte);
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  const std::string url = argc > 1 ? argv[1] : "ws://127.0.0.1:9000/";
  // ---- excerpt: client ----
  auto ws = wsp::WebSocketPeer::create();
  ws->connect_to_url(url);
  bool greeted = false;
  int echoes = 0;
  wsp::run_main_loop([&] {  // natively a loop; in a browser, once per frame
    ws->poll();
    if (!greeted && ws->get_ready_state() == wsp::WebSocketPeer::STATE_OPEN) {
      ws->send_text("hello");
      ws->send(std::vector<uint8_t>{0x00, 0x01, 0xfe, 0xff});  // binary
      greeted = true;
    }
    while (ws->get_available_packet_count() > 0) {
      const std::vector<uint8_t> message = ws->get_packet();  // take the packet first:
      print_message(message, ws->was_string_packet());        // its type is the one just taken
      if (++echoes == 2) ws->close(1000, "done");
    }
    if (ws->get_ready_state() != wsp::WebSocketPeer::STATE_CLOSED) return true;
    std::printf("closed: %d\n", ws->get_close_code());
    if (ws->get_close_code() == -1) std::printf("error: %s\n", ws->get_last_error().c_str());
    return false;  // done
  });
  // ---- end ----
  return 0;
}
