// What WebSocketMultiplayerPeer offers beyond Godot for applications with a server of their own:
// a server that takes its connections from the application (pages and WebSocket on one port),
// the set-up of every peer it makes, and a client that says how its connection ended.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "tests/multiplayer/party.h"
#include "tests/native/test_util.h"
#include "wspeer/core/deflate_options.h"
#include "wspeer/platform/native/tcp_server.h"

namespace wsp {
namespace {

using Event = MultiplayerSession::Event;
using test::Endpoint;

TEST(ServerOptions, AServerTakesTheConnectionsTheApplicationHandsIt) {
  Endpoint server;
  ASSERT_EQ(server.transport->create_server_for_streams(), OK);
  EXPECT_EQ(server.transport->get_local_port(), 0) << "no port of its own";
  server.transport->set_peer_setup(
      [](WebSocketPeer& peer) { peer.set_deflate_options(DeflateOptions::on()); });
  server.session.set_multiplayer_peer(server.transport);
  TCPServer listener;  // the application's own port
  ASSERT_EQ(listener.listen(0, "127.0.0.1"), OK);
  Endpoint client;
  client.transport->set_peer_setup(
      [](WebSocketPeer& peer) { peer.set_deflate_options(DeflateOptions::on()); });
  ASSERT_EQ(client.transport->create_client(
                "ws://127.0.0.1:" + std::to_string(listener.get_local_port()) + "/rooms/lobby"),
            OK);
  client.session.set_multiplayer_peer(client.transport);
  bool handed = false;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < until &&
         client.peers_of(Event::CONNECTED_TO_SERVER).empty()) {
    if (!handed) {
      if (auto stream = listener.take_connection()) {
        // The application may have read the request's first bytes to tell a page from an
        // upgrade: here, none.
        ASSERT_EQ(server.transport->accept_stream(stream), OK);
        handed = true;
      }
    }
    server.poll();
    client.poll();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_FALSE(client.peers_of(Event::CONNECTED_TO_SERVER).empty());
  const int id = client.session.get_unique_id();
  EXPECT_EQ(server.transport->get_peer_room(id), "lobby") << "the join policy decided";
  EXPECT_EQ(client.transport->get_peer(1)->get_selected_extensions().rfind("permessage-deflate", 0),
            0u)
      << "both peers were set up by the application";
  EXPECT_EQ(client.transport->accept_stream(nullptr), ERR_UNCONFIGURED) << "a client takes none";
  EXPECT_EQ(server.transport->accept_stream(nullptr), ERR_INVALID_PARAMETER);
}

TEST(ServerOptions, AClientSaysHowItsConnectionEnded) {
  test::Party party;
  Endpoint& client = party.join("/");
  ASSERT_TRUE(party.run_until([&] { return client.session.get_unique_id() > 1; }));
  party.server.transport->get_peer(client.session.get_unique_id())->close(4000, "see you");
  ASSERT_TRUE(party.run_until([&] {
    return client.transport->get_connection_status() == MultiplayerPeer::CONNECTION_DISCONNECTED;
  }));
  EXPECT_EQ(client.transport->get_peer(1), nullptr);
  EXPECT_EQ(client.transport->get_close_code(), 4000);
  EXPECT_EQ(client.transport->get_close_reason(), "see you");

  // Nobody listening: the reason is in words.
  Endpoint refused;
  ASSERT_EQ(refused.transport->create_client(
                "ws://127.0.0.1:" + std::to_string(test::LoopbackServer().port() + 0) + "/"),
            OK);
  refused.session.set_multiplayer_peer(refused.transport);
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < until &&
         refused.transport->get_connection_status() != MultiplayerPeer::CONNECTION_DISCONNECTED) {
    refused.poll();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(refused.peers_of(Event::CONNECTION_FAILED), (std::vector<int>{1}));
  EXPECT_EQ(refused.transport->get_close_code(), -1);
  EXPECT_FALSE(refused.transport->get_last_error().empty());
}

}  // namespace
}  // namespace wsp
