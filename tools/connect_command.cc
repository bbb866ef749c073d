// wsp connect: an interactive client. Each stdin line is sent as a message; every received
// message is printed; the close code and reason are printed at the end.
#include <algorithm>
#include <climits>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <string>
#include <thread>

#include "tools/args.h"
#include "tools/commands.h"
#include "tools/deflate_flags.h"
#include "tools/stdin_lines.h"
#include "tools/tls_flags.h"
#include "wspeer/core/close_code.h"
#include "wspeer/core/proxy/proxy_choice.h"
#include "wspeer/core/reconnect/reconnecting_peer.h"
#include "wspeer/core/websocket_peer.h"
#include "wspeer/platform/native/native_websocket_peer.h"
#include "wspeer/platform/native/net.h"

namespace wsp::tool {
namespace {

constexpr const char* kHelp =
    "Usage: wsp connect URL [options]\n"
    "\n"
    "Connects to a WebSocket server. Each line read from stdin is sent as a text message\n"
    "(binary with --binary); each message received is printed on stdout (binary messages as\n"
    "\"<binary N bytes> hex\"). At the end of stdin, once nothing has arrived for the linger\n"
    "time, the connection is closed with 1000.\n"
    "Ctrl-C (or SIGTERM) closes the connection with 1000 and exits once the server answered\n"
    "(a second Ctrl-C exits at once).\n"
    "The close code and reason go to stderr. Exit status: 0 after a clean close, 1 when the\n"
    "connection failed or ended without a close handshake, 2 for a usage error.\n"
    "\n"
    "Options (--name=value works too):\n"
    "  -s, --protocol P    offer sub-protocol P (repeatable)\n"
    "  -H, --header 'K: V' add a header to the handshake request (repeatable)\n"
    "  --ca FILE           trust the CA certificate(s) in FILE (PEM) instead of the system store\n"
    "  -k, --insecure      do not verify the server certificate's host name (and, without --ca,\n"
    "                      not the certificate either)\n"
    "  -b, --binary        send stdin lines as binary messages\n"
    "  --max-message N     largest message accepted, in bytes (default 67108864)\n"
    "  --linger SECONDS    after the end of stdin, wait this long for replies (default 0.5)\n"
    "  --heartbeat SECONDS ping every SECONDS; a peer silent for a whole interval while a\n"
    "                      ping is unanswered is dropped (close code -1); each pong's\n"
    "                      round-trip time goes to stderr. Default: off\n"
    "  --proxy URL         connect through a proxy: http://[user:pass@]host:port (CONNECT),\n"
    "                      socks5://... (names resolved here) or socks5h://... (by the proxy)\n"
    "  --no-proxy          ignore the proxy environment variables and connect directly\n"
    "Without --proxy or --no-proxy the environment is read as curl does: wss_proxy / ws_proxy,\n"
    "https_proxy / http_proxy, all_proxy (also in capitals, except HTTP_PROXY) and no_proxy.\n"
    "  --reconnect         when the connection fails or drops, try again with exponential\n"
    "                      backoff and jitter (not after 4xx refusals or close codes\n"
    "                      1008, 3500-3999, 4500-4999); lines typed meanwhile are sent after\n"
    "  --reconnect-min S   shortest delay before an attempt (default 0.5)\n"
    "  --reconnect-max S   longest delay (default 30)\n"
    "  --reconnect-attempts N  attempts after a loss before giving up (default 0: forever)\n";
// After the deflate flags (deflate_flags.h) in the usage text.
constexpr const char* kHelpExamples =
    "\n"
    "Examples:\n"
    "  wsp connect ws://127.0.0.1:9000/\n"
    "  echo hello | wsp connect wss://localhost:9443/chat --ca ca.pem --protocol chat\n"
    "  wsp connect ws://[::1]:9000/ -H 'Authorization: Bearer TOKEN'\n"
    "  wsp connect wss://example.com/ --proxy http://user:secret@proxy.corp:3128\n";

volatile std::sig_atomic_t g_interrupts = 0;
void on_interrupt(int) { g_interrupts = g_interrupts + 1; }

void print_message(const uint8_t* data, int size, bool is_text) {
  if (is_text) {
    std::fwrite(data, 1, static_cast<size_t>(size), stdout);
    std::fputc('\n', stdout);
  } else {
    std::printf("<binary %d bytes>", size);
    const int shown = std::min(size, 32);
    if (shown > 0) std::fputc(' ', stdout);
    for (int i = 0; i < shown; ++i) std::printf("%02x", data[i]);
    if (size > shown) std::fputs("...", stdout);
    std::fputc('\n', stdout);
  }
  std::fflush(stdout);
}

// --reconnect and its backoff flags; without --reconnect nothing is tried again.
bool reconnect_policy_from_flags(const Args& args, ReconnectPolicy* policy, std::string* error) {
  long long attempts = 0;
  if (!args.seconds("--reconnect-min", &policy->min_delay, error) ||
      !args.seconds("--reconnect-max", &policy->max_delay, error) ||
      !args.integer("--reconnect-attempts", 0, INT32_MAX, &attempts, error)) {
    return false;
  }
  const bool tuned = args.has("--reconnect-min") || args.has("--reconnect-max") ||
                     args.has("--reconnect-attempts");
  if (tuned && !args.has("--reconnect")) {
    *error = "--reconnect-min, --reconnect-max and --reconnect-attempts need --reconnect.";
    return false;
  }
  if (policy->max_delay < policy->min_delay) {
    *error = "--reconnect-max must not be below --reconnect-min.";
    return false;
  }
  policy->max_attempts = static_cast<int>(attempts);
  if (!args.has("--reconnect")) policy->retry_if = [](const ConnectionEnd&) { return false; };
  return true;
}

// What --reconnect does, on stderr (without it the only event is the final GAVE_UP, which the
// close line says better).
void report(const ReconnectingPeer::Event& event) {
  using Event = ReconnectingPeer::Event;
  switch (event.type) {
    case Event::CONNECTED:
      if (event.attempt > 0) std::fprintf(stderr, "reconnected (attempt %d)\n", event.attempt);
      break;
    case Event::DISCONNECTED:
      std::fprintf(stderr, "connection lost (code %d)%s%s\n", event.close_code,
                   event.reason.empty() ? "" : ": ", event.reason.c_str());
      break;
    case Event::RECONNECT_SCHEDULED:
      std::fprintf(stderr, "reconnecting: attempt %d in %.2f s%s%s%s\n", event.attempt, event.delay,
                   event.reason.empty() ? "" : " (", event.reason.c_str(),
                   event.reason.empty() ? "" : ")");
      break;
    case Event::GAVE_UP:
      std::fprintf(stderr, "stopped reconnecting: %s\n", event.reason.c_str());
      break;
  }
}

// " through the proxy http://host:port (from https_proxy)" when one is used.
std::string proxy_note(const WebSocketPeer& peer) {
  WsUrl url;
  ProxyChoice choice;
  if (parse_ws_url(peer.get_requested_url(), &url, nullptr) != OK ||
      choose_proxy(url, peer.get_proxy(), peer.get_use_environment_proxy(), process_environment(),
                   &choice, nullptr) != OK ||
      !choice.proxy) {
    return "";
  }
  return " through the proxy " + choice.proxy->to_string() + " (from " + choice.source + ")";
}

}  // namespace

int run_connect(int argc, char** argv) {
  Args args;
  std::string error;
  if (!args.parse(
          argc, argv, 2,
          with_flags({"--protocol", "--header", "--ca", "--max-message", "--linger", "--heartbeat",
                      "--proxy", "--reconnect-min", "--reconnect-max", "--reconnect-attempts"},
                     kDeflateValueFlags),
          with_flags({"--insecure", "--binary", "--no-proxy", "--reconnect", "--help"},
                     kDeflateSwitchFlags),
          &error)) {
    usage_error("connect", error);
    return 2;
  }
  if (args.has("--help")) {
    std::fputs(kHelp, stdout);
    std::fputs(kDeflateHelp, stdout);
    std::fputs(kHelpExamples, stdout);
    return 0;
  }
  if (args.positional().size() != 1) {
    usage_error("connect", "expected exactly one URL.");
    return 2;
  }
  if (args.has("--proxy") && args.has("--no-proxy")) {
    usage_error("connect", "--proxy and --no-proxy exclude each other.");
    return 2;
  }
  long long max_message = 64 << 20;
  double linger = 0.5;
  if (auto text = args.value("--linger")) {
    char* end = nullptr;
    linger = std::strtod(text->c_str(), &end);
    if (text->empty() || *end != '\0' || !(linger >= 0)) {
      std::fprintf(stderr, "wsp connect: --linger must be a number of seconds.\n");
      return 2;
    }
  }
  std::shared_ptr<const TLSOptions> tls;
  DeflateOptions deflate;
  double heartbeat = 0;
  ReconnectPolicy policy;
  if (!reconnect_policy_from_flags(args, &policy, &error) ||
      !args.integer("--max-message", 1, 0x7FFFFFFF, &max_message, &error) ||
      !args.seconds("--heartbeat", &heartbeat, &error, /*zero_means_off=*/true) ||
      !client_tls_from_flags(args, &tls, &error) ||
      !deflate_from_flags(args, /*is_server=*/false, &deflate, &error)) {
    std::fprintf(stderr, "wsp connect: %s\n", error.c_str());
    return 2;
  }

  ReconnectingPeer connection(policy);
  WebSocketPeer* peer = &connection.peer();
  if (peer->set_supported_protocols(args.values("--protocol")) != OK ||
      peer->set_handshake_headers(args.values("--header")) != OK) {
    std::fprintf(stderr, "wsp connect: %s\n", peer->get_last_error().c_str());
    return 2;
  }
  peer->set_inbound_buffer_size(static_cast<int>(max_message));
  peer->set_outbound_buffer_size(0);
  peer->set_deflate_options(deflate);
  peer->set_heartbeat_interval(heartbeat);
  // ---- excerpt: proxy ----
  peer->set_use_environment_proxy(!args.has("--no-proxy"));  // default: read it as curl does
  // "" (no --proxy) leaves the choice to the environment.
  if (peer->set_proxy(args.value("--proxy").value_or("")) != OK) {
    std::fprintf(stderr, "wsp connect: --proxy: %s\n", peer->get_last_error().c_str());
    return 2;
  }
  // ---- end ----
  if (const Error error = connection.connect_to_url(args.positional()[0], tls); error != OK) {
    std::fprintf(stderr, "wsp connect: %s\n", connection.get_last_error().c_str());
    return error == ERR_INVALID_PARAMETER ? 2 : 1;  // a URL that cannot be used is a usage error
  }
  auto* native = static_cast<NativeWebSocketPeer*>(peer);
  const bool binary = args.has("--binary");

  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  int interrupts_handled = 0;
  std::deque<std::string> lines;
  StdinLines input;
  input.start();
  bool stdin_open = true;
  bool announced_open = false;
  bool closing = false;  // we closed: the connection's end is no loss
  double round_trip = -1;
  Clock::time_point last_activity = Clock::now();
  const auto linger_time =
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(linger));
  while (true) {
    if (g_interrupts > interrupts_handled) {
      // The first interrupt closes cleanly (the server sees 1000, not a dropped connection);
      // a second one, or one before the connection opened, ends at once.
      const bool first = interrupts_handled == 0;
      interrupts_handled = g_interrupts;
      closing = true;
      if (first && peer->get_ready_state() == WebSocketPeer::STATE_OPEN) {
        connection.close(kCloseNormal, "");
      } else {
        connection.close(-1);
      }
      stdin_open = false;
      lines.clear();
    }
    connection.poll();
    ReconnectingPeer::Event event;
    while (connection.take_event(&event)) {
      // Our own close (end of stdin, Ctrl-C) is no loss to report.
      const bool ours = event.type == ReconnectingPeer::Event::DISCONNECTED && closing;
      if (args.has("--reconnect") && !ours) report(event);
      if (event.type == ReconnectingPeer::Event::DISCONNECTED) announced_open = false;
    }
    const WebSocketPeer::State state = peer->get_ready_state();
    if (state == WebSocketPeer::STATE_OPEN && !announced_open) {
      announced_open = true;
      std::fprintf(stderr, "connected to %s%s%s%s\n", peer->get_requested_url().c_str(),
                   peer->get_selected_protocol().empty() ? "" : " with sub-protocol ",
                   peer->get_selected_protocol().c_str(), proxy_note(*peer).c_str());
    }
    if (peer->get_round_trip_time() != round_trip) {
      round_trip = peer->get_round_trip_time();
      if (round_trip >= 0) std::fprintf(stderr, "round-trip time %.2f ms\n", round_trip * 1000);
    }
    while (peer->get_available_packet_count() > 0) {
      const uint8_t* data;
      int size;
      if (peer->get_packet(&data, &size) != OK) break;
      print_message(data, size, peer->was_string_packet());
      last_activity = Clock::now();
    }
    if (!connection.is_active() && state == WebSocketPeer::STATE_CLOSED) break;
    if (state == WebSocketPeer::STATE_OPEN) {
      while (!lines.empty()) {
        const std::string& line = lines.front();
        const Error sent = binary ? peer->send(std::span<const uint8_t>(
                                        reinterpret_cast<const uint8_t*>(line.data()), line.size()))
                                  : peer->send_text(line);
        if (sent != OK) {
          std::fprintf(stderr, "wsp connect: %s\n", peer->get_last_error().c_str());
          if (sent == ERR_OUT_OF_MEMORY) break;  // retry after the queue drains
        }
        lines.pop_front();
        last_activity = Clock::now();
      }
      if (!stdin_open && lines.empty() && peer->get_current_outbound_buffered_amount() == 0 &&
          Clock::now() - last_activity >= linger_time) {
        closing = true;
        connection.close(kCloseNormal, "");
      }
    }

    // Wait for the socket or the peer's next deadline; stdin lines are checked between waits.
    const PollInterest interest = native->get_poll_interest();
    int timeout = interest.timeout_ms(stdin_open ? 20 : 200);
    if (connection.is_waiting()) {
      timeout = std::min(timeout, static_cast<int>(connection.get_time_until_attempt() * 1000) + 1);
    }
    if (interest.fd >= 0 && !interest.poll_now) {
      native::wait_for(interest.fd, interest.wait_interest(), timeout);
    } else if (!interest.poll_now) {
      std::this_thread::sleep_for(std::chrono::milliseconds(timeout));
    }
    if (stdin_open) stdin_open = input.take(&lines);
  }

  const int code = peer->get_close_code();
  if (code == kCloseUnclean) {
    std::fprintf(stderr, "connection closed uncleanly (code -1)%s%s\n",
                 peer->get_last_error().empty() ? "" : ": ", peer->get_last_error().c_str());
    return 1;
  }
  std::fprintf(
      stderr, "closed with code %d%s%s\n", code,
      peer->get_close_reason().empty() ? "" : ", reason: ", peer->get_close_reason().c_str());
  return 0;
}

}  // namespace wsp::tool
