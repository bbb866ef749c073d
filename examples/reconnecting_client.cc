// A client that stays connected: ReconnectingPeer comes back after the connection drops or the
// server restarts, and greets the server each time it is connected. Prints what happens; ends
// after the second echo, or when it gives up.
//   reconnecting_client [URL]   (default ws://127.0.0.1:9000/)
#include <wspeer/core/main_loop.h>
#include <wspeer/core/reconnect/reconnecting_peer.h>

#include <cstdio>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // one line at a time, also into a pipe
  const std::string url = argc > 1 ? argv[1] : "ws://127.0.0.1:9000/";
  // ---- excerpt: reconnecting ----
  using Event = wsp::ReconnectingPeer::Event;
  wsp::ReconnectPolicy policy;
  policy.min_delay = 0.2;    // then up to 0.4, 0.8, ... (random within each step)
  policy.max_delay = 5;      // never longer between attempts
  policy.max_attempts = 20;  // after a loss; 0 tries forever
  wsp::ReconnectingPeer ws(policy);
  ws.set_send_queue(64, 64 * 1024);     // sent while away: goes out once back
  ws.peer().set_heartbeat_interval(5);  // a silent dead link is noticed too
  ws.set_before_attempt([](std::string* /*url*/, wsp::WebSocketPeer& /*peer*/) {
    // A fresh token before each attempt, e.g.:
    // peer.set_handshake_headers({"Authorization: Bearer " + fetch_token()});
  });
  ws.connect_to_url(url);
  int echoes = 0;
  wsp::run_main_loop([&] {
    ws.poll();
    Event event;
    while (ws.take_event(&event)) {
      if (event.type == Event::CONNECTED) {
        std::printf("connected (attempt %d)\n", event.attempt);
        ws.send_text("hello");
      } else if (event.type == Event::DISCONNECTED) {
        std::printf("lost (code %d)\n", event.close_code);
      } else if (event.type == Event::RECONNECT_SCHEDULED) {
        std::printf("reconnecting: attempt %d in %.1f s\n", event.attempt, event.delay);
      } else if (event.type == Event::GAVE_UP) {
        std::printf("gave up: %s\n", event.reason.c_str());
      }
    }
    while (ws.peer().get_available_packet_count() > 0) {
      const std::vector<uint8_t> message = ws.peer().get_packet();
      std::printf("echo: %.*s\n", static_cast<int>(message.size()),
                  reinterpret_cast<const char*>(message.data()));
      if (++echoes == 2) ws.close(1000, "done");
    }
    return ws.is_active();  // false once closed or given up
  });
  // ---- end ----
  std::printf("closed: %d\n", ws.peer().get_close_code());
  return echoes == 2 ? 0 : 1;
}
