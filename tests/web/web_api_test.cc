// The public API exercised end to end from WebAssembly: run under Node 20's WebSocket and in
// headless Chromium against native wspeer servers. The same file builds natively too, which
// shows the same application code working on both backends.
//
// Arguments: --echo=ws://HOST:PORT (wsp echo-server --protocol chat --max-message 16777216)
//            --tls=wss://localhost:PORT   --scenario=ws://127.0.0.1:PORT
//            --closed-port=N              --ipv6=ws://[::1]:PORT (optional)
//            --relay=ws://127.0.0.1:PORT  (wsp relay-server: the multiplayer cases)
//            --relay-via=ws://127.0.0.1:PORT --cut=ws://127.0.0.1:PORT  (the same server through
//              a forwarder, and its control port that cuts every connection through it)
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/web/async_test.h"
#include "tests/web/multiplayer_cases.h"
#include "tests/web/reconnect_cases.h"
#include "wspeer/core/websocket_peer.h"

#ifdef __EMSCRIPTEN__
#include <emscripten/emscripten.h>
#endif

namespace wsp {
namespace {

using async_test::Context;
using async_test::Task;

std::map<std::string, std::string> g_args;

std::span<const uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

bool is_closed(WebSocketPeer& ws) {
  ws.poll();
  return ws.get_ready_state() == WebSocketPeer::STATE_CLOSED;
}

bool has_packets(WebSocketPeer& ws, int count) {
  ws.poll();
  return ws.get_available_packet_count() >= count;
}

std::string take(WebSocketPeer& ws) {
  auto packet = ws.get_packet();
  return std::string(packet.begin(), packet.end());
}

// Connects and waits for the handshake; the test fails with the peer's reason otherwise. (A
// server may already have closed again by then: the native backend can run the handshake, the
// messages and the close in one poll.)
#define CONNECT(ctx, ws, url)                                                                   \
  ASYNC_REQUIRE(ctx, (ws)->connect_to_url(url) == OK);                                          \
  co_await (ctx).until(                                                                         \
      [&] { return (ws)->poll(), (ws)->get_ready_state() != WebSocketPeer::STATE_CONNECTING; }, \
      "the connection to settle");                                                              \
  if ((ws)->get_handshake_status() != 101)                                                      \
    (ctx).fail("handshake failed: " + (ws)->get_last_error());                                  \
  if ((ctx).failed()) co_return;

Task text_and_binary_echo(Context& ctx) {
  auto ws = WebSocketPeer::create();
  ws->set_supported_protocols({"nope", "chat"});
  CONNECT(ctx, ws, g_args["echo"] + "/echo");
  ASYNC_CHECK_EQ(ctx, ws->get_selected_protocol(), std::string("chat"));
  ASYNC_CHECK_EQ(ctx, ws->get_requested_url(), g_args["echo"] + "/echo");
  ASYNC_REQUIRE(ctx, ws->send_text("h\xc3\xa9llo \xe2\x9c\x93") == OK);
  std::string binary;
  for (int i = 0; i < 256; ++i) binary += static_cast<char>(i);
  ASYNC_REQUIRE(ctx, ws->send(bytes_of(binary)) == OK);
  ASYNC_REQUIRE(ctx, ws->send_text(std::string("nul\0inside", 10)) == OK);
  co_await ctx.until([&] { return has_packets(*ws, 3); }, "three echoes");
  ASYNC_CHECK_EQ(ctx, take(*ws), std::string("h\xc3\xa9llo \xe2\x9c\x93"));
  ASYNC_CHECK(ctx, ws->was_string_packet());
  ASYNC_CHECK(ctx, take(*ws) == binary);
  ASYNC_CHECK(ctx, !ws->was_string_packet());
  ASYNC_CHECK_EQ(ctx, take(*ws), std::string("nul\0inside", 10));
  const uint8_t* view;
  int size;
  ASYNC_CHECK_EQ(ctx, static_cast<int>(ws->get_packet(&view, &size)),
                 static_cast<int>(ERR_UNAVAILABLE));
}

Task empty_messages(Context& ctx) {
  auto ws = WebSocketPeer::create();
  CONNECT(ctx, ws, g_args["echo"] + "/");
  ASYNC_REQUIRE(ctx, ws->put_packet(nullptr, 0) == OK);
  ASYNC_REQUIRE(ctx, ws->send_text("") == OK);
  co_await ctx.until([&] { return has_packets(*ws, 2); }, "two empty echoes");
  ASYNC_CHECK(ctx, take(*ws).empty() && !ws->was_string_packet());
  ASYNC_CHECK(ctx, take(*ws).empty() && ws->was_string_packet());
}

Task large_message_and_buffered_amount(Context& ctx) {
  auto ws = WebSocketPeer::create();
  ws->set_inbound_buffer_size(8 << 20);
  ws->set_outbound_buffer_size(0);
  CONNECT(ctx, ws, g_args["echo"] + "/");
  std::string big(4 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 131) >> 7);
  ASYNC_REQUIRE(ctx, ws->send(bytes_of(big)) == OK);
  // bufferedAmount counts what the browser has not sent yet; it drains to zero.
  const int64_t right_after = ws->get_current_outbound_buffered_amount();
  ASYNC_CHECK(ctx, right_after >= 0 && right_after <= static_cast<int64_t>(big.size()));
  co_await ctx.until([&] { return has_packets(*ws, 1); }, "the 4 MiB echo", 30);
  ASYNC_CHECK(ctx, take(*ws) == big);
  ASYNC_CHECK_EQ(ctx, ws->get_current_outbound_buffered_amount(), int64_t{0});
}

Task client_close_code_and_reason(Context& ctx) {
  auto ws = WebSocketPeer::create();
  CONNECT(ctx, ws, g_args["echo"] + "/");
  ASYNC_REQUIRE(ctx, ws->close(4000, "bye from wasm") == OK);
  ASYNC_CHECK_EQ(ctx, static_cast<int>(ws->get_ready_state()),
                 static_cast<int>(WebSocketPeer::STATE_CLOSING));
  co_await ctx.until([&] { return is_closed(*ws); }, "CLOSED");
  ASYNC_CHECK_EQ(ctx, ws->get_close_code(), 4000);
}

Task server_close_keeps_messages(Context& ctx) {
  auto ws = WebSocketPeer::create();
  CONNECT(ctx, ws, g_args["scenario"] + "/close/4321/custom%20reason");
  co_await ctx.until([&] { return is_closed(*ws); }, "the server's close");
  ASYNC_CHECK_EQ(ctx, ws->get_close_code(), 4321);
  ASYNC_CHECK_EQ(ctx, ws->get_close_reason(), std::string("custom reason"));
  ASYNC_CHECK_EQ(ctx, ws->get_available_packet_count(), 1);
  ASYNC_CHECK_EQ(ctx, take(*ws), std::string("closing soon"));
}

Task status_less_close_is_1005(Context& ctx) {
  auto ws = WebSocketPeer::create();
  CONNECT(ctx, ws, g_args["scenario"] + "/nostatus");
  co_await ctx.until([&] { return is_closed(*ws); }, "the server's close");
  ASYNC_CHECK_EQ(ctx, ws->get_close_code(), 1005);
  ASYNC_CHECK_EQ(ctx, take(*ws), std::string("no status"));
}

Task dropped_connection_is_unclean(Context& ctx) {
  auto ws = WebSocketPeer::create();
  CONNECT(ctx, ws, g_args["scenario"] + "/drop");
  co_await ctx.until([&] { return is_closed(*ws); }, "the drop");
  ASYNC_CHECK_EQ(ctx, ws->get_close_code(), -1);
  ASYNC_CHECK(ctx, !ws->get_last_error().empty());
  ASYNC_CHECK_EQ(ctx, take(*ws), std::string("last words"));
}

Task message_over_inbound_limit_closes_1009(Context& ctx) {
  auto ws = WebSocketPeer::create();
  ws->set_inbound_buffer_size(100);
  CONNECT(ctx, ws, g_args["echo"] + "/");
  ASYNC_REQUIRE(ctx, ws->send_text("small") == OK);
  ASYNC_REQUIRE(ctx, ws->send_text(std::string(200, 'x')) == OK);
  co_await ctx.until([&] { return is_closed(*ws); }, "the 1009 close");
  ASYNC_CHECK_EQ(ctx, ws->get_close_code(), 1009);
  ASYNC_CHECK_EQ(ctx, ws->get_close_reason(), std::string("Message too big"));
  ASYNC_CHECK(ctx, ws->get_last_error().find("inbound_buffer_size") != std::string::npos);
#ifdef __EMSCRIPTEN__
  ASYNC_CHECK(ctx, ws->get_last_error().find("browsers cannot send 1009") != std::string::npos);
#endif
  ASYNC_CHECK_EQ(ctx, take(*ws), std::string("small"));
}

Task too_many_unread_messages(Context& ctx) {
  auto ws = WebSocketPeer::create();
  ws->set_max_queued_packets(3);
  CONNECT(ctx, ws, g_args["echo"] + "/");
  for (int i = 0; i < 6; ++i) ws->send_text("m" + std::to_string(i));
#ifdef __EMSCRIPTEN__
  // A browser cannot pause the socket: the fourth unread message closes with 1009 and a reason.
  ASYNC_CHECK(ctx, ws->get_last_error().find("counts received messages only") != std::string::npos);
  co_await ctx.until([&] { return is_closed(*ws); }, "the 1009 close");
  ASYNC_CHECK_EQ(ctx, ws->get_close_code(), 1009);
  ASYNC_CHECK(ctx, ws->get_last_error().find("max_queued_packets") != std::string::npos);
  ASYNC_CHECK_EQ(ctx, ws->get_available_packet_count(), 3);
#else
  // Natively the socket is not read while the queue is full; draining resumes it.
  co_await ctx.until([&] { return has_packets(*ws, 3); }, "three queued messages");
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
  co_await ctx.until(
      [&] {
        ws->poll();
        return std::chrono::steady_clock::now() > until;
      },
      "a pause");
  ASYNC_CHECK_EQ(ctx, ws->get_available_packet_count(), 3);
  std::vector<std::string> got;
  co_await ctx.until(
      [&] {
        ws->poll();
        while (ws->get_available_packet_count() > 0) got.push_back(take(*ws));
        return got.size() == 6;
      },
      "all six messages");
  ASYNC_CHECK_EQ(ctx, got[5], std::string("m5"));
  ASYNC_CHECK_EQ(ctx, static_cast<int>(ws->get_ready_state()),
                 static_cast<int>(WebSocketPeer::STATE_OPEN));
#endif
}

Task outbound_limit_uses_buffered_amount(Context& ctx) {
  auto ws = WebSocketPeer::create();
  ws->set_outbound_buffer_size(10);
  CONNECT(ctx, ws, g_args["echo"] + "/");
  ASYNC_CHECK_EQ(ctx, static_cast<int>(ws->send_text(std::string(11, 'x'))),
                 static_cast<int>(ERR_OUT_OF_MEMORY));
  ASYNC_CHECK_EQ(ctx, static_cast<int>(ws->send_text(std::string(10, 'x'))), static_cast<int>(OK));
}

// No state lasts forever, in a browser too: a server that accepts TCP and never answers.
Task handshake_timeout_ends_connecting(Context& ctx) {
  auto ws = WebSocketPeer::create();
  ws->set_handshake_timeout(0.5);
  ASYNC_REQUIRE(ctx, ws->connect_to_url(g_args["scenario"] + "/silent") == OK);
  co_await ctx.until([&] { return is_closed(*ws); }, "the handshake timeout", 3.0);
  ASYNC_CHECK_EQ(ctx, ws->get_close_code(), -1);
  ASYNC_CHECK_EQ(ctx, ws->get_last_error(), std::string("Handshake timed out after 0.5 s."));
}

// A close that the server never answers.
Task close_timeout_ends_closing(Context& ctx) {
  auto ws = WebSocketPeer::create();
  ws->set_close_timeout(0.5);
  CONNECT(ctx, ws, g_args["scenario"] + "/noclose");
  ASYNC_REQUIRE(ctx, ws->close(1000) == OK);
  ASYNC_CHECK_EQ(ctx, static_cast<int>(ws->get_ready_state()),
                 static_cast<int>(WebSocketPeer::STATE_CLOSING));
  co_await ctx.until([&] { return is_closed(*ws); }, "the close timeout", 3.0);
  ASYNC_CHECK_EQ(ctx, ws->get_close_code(), -1);
  ASYNC_CHECK_EQ(ctx, ws->get_last_error(),
                 std::string("Close handshake timed out after 0.5 s; the connection was dropped."));
}

// What was sent and not yet written is reported (bufferedAmount in a browser): a server that
// reads nothing lets it grow, and it never exceeds what was sent.
Task buffered_amount_grows_when_the_server_does_not_read(Context& ctx) {
  auto ws = WebSocketPeer::create();
  ws->set_outbound_buffer_size(0);
  CONNECT(ctx, ws, g_args["scenario"] + "/noread");
  const std::string chunk(1 << 20, 'q');
  int64_t sent = 0;
  for (int i = 0; i < 48; ++i) {
    ASYNC_REQUIRE(ctx, ws->send(bytes_of(chunk)) == OK);
    sent += static_cast<int64_t>(chunk.size());
  }
  co_await ctx.sleep(0.5);
  const int64_t buffered = ws->get_current_outbound_buffered_amount();
  // Socket buffers take some megabytes at most; the rest must still be counted as unsent.
  ASYNC_CHECK(ctx, buffered >= 16 << 20);
  ASYNC_CHECK(ctx, buffered <= sent);
  ws->close(-1);
}

Task invalid_close_arguments(Context& ctx) {
  auto ws = WebSocketPeer::create();
  CONNECT(ctx, ws, g_args["echo"] + "/");
#ifdef __EMSCRIPTEN__
  const int refused[] = {1001, 1002, 1011, 2000, 999, 5000};  // browsers accept 1000, 3000-4999
#else
  const int refused[] = {1004, 1005, 1006, 2000, 999, 5000};
#endif
  for (int code : refused)
    ASYNC_CHECK_EQ(ctx, static_cast<int>(ws->close(code)), static_cast<int>(ERR_INVALID_PARAMETER));
  ASYNC_CHECK_EQ(ctx, static_cast<int>(ws->close(1000, std::string(124, 'r'))),
                 static_cast<int>(ERR_INVALID_PARAMETER));
  ASYNC_CHECK_EQ(ctx, static_cast<int>(ws->close(1000, "bad\xff")),
                 static_cast<int>(ERR_INVALID_PARAMETER));
  ASYNC_CHECK_EQ(ctx, static_cast<int>(ws->get_ready_state()),
                 static_cast<int>(WebSocketPeer::STATE_OPEN));
  ASYNC_CHECK_EQ(ctx, static_cast<int>(ws->send_text("bad\xff")),
                 static_cast<int>(ERR_INVALID_DATA));
  ASYNC_REQUIRE(ctx, ws->close(3001, std::string(123, 'r')) == OK);
  co_await ctx.until([&] { return is_closed(*ws); }, "CLOSED");
  ASYNC_CHECK_EQ(ctx, ws->get_close_code(), 3001);
}

Task negative_close_ends_at_once(Context& ctx) {
  auto ws = WebSocketPeer::create();
  CONNECT(ctx, ws, g_args["echo"] + "/");
  ASYNC_CHECK_EQ(ctx, static_cast<int>(ws->close(-1)), static_cast<int>(OK));
  ASYNC_CHECK_EQ(ctx, static_cast<int>(ws->get_ready_state()),
                 static_cast<int>(WebSocketPeer::STATE_CLOSED));
  ASYNC_CHECK_EQ(ctx, ws->get_close_code(), -1);
#ifdef __EMSCRIPTEN__
  ASYNC_CHECK(ctx, ws->get_last_error().find("the remote sees 1005") != std::string::npos);
#endif
  ASYNC_CHECK_EQ(ctx, static_cast<int>(ws->send_text("x")), static_cast<int>(FAILED));
}

Task connection_refused(Context& ctx) {
  auto ws = WebSocketPeer::create();
  const Error started = ws->connect_to_url("ws://127.0.0.1:" + g_args["closed-port"] + "/");
  ASYNC_REQUIRE(ctx, started == OK || started == FAILED);
  co_await ctx.until([&] { return is_closed(*ws); }, "the refusal");
  ASYNC_CHECK_EQ(ctx, ws->get_close_code(), -1);
  ASYNC_CHECK(ctx, !ws->get_last_error().empty());
}

Task bad_arguments_fail_at_once(Context& ctx) {
  auto ws = WebSocketPeer::create();
  ASYNC_CHECK_EQ(ctx, static_cast<int>(ws->connect_to_url("http://example.com/")),
                 static_cast<int>(ERR_INVALID_PARAMETER));
  ASYNC_CHECK_EQ(ctx, static_cast<int>(ws->connect_to_url("")),
                 static_cast<int>(ERR_INVALID_PARAMETER));
  auto server_options =
      TLSOptions::server(std::make_shared<CryptoKey>(), std::make_shared<X509Certificate>());
  ASYNC_CHECK_EQ(ctx, static_cast<int>(ws->connect_to_url("wss://localhost/", server_options)),
                 static_cast<int>(ERR_INVALID_PARAMETER));
  ASYNC_CHECK_EQ(ctx, static_cast<int>(ws->get_ready_state()),
                 static_cast<int>(WebSocketPeer::STATE_CLOSED));
  co_return;
}

#ifdef __EMSCRIPTEN__
Task throwing_constructor_fails_at_once(Context& ctx) {
  // The harness makes `new WebSocket()` throw for URLs containing "throw-me", as a browser does
  // for a blocked port or mixed content.
  auto ws = WebSocketPeer::create();
  ASYNC_CHECK_EQ(ctx, static_cast<int>(ws->connect_to_url(g_args["echo"] + "/throw-me")),
                 static_cast<int>(ERR_CANT_CONNECT));
  ASYNC_CHECK_EQ(ctx, static_cast<int>(ws->get_ready_state()),
                 static_cast<int>(WebSocketPeer::STATE_CLOSED));
  ASYNC_CHECK(ctx, ws->get_last_error().find("refused for the test") != std::string::npos);
  co_return;
}

Task unsupported_features_say_so(Context& ctx) {
  auto ws = WebSocketPeer::create();
  ASYNC_CHECK_EQ(ctx, static_cast<int>(ws->accept_stream(nullptr)),
                 static_cast<int>(ERR_UNAVAILABLE));
  ASYNC_CHECK(ctx, ws->get_last_error().find("server") != std::string::npos);
  ws->set_handshake_headers({"X-Ignored: 1"});
  ws->set_heartbeat_interval(0.1);
  ASYNC_REQUIRE(ctx, ws->set_proxy("http://127.0.0.1:1") == OK);  // nothing there: not used
  CONNECT(ctx, ws, g_args["echo"] + "/");
  ASYNC_CHECK(ctx, ws->get_last_error().find("handshake_headers are ignored") != std::string::npos);
  ASYNC_CHECK(ctx, ws->get_last_error().find("set_proxy() is ignored") != std::string::npos);
  ASYNC_CHECK_EQ(ctx, ws->get_connected_host(), std::string(""));
  ASYNC_CHECK(ctx, ws->get_last_error().find("remote address") != std::string::npos);
  ASYNC_CHECK_EQ(ctx, ws->get_connected_port(), 0);
  ws->set_no_delay(false);
  ASYNC_CHECK(ctx, ws->get_last_error().find("set_no_delay") != std::string::npos);
  co_await ctx.sleep(0.3);  // heartbeat has no effect: still open
  ASYNC_CHECK_EQ(ctx, static_cast<int>(ws->get_ready_state()),
                 static_cast<int>(WebSocketPeer::STATE_OPEN));
  ASYNC_CHECK_EQ(ctx, ws->get_round_trip_time(), -1.0);  // pages see no pongs
}
#endif

Task buffers_stay_readable_until_the_next_connect(Context& ctx) {
  auto ws = WebSocketPeer::create();
  CONNECT(ctx, ws, g_args["scenario"] + "/close/1000/done");
  co_await ctx.until([&] { return is_closed(*ws); }, "the server's close");
  ASYNC_CHECK_EQ(ctx, ws->get_available_packet_count(), 1);
  ASYNC_REQUIRE(ctx, ws->connect_to_url(g_args["echo"] + "/") == OK);
  ASYNC_CHECK_EQ(ctx, ws->get_available_packet_count(), 0);
  ASYNC_CHECK_EQ(ctx, ws->get_close_code(), -1);
  co_await ctx.until([&] { return ws->poll(), ws->get_ready_state() == WebSocketPeer::STATE_OPEN; },
                     "reopen");
}

Task ipv6_literal_url(Context& ctx) {
  if (g_args["ipv6"].empty()) co_return;  // no IPv6 loopback here
  auto ws = WebSocketPeer::create();
  CONNECT(ctx, ws, g_args["ipv6"] + "/v6");
  ASYNC_CHECK_EQ(ctx, ws->get_requested_url(), g_args["ipv6"] + "/v6");
  ASYNC_REQUIRE(ctx, ws->send_text("over v6") == OK);
  co_await ctx.until([&] { return has_packets(*ws, 1); }, "the echo");
  ASYNC_CHECK_EQ(ctx, take(*ws), std::string("over v6"));
}

Task secure_websocket(Context& ctx) {
  if (g_args["tls"].empty()) co_return;
  auto ws = WebSocketPeer::create();
#ifndef __EMSCRIPTEN__
  auto ca = std::make_shared<X509Certificate>();
  ASYNC_REQUIRE(ctx, ca->load(g_args["ca"]) == OK);
  ASYNC_REQUIRE(ctx, ws->connect_to_url(g_args["tls"] + "/secure", TLSOptions::client(ca)) == OK);
  co_await ctx.until(
      [&] { return ws->poll(), ws->get_ready_state() != WebSocketPeer::STATE_CONNECTING; }, "open");
#else
  CONNECT(ctx, ws, g_args["tls"] + "/secure");
#endif
  ASYNC_REQUIRE(ctx, ws->get_ready_state() == WebSocketPeer::STATE_OPEN);
  ASYNC_REQUIRE(ctx, ws->send_text("over tls") == OK);
  co_await ctx.until([&] { return has_packets(*ws, 1); }, "the echo");
  ASYNC_CHECK_EQ(ctx, take(*ws), std::string("over tls"));
  ASYNC_REQUIRE(ctx, ws->close() == OK);
  co_await ctx.until([&] { return is_closed(*ws); }, "CLOSED");
  ASYNC_CHECK_EQ(ctx, ws->get_close_code(), 1000);
}

async_test::Runner* g_runner = nullptr;

void finish() {
  std::printf("%s\n", g_runner->results_line().c_str());
  std::fflush(stdout);
}

#ifdef __EMSCRIPTEN__
void tick(void*) {
  if (g_runner->tick()) {
    emscripten_async_call(tick, nullptr, 1);
  } else {
    finish();
  }
}
#endif

}  // namespace
}  // namespace wsp

