// //web_demo:bot — a native participant built from the same RoomClient as the browser page: it
// circles the room and answers chat. Usage: bot --url ws://127.0.0.1:PORT/ws [--name NAME]
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

#include "web_demo/room_client.h"

namespace {
volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }
}  // namespace

int main(int argc, char** argv) {
  std::string url, name = "native-bot";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--url") == 0) url = argv[i + 1];
    if (std::strcmp(argv[i], "--name") == 0) name = argv[i + 1];
  }
  if (url.empty()) {
    std::fprintf(stderr, "usage: bot --url ws://HOST:PORT/ws [--name NAME]\n");
    return 2;
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  wsp::demo::RoomClient client(name);
  client.on_chat = [&client](const wsp::demo::Participant& from, const std::string& text) {
    if (from.name.rfind("native-bot", 0) == 0) return;  // bots do not talk to each other
    client.say("hi " + from.name + ", I am native C++ and I heard: " + text);
  };
  if (client.connect(url) != wsp::OK) {
    std::fprintf(stderr, "bot: %s\n", client.stats().error.c_str());
    return 1;
  }
  const auto start = std::chrono::steady_clock::now();
  bool was_open = false;
  while (!g_stop) {
    const double now_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    const double angle = now_ms / 1500.0;
    client.move_to(0.5f + 0.3f * static_cast<float>(std::cos(angle)),
                   0.5f + 0.3f * static_cast<float>(std::sin(angle)));
    client.update(now_ms);
    const wsp::demo::Stats& stats = client.stats();
    if (stats.state == wsp::WebSocketPeer::STATE_OPEN && !was_open) {
      was_open = true;
      std::printf("bot: joined %s\n", url.c_str());
      std::fflush(stdout);
    }
    if (stats.state == wsp::WebSocketPeer::STATE_CLOSED) {
      std::printf("bot: closed with code %d %s%s\n", stats.close_code, stats.close_reason.c_str(),
                  stats.error.empty() ? "" : (" (" + stats.error + ")").c_str());
      return stats.close_code == -1 ? 1 : 0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  client.disconnect();
  for (int i = 0; i < 100 && client.stats().state != wsp::WebSocketPeer::STATE_CLOSED; ++i) {
    client.update(0);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return 0;
}
