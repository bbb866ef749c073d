// What the Redis cluster tests run: redis-server, HAProxy and `wsp relay-server --redis` processes
// on loopback (started here, stopped by PID), and game clients made of WebSocketMultiplayerPeer
// and MultiplayerSession that record what they see.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/native/child_process.h"
#include "tests/native/local_ports.h"
#include "wspeer/cluster/cluster_node.h"
#include "wspeer/multiplayer/multiplayer_session.h"
#include "wspeer/multiplayer/websocket_multiplayer_peer.h"

namespace wsp::cluster_test {

using Clock = std::chrono::steady_clock;
using test::accepts;
using test::ChildProcess;
using test::free_port;
using test::temp_dir;
using test::wait_for_port;

inline constexpr const char* kProxyAddress = "127.0.0.5";  // HAProxy's source towards the nodes
inline constexpr double kNodeTimeout = 2.0;

inline std::unique_ptr<ChildProcess> start_redis(int port,
                                                 const std::vector<std::string>& extra = {}) {
  std::vector<std::string> argv = {"redis-server",
                                   "--port",
                                   std::to_string(port),
                                   "--bind",
                                   "127.0.0.1",
                                   "--save",
                                   "",
                                   "--appendonly",
                                   "no",
                                   "--dir",
                                   temp_dir(),
                                   "--loglevel",
                                   "warning"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  auto redis = std::make_unique<ChildProcess>(argv);
  EXPECT_TRUE(wait_for_port(port)) << "redis-server did not start";
  return redis;
}

// The command's output (stdout), run to its end.
inline std::string run(const std::vector<std::string>& argv) {
  ChildProcess child(argv);
  std::string out;
  for (std::string line = child.read_line(5); !line.empty(); line = child.read_line(5)) {
    out += line + "\n";
  }
  child.wait(5);
  return out;
}

struct Node {
  std::unique_ptr<ChildProcess> process;
  int port = 0;
};

// `proxied`: behind the balancer (PROXY headers from it only), else for direct connections.
inline Node start_node(const std::string& redis_url, const std::string& name, bool proxied = true) {
  std::vector<std::string> argv = {test::runfile("tools/wsp"),
                                   "relay-server",
                                   "--host",
                                   "127.0.0.1",
                                   "--redis",
                                   redis_url,
                                   "--node-id",
                                   name,
                                   "--node-timeout",
                                   std::to_string(kNodeTimeout),
                                   "--quiet"};
  if (proxied) argv.insert(argv.end(), {"--proxy-from", kProxyAddress});
  Node node;
  node.process = std::make_unique<ChildProcess>(argv);
  const std::string line = node.process->read_line(10);
  std::sscanf(line.c_str(), "listening on port %d", &node.port);
  EXPECT_GT(node.port, 0) << "the node did not start: " << line;
  return node;
}

inline std::unique_ptr<ChildProcess> start_haproxy(int port, const std::vector<Node>& nodes) {
  const std::string path = temp_dir() + "/haproxy-" + std::to_string(port) + ".cfg";
  std::ofstream config(path);
  config << "global\n  maxconn 2000\n"
         << "defaults\n  mode http\n  timeout connect 2s\n  timeout client 30s\n"
         << "  timeout server 30s\n  timeout tunnel 1h\n"
         << "frontend players\n  bind 127.0.0.1:" << port << "\n  default_backend nodes\n"
         << "backend nodes\n  balance leastconn\n";
  for (size_t i = 0; i < nodes.size(); ++i) {
    config << "  server n" << i << " 127.0.0.1:" << nodes[i].port << " send-proxy-v2 source "
           << kProxyAddress << " check inter 1s fall 2 rise 1\n";
  }
  config.close();
  auto haproxy =
      std::make_unique<ChildProcess>(std::vector<std::string>{"haproxy", "-db", "-f", path});
  EXPECT_TRUE(wait_for_port(port)) << "haproxy did not start";
  return haproxy;
}

// One game client, and what it saw.
struct Player {
  std::shared_ptr<WebSocketMultiplayerPeer> transport =
      std::make_shared<WebSocketMultiplayerPeer>();
  MultiplayerSession session;
  std::string room;
  int id = 0;
  bool connected = false;
  bool lost = false;  ///< its server went away
  std::set<int> peers;
  std::vector<std::pair<int, std::string>> packets;
  std::map<int, Clock::time_point> left_at;

  void poll() {
    session.poll();
    if (id == 0 && transport->get_connection_status() == MultiplayerPeer::CONNECTION_CONNECTED) {
      id = transport->get_unique_id();
    }
    MultiplayerSession::Event event;
    while (session.take_event(&event)) {
      switch (event.type) {
        case MultiplayerSession::Event::CONNECTED_TO_SERVER:
          connected = true;
          break;
        case MultiplayerSession::Event::PEER_CONNECTED:
          if (event.peer != 1) peers.insert(event.peer);
          break;
        case MultiplayerSession::Event::PEER_DISCONNECTED:
          peers.erase(event.peer);
          left_at[event.peer] = Clock::now();
          break;
        case MultiplayerSession::Event::PEER_PACKET:
          packets.push_back({event.peer, std::string(event.data.begin(), event.data.end())});
          break;
        case MultiplayerSession::Event::SERVER_DISCONNECTED:
        case MultiplayerSession::Event::CONNECTION_FAILED:
          lost = true;
          break;
        default:
          break;
      }
    }
  }
  std::vector<std::string> from(int sender) const {
    std::vector<std::string> texts;
    for (const auto& [source, text] : packets) {
      if (source == sender) texts.push_back(text);
    }
    return texts;
  }
  void send(const std::string& text, int target = 0) {
    session.send_bytes(std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()),
                       target);
  }
  int slot() const { return id >> (31 - cluster::ClusterNode::kSlotBits); }
};

using Players = std::vector<std::unique_ptr<Player>>;

inline bool poll_until(Players& players, const std::function<bool()>& done, double seconds) {
  const auto until = Clock::now() + std::chrono::duration<double>(seconds);
  while (Clock::now() < until) {
    for (auto& player : players) player->poll();
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return false;
}

inline void settle(Players& players, double seconds) {
  poll_until(
      players, [] { return false; }, seconds);
}

// Players in `room_count` rooms ("r0", ...), joining through `port` one after the other.
inline void join(Players& players, int count, int room_count, int port) {
  for (int i = 0; i < count; ++i) {
    auto player = std::make_unique<Player>();
    player->room = "r" + std::to_string(i % room_count);
    player->session.set_multiplayer_peer(player->transport);
    ASSERT_EQ(player->transport->create_client("ws://127.0.0.1:" + std::to_string(port) +
                                               "/rooms/" + player->room),
              OK);
    players.push_back(std::move(player));
  }
}

// Everyone connected and knows exactly the others of its room that `alive` says.
inline bool everyone_knows_their_room(const Players& players,
                                      const std::function<bool(const Player&)>& alive) {
  for (const auto& player : players) {
    if (!alive(*player)) continue;
    if (!player->connected) return false;
    std::set<int> expected;
    for (const auto& other : players) {
      if (other != player && other->room == player->room && alive(*other)) {
        expected.insert(other->id);
      }
    }
    if (player->peers != expected) return false;
  }
  return true;
}

inline bool anyone(const Player&) { return true; }

}  // namespace wsp::cluster_test