int main(int argc, char** argv) {
  using namespace wsp;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    const size_t eq = arg.find('=');
    if (arg.rfind("--", 0) == 0 && eq != std::string::npos)
      g_args[arg.substr(2, eq - 2)] = arg.substr(eq + 1);
  }
  static async_test::Runner runner;
  g_runner = &runner;
  runner.add("text, binary and NUL-containing text echo with sub-protocol", text_and_binary_echo);
  runner.add("empty messages keep their type", empty_messages);
  runner.add("4 MiB message and bufferedAmount", large_message_and_buffered_amount);
  runner.add("client close code and reason", client_close_code_and_reason);
  runner.add("server close code and reason; messages kept", server_close_keeps_messages);
  runner.add("status-less close reports 1005", status_less_close_is_1005);
  runner.add("dropped connection reports -1", dropped_connection_is_unclean);
  runner.add("message over inbound_buffer_size closes with 1009",
             message_over_inbound_limit_closes_1009);
  runner.add("max_queued_packets: 1009 in a browser, back-pressure natively",
             too_many_unread_messages);
  runner.add("outbound_buffer_size is enforced", outbound_limit_uses_buffered_amount);
  runner.add("handshake_timeout ends a handshake the server never answers",
             handshake_timeout_ends_connecting);
  runner.add("close_timeout ends a close the server never answers", close_timeout_ends_closing);
  runner.add("bufferedAmount grows while the server reads nothing",
             buffered_amount_grows_when_the_server_does_not_read);
  runner.add("invalid close arguments are refused", invalid_close_arguments);
  runner.add("close(-1) ends at once", negative_close_ends_at_once);
  runner.add("connection refused", connection_refused);
  runner.add("bad connect arguments fail at once", bad_arguments_fail_at_once);
#ifdef __EMSCRIPTEN__
  runner.add("a throwing WebSocket constructor fails connect_to_url",
             throwing_constructor_fails_at_once);
  runner.add("unsupported features behave as the seed says", unsupported_features_say_so);
#endif
  runner.add("buffers stay readable until the next connect",
             buffers_stay_readable_until_the_next_connect);
  runner.add("IPv6 literal URL keeps its brackets", ipv6_literal_url);
  runner.add("wss:// with the test CA", secure_websocket);
  if (!g_args["relay"].empty()) {
    add_multiplayer_cases(runner, g_args["relay"], g_args["relay-via"], g_args["cut"]);
  }
  add_reconnect_cases(runner, g_args["relay-via"], g_args["cut"], g_args["closed-port"]);
#ifdef __EMSCRIPTEN__
  emscripten_async_call(tick, nullptr, 0);
  return 0;
#else
  while (runner.tick()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  finish();
  return runner.failed() == 0 ? 0 : 1;
#endif
}
