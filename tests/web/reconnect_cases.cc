// ReconnectingPeer in the web API test program: the same code in Node, Chromium, Firefox and
// natively. A connection cut by the forwarder comes back and sends what waited; an unreachable
// server is tried max_attempts times, then given up.
#include "tests/web/reconnect_cases.h"

#include <algorithm>
#include <vector>

#include "wspeer/core/reconnect/reconnecting_peer.h"

namespace wsp {
namespace {

using async_test::Context;
using async_test::Task;
using Event = ReconnectingPeer::Event;

std::string g_server_via;
std::string g_cut;
std::string g_closed_port;

ReconnectPolicy quick() {
  ReconnectPolicy policy;
  policy.min_delay = 0.05;
  policy.max_delay = 0.2;
  return policy;
}

struct Client {
  explicit Client(ReconnectPolicy policy) : peer(std::move(policy)) {}
  ReconnectingPeer peer;
  std::vector<Event> events;
  bool poll() {
    peer.poll();
    Event event;
    while (peer.take_event(&event)) events.push_back(event);
    return true;
  }
  int count(Event::Type type) const {
    return static_cast<int>(std::count_if(events.begin(), events.end(),
                                          [&](const Event& e) { return e.type == type; }));
  }
};

Task a_cut_connection_comes_back_and_sends_what_waited(Context& ctx) {
  Client client(quick());
  client.peer.set_send_queue(8, 1024);
  ASYNC_REQUIRE(ctx, client.peer.connect_to_url(g_server_via + "/rooms/web-reconnect") == OK);
  co_await ctx.until([&] { return client.poll() && client.count(Event::CONNECTED) == 1; },
                     "the first connection");
  if (ctx.failed()) co_return;
  std::unique_ptr<WebSocketPeer> cutter = WebSocketPeer::create();
  ASYNC_REQUIRE(ctx, cutter->connect_to_url(g_cut) == OK);
  co_await ctx.until(
      [&] {
        cutter->poll();
        return client.poll() && client.count(Event::DISCONNECTED) == 1;
      },
      "the cut to be noticed");
  if (ctx.failed()) co_return;
  ASYNC_CHECK(ctx, client.count(Event::RECONNECT_SCHEDULED) >= 1);
  ASYNC_CHECK(ctx, client.peer.send_text("sent while away") == OK);
  co_await ctx.until(
      [&] {
        cutter->poll();
        return client.poll() && client.count(Event::CONNECTED) == 2 &&
               client.peer.get_queued_messages() == 0;
      },
      "the connection to come back and send what waited");
  if (ctx.failed()) co_return;
  const auto back = std::find_if(client.events.rbegin(), client.events.rend(),
                                 [](const Event& e) { return e.type == Event::CONNECTED; });
  ASYNC_CHECK(ctx, back->attempt >= 1);
  client.peer.close();
  co_await ctx.until([&] { return client.poll() && !client.peer.is_active(); }, "the close");
}

Task an_unreachable_server_is_given_up_after_max_attempts(Context& ctx) {
  ReconnectPolicy policy = quick();
  policy.max_attempts = 2;
  Client client(policy);
  ASYNC_REQUIRE(ctx, client.peer.connect_to_url("ws://127.0.0.1:" + g_closed_port + "/") == OK);
  co_await ctx.until([&] { return client.poll() && client.count(Event::GAVE_UP) == 1; },
                     "giving up");
  if (ctx.failed()) co_return;
  ASYNC_CHECK_EQ(ctx, client.count(Event::RECONNECT_SCHEDULED), 2);
  ASYNC_CHECK_EQ(ctx, client.count(Event::CONNECTED), 0);
  ASYNC_CHECK(ctx,
              client.events.back().reason.find("gave up after 2 attempts") != std::string::npos);
  ASYNC_CHECK(ctx, client.peer.send_text("anyone?") == FAILED);
}

}  // namespace

void add_reconnect_cases(async_test::Runner& runner, const std::string& server_via,
                         const std::string& cut, const std::string& closed_port) {
  g_server_via = server_via;
  g_cut = cut;
  g_closed_port = closed_port;
  if (!server_via.empty() && !cut.empty()) {
    runner.add("reconnect: a cut connection comes back and sends what waited",
               a_cut_connection_comes_back_and_sends_what_waited);
  }
  if (!closed_port.empty()) {
    runner.add("reconnect: an unreachable server is given up after max_attempts",
               an_unreachable_server_is_given_up_after_max_attempts);
  }
}

}  // namespace wsp
