// The multiplayer client in the web API test program: the same code in Node, Chromium, Firefox
// and natively, against a native `wsp relay-server` (argument --relay=ws://HOST:PORT).
#include "tests/web/multiplayer_cases.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "wspeer/multiplayer/multiplayer_session.h"
#include "wspeer/multiplayer/websocket_multiplayer_peer.h"

namespace wsp {
namespace {

using async_test::Context;
using async_test::Task;
using Event = MultiplayerSession::Event;

std::string g_relay;
std::string g_relay_via;
std::string g_cut;

// A client of the relay server, with what its session saw.
struct Member {
  std::shared_ptr<WebSocketMultiplayerPeer> transport =
      std::make_shared<WebSocketMultiplayerPeer>();
  MultiplayerSession session;
  std::vector<Event> events;

  bool poll() {
    session.poll();
    Event event;
    while (session.take_event(&event)) events.push_back(std::move(event));
    return true;
  }
  bool saw(Event::Type type, int peer, const std::string& data = "") const {
    return std::any_of(events.begin(), events.end(), [&](const Event& event) {
      return event.type == type && event.peer == peer &&
             std::string(event.data.begin(), event.data.end()) == data;
    });
  }
};

std::span<const uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

Task two_clients_meet_in_a_room(Context& ctx) {
  Member a, b;
  const std::string url = g_relay + "/rooms/web-test";
  ASYNC_REQUIRE(ctx, a.transport->create_client(url) == OK);
  a.session.set_multiplayer_peer(a.transport);
  co_await ctx.until([&] { return a.poll() && a.saw(Event::CONNECTED_TO_SERVER, 1); },
                     "the first client to join");
  if (ctx.failed()) co_return;
  ASYNC_REQUIRE(ctx, b.transport->create_client(url) == OK);
  b.session.set_multiplayer_peer(b.transport);
  const int id_a = a.session.get_unique_id();
  co_await ctx.until(
      [&] {
        a.poll();
        b.poll();
        return b.saw(Event::PEER_CONNECTED, id_a) &&
               a.saw(Event::PEER_CONNECTED, b.session.get_unique_id());
      },
      "the clients to see each other");
  if (ctx.failed()) co_return;
  const int id_b = b.session.get_unique_id();
  ASYNC_CHECK(ctx, id_a >= 2 && id_b >= 2 && id_a != id_b);
  ASYNC_REQUIRE(ctx, a.session.send_bytes(bytes_of("for b only"), id_b) == OK);
  ASYNC_REQUIRE(ctx, b.session.send_bytes(bytes_of("for the room")) == OK);
  co_await ctx.until(
      [&] {
        a.poll();
        b.poll();
        return b.saw(Event::PEER_PACKET, id_a, "for b only") &&
               a.saw(Event::PEER_PACKET, id_b, "for the room");
      },
      "the packets to go through the server");
  a.transport->close();
  co_await ctx.until([&] { return b.poll() && b.saw(Event::PEER_DISCONNECTED, id_a); },
                     "the other client to see the first one leave");
  b.transport->close();
}

// The connection of a client that asked to come back drops (cut by the forwarder it goes
// through): it comes back as the same peer, gets what was sent to it meanwhile, and the other
// client sees neither a leave nor a join.
Task a_dropped_client_comes_back(Context& ctx) {
  Member a, b;
  ASYNC_REQUIRE(ctx, a.transport->set_reconnect_grace(10) == OK);
  ASYNC_REQUIRE(ctx, a.transport->create_client(g_relay_via + "/rooms/web-return") == OK);
  a.session.set_multiplayer_peer(a.transport);
  ASYNC_REQUIRE(ctx, b.transport->create_client(g_relay + "/rooms/web-return") == OK);
  b.session.set_multiplayer_peer(b.transport);
  co_await ctx.until(
      [&] {
        a.poll();
        b.poll();
        return a.session.get_unique_id() > 1 && b.session.get_unique_id() > 1 &&
               b.saw(Event::PEER_CONNECTED, a.session.get_unique_id());
      },
      "the clients to meet");
  if (ctx.failed()) co_return;
  const int id_a = a.session.get_unique_id(), id_b = b.session.get_unique_id();
  std::unique_ptr<WebSocketPeer> cutter = WebSocketPeer::create();
  ASYNC_REQUIRE(ctx, cutter->connect_to_url(g_cut) == OK);
  co_await ctx.until(
      [&] {
        cutter->poll();
        a.poll();
        b.poll();
        return a.transport->is_reconnecting();
      },
      "the first client to notice the drop");
  if (ctx.failed()) co_return;
  ASYNC_REQUIRE(ctx, b.session.send_bytes(bytes_of("while you were away"), id_a) == OK);
  co_await ctx.until(
      [&] {
        cutter->poll();
        a.poll();
        b.poll();
        return !a.transport->is_reconnecting() &&
               a.saw(Event::PEER_PACKET, id_b, "while you were away");
      },
      "the first client to come back and get the packet");
  if (ctx.failed()) co_return;
  ASYNC_CHECK(ctx, a.session.get_unique_id() == id_a);
  ASYNC_CHECK(ctx, !b.saw(Event::PEER_DISCONNECTED, id_a));
  ASYNC_CHECK(ctx, !a.saw(Event::SERVER_DISCONNECTED, 1));
  a.transport->close();
  b.transport->close();
}

#ifdef __EMSCRIPTEN__
Task a_browser_cannot_be_a_server(Context& ctx) {
  WebSocketMultiplayerPeer peer;
  ASYNC_CHECK(ctx, peer.create_server(0) == ERR_UNAVAILABLE);
  ASYNC_CHECK(ctx, peer.get_connection_status() == MultiplayerPeer::CONNECTION_DISCONNECTED);
  co_return;
}
#endif

}  // namespace

void add_multiplayer_cases(async_test::Runner& runner, const std::string& relay_url,
                           const std::string& relay_via, const std::string& cut) {
  g_relay = relay_url;
  g_relay_via = relay_via;
  g_cut = cut;
  if (!relay_via.empty() && !cut.empty()) {
    runner.add("multiplayer: a client whose connection drops comes back as the same peer",
               a_dropped_client_comes_back);
  }
  runner.add("multiplayer: two clients meet in a room and reach each other through the server",
             two_clients_meet_in_a_room);
#ifdef __EMSCRIPTEN__
  runner.add("multiplayer: create_server is unavailable in a browser",
             a_browser_cannot_be_a_server);
#endif
}

}  // namespace wsp
