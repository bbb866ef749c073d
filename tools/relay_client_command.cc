// wsp relay-client: joins a multiplayer server (wsp relay-server, or any server of Godot 4's
// protocol) from a terminal: prints who joins and leaves and what they send, and sends each
// stdin line to everyone ("@ID text" to one peer).
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <string>
#include <thread>

#include "tools/args.h"
#include "tools/commands.h"
#include "tools/stdin_lines.h"
#include "tools/tls_flags.h"
#include "wspeer/multiplayer/multiplayer_session.h"
#include "wspeer/multiplayer/websocket_multiplayer_peer.h"

namespace wsp::tool {
namespace {

constexpr const char* kHelp =
    "Usage: wsp relay-client URL [options]\n"
    "\n"
    "Joins a multiplayer server (wsp relay-server, a wspeer MultiplayerSession server, or a\n"
    "Godot 4 one) at URL, e.g. ws://127.0.0.1:9000/rooms/lobby. Prints 'joined as ID', then\n"
    "'+ID' and '-ID' as peers join and leave and 'ID: text' for what they send. Each stdin\n"
    "line is sent to everyone in the room; '@ID text' sends text to peer ID only (1 is the\n"
    "server). At the end of stdin, once nothing has arrived for the linger time, it leaves.\n"
    "Exit status: 0 after leaving, 1 when the connection failed or the server left, 2 for a\n"
    "usage error.\n"
    "\n"
    "Options (--name=value works too):\n"
    "  --token SECRET      authenticate with SECRET (the server's --token)\n"
    "  --ca FILE           trust the CA certificate(s) in FILE (PEM)\n"
    "  -k, --insecure      do not verify the server's host name (nor, without --ca, its chain)\n"
    "  --linger SECONDS    after the end of stdin, wait this long for packets (default 0.5)\n"
    "  --reconnect-grace SECONDS  when the connection drops, come back as the same peer\n"
    "                      within this time (a server with --reconnect-grace; default: off)\n";

volatile std::sig_atomic_t g_interrupted = 0;
void on_interrupt(int) { g_interrupted = 1; }

std::span<const uint8_t> as_bytes(const std::string& text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

}  // namespace

int run_relay_client(int argc, char** argv) {
  Args args;
  std::string error;
  if (!args.parse(argc, argv, 2, {"--token", "--ca", "--linger", "--reconnect-grace"},
                  {"--insecure", "--help"}, &error)) {
    usage_error("relay-client", error);
    return kExitUsage;
  }
  if (args.has("--help")) {
    std::fputs(kHelp, stdout);
    return kExitOk;
  }
  if (args.positional().size() != 1) {
    usage_error("relay-client", "expected exactly one URL.");
    return kExitUsage;
  }
  double linger = 0.5, reconnect_grace = 0;
  std::shared_ptr<const TLSOptions> tls;
  if (!args.seconds("--linger", &linger, &error, /*zero_means_off=*/true) ||
      !args.seconds("--reconnect-grace", &reconnect_grace, &error, /*zero_means_off=*/true) ||
      !client_tls_from_flags(args, &tls, &error)) {
    std::fprintf(stderr, "wsp relay-client: %s\n", error.c_str());
    return kExitUsage;
  }
  const std::optional<std::string> token = args.value("--token");

  auto transport = std::make_shared<WebSocketMultiplayerPeer>();
  transport->set_reconnect_grace(reconnect_grace);
  if (const Error failed = transport->create_client(args.positional()[0], tls); failed != OK) {
    std::fprintf(stderr, "wsp relay-client: cannot connect to %s (%s).\n",
                 args.positional()[0].c_str(), error_name(failed));
    return failed == ERR_INVALID_PARAMETER ? kExitUsage : kExitFailed;
  }
  MultiplayerSession session;
  // Authentication is on when a callback is set; the server asks nothing back, so it is empty.
  if (token) session.set_auth_callback([](int, std::span<const uint8_t>) {});
  session.set_multiplayer_peer(transport);

  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  StdinLines input;
  input.start();
  std::deque<std::string> lines;
  bool stdin_open = true, joined = false, away = false;
  auto last_activity = std::chrono::steady_clock::now();
  int status = kExitOk;
  while (!g_interrupted) {
    session.poll();
    MultiplayerSession::Event event;
    bool ended = false;
    while (session.take_event(&event)) {
      switch (event.type) {
        case MultiplayerSession::Event::PEER_AUTHENTICATING:
          session.send_auth(event.peer, as_bytes(*token));
          session.complete_auth(event.peer);
          break;
        case MultiplayerSession::Event::CONNECTED_TO_SERVER:
          joined = true;
          std::printf("joined as %d\n", session.get_unique_id());
          break;
        case MultiplayerSession::Event::PEER_CONNECTED:
          if (event.peer != 1) std::printf("+%d\n", event.peer);
          break;
        case MultiplayerSession::Event::PEER_DISCONNECTED:
          if (event.peer != 1) std::printf("-%d\n", event.peer);
          break;
        case MultiplayerSession::Event::PEER_PACKET:
          std::printf("%d: %.*s\n", event.peer, static_cast<int>(event.data.size()),
                      reinterpret_cast<const char*>(event.data.data()));
          last_activity = std::chrono::steady_clock::now();
          break;
        case MultiplayerSession::Event::CONNECTION_FAILED:
        case MultiplayerSession::Event::SERVER_DISCONNECTED:
        case MultiplayerSession::Event::PEER_AUTHENTICATION_FAILED:
          std::fprintf(stderr, "wsp relay-client: %s\n",
                       event.type == MultiplayerSession::Event::SERVER_DISCONNECTED
                           ? "the server closed the connection."
                           : "could not join (refused, or no server there).");
          ended = true;
          status = kExitFailed;
          break;
        case MultiplayerSession::Event::ROOM_MEMBER_JOINED:  // a server's
        case MultiplayerSession::Event::ROOM_MEMBER_LEFT:
          break;
      }
    }
    if (transport->is_reconnecting() != away) {
      away = !away;
      std::fprintf(stderr, "wsp relay-client: %s\n",
                   away ? "the connection dropped; coming back..." : "back, as the same peer.");
    }
    std::fflush(stdout);
    if (ended) break;
    if (stdin_open) stdin_open = input.take(&lines);
    while (joined && !lines.empty()) {
      const std::string line = std::move(lines.front());
      lines.pop_front();
      if (line.empty()) continue;
      int target = MultiplayerPeer::TARGET_PEER_BROADCAST;
      std::string text = line;
      if (line[0] == '@') {
        const size_t space = line.find(' ');
        target = std::atoi(line.substr(1, space - 1).c_str());
        text = space == std::string::npos ? "" : line.substr(space + 1);
      }
      if (text.empty() || session.send_bytes(as_bytes(text), target) != OK) {
        std::fprintf(stderr, "wsp relay-client: cannot send \"%s\".\n", line.c_str());
      }
      last_activity = std::chrono::steady_clock::now();
    }
    if (joined && !stdin_open && lines.empty() &&
        std::chrono::steady_clock::now() - last_activity >= std::chrono::duration<double>(linger)) {
      break;
    }
    transport->wait(10);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (WebSocketPeer* server = transport->get_peer(1)) server->close(1000);
  for (int round = 0; round < 20 && transport->get_peer(1) &&
                      transport->get_peer(1)->get_ready_state() != WebSocketPeer::STATE_CLOSED;
       ++round) {
    transport->get_peer(1)->poll();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return status;
}

}  // namespace wsp::tool
