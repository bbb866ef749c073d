// Rooms across processes for real: Redis (redis-server), three `wsp relay-server --redis` nodes
// behind HAProxy (leastconn, send-proxy-v2), and clients made of WebSocketMultiplayerPeer and
// MultiplayerSession, all started here on loopback and stopped by PID. Then the faults: a node
// killed with SIGKILL, Redis restarted, a node's Redis connections cut, Redis absent or refusing
// the password at start.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/native/child_process.h"
#include "wspeer/cluster/cluster_node.h"
#include "wspeer/cluster/redis/redis_broker.h"
#include "wspeer/multiplayer/multiplayer_session.h"
#include "wspeer/multiplayer/websocket_multiplayer_peer.h"

namespace wsp {
namespace {

using Clock = std::chrono::steady_clock;
using test::ChildProcess;

constexpr const char* kProxyAddress = "127.0.0.5";  // HAProxy's source towards the nodes
constexpr double kNodeTimeout = 2.0;

std::string temp_dir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir ? dir : "/tmp";
}

int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t size = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  close(fd);
  return ntohs(address.sin_port);
}

bool accepts(int port, const char* host = "127.0.0.1") {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, host, &address.sin_addr);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  close(fd);
  return ok;
}

bool wait_for_port(int port, const char* host = "127.0.0.1", double seconds = 10) {
  const auto until = Clock::now() + std::chrono::duration<double>(seconds);
  while (Clock::now() < until) {
    if (accepts(port, host)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

std::unique_ptr<ChildProcess> start_redis(int port, const std::vector<std::string>& extra = {}) {
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
std::string run(const std::vector<std::string>& argv) {
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
Node start_node(const std::string& redis_url, const std::string& name, bool proxied = true) {
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

std::unique_ptr<ChildProcess> start_haproxy(int port, const std::vector<Node>& nodes) {
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

bool poll_until(Players& players, const std::function<bool()>& done, double seconds) {
  const auto until = Clock::now() + std::chrono::duration<double>(seconds);
  while (Clock::now() < until) {
    for (auto& player : players) player->poll();
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return false;
}

void settle(Players& players, double seconds) {
  poll_until(
      players, [] { return false; }, seconds);
}

// Players in `room_count` rooms ("r0", ...), joining through `port` one after the other.
void join(Players& players, int count, int room_count, int port) {
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
bool everyone_knows_their_room(const Players& players,
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

bool anyone(const Player&) { return true; }

class RedisCluster : public ::testing::Test {
 protected:
  void SetUp() override {
    redis_port_ = free_port();
    redis_ = start_redis(redis_port_);
    for (int i = 0; i < 3; ++i) nodes_.push_back(start_node(redis_url(), "n" + std::to_string(i)));
    balancer_port_ = free_port();
    haproxy_ = start_haproxy(balancer_port_, nodes_);
    // HAProxy sends its first health checks before it counts a node up.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  std::string redis_url() const { return "redis://127.0.0.1:" + std::to_string(redis_port_); }

  int redis_port_ = 0;
  int balancer_port_ = 0;
  std::unique_ptr<ChildProcess> redis_;
  std::vector<Node> nodes_;
  std::unique_ptr<ChildProcess> haproxy_;
};

TEST_F(RedisCluster, SixtyPlayersInFourRoomsOverThreeNodesReachExactlyTheirRoom) {
  Players players;
  join(players, 60, 4, balancer_port_);
  ASSERT_TRUE(poll_until(
      players, [&] { return everyone_knows_their_room(players, anyone); }, 30))
      << "not everyone was told of its whole room";
  std::set<int> ids, slots;
  for (const auto& player : players) {
    ids.insert(player->id);
    slots.insert(player->slot());
  }
  EXPECT_EQ(ids.size(), 60u) << "ids collide";
  EXPECT_EQ(slots.size(), 3u) << "the balancer spread the players over the three nodes";

  // Each sends three packets to everyone, one to the next player of its room, and one to all
  // but that player.
  std::map<int, int> next;
  for (size_t i = 0; i < players.size(); ++i) {
    next[players[i]->id] = players[(i + 4) % players.size()]->id;  // same room: i % 4
  }
  for (auto& player : players) {
    for (int k = 0; k < 3; ++k) player->send("b" + std::to_string(k));
    player->send("one", next[player->id]);
    player->send("all-but", -next[player->id]);
  }
  const auto expected_from = [&](const Player& receiver, const Player& sender) {
    std::vector<std::string> texts = {"b0", "b1", "b2"};
    texts.push_back(next[sender.id] == receiver.id ? "one" : "all-but");
    return texts;
  };
  const auto complete = [&] {
    for (const auto& receiver : players) {
      if (receiver->packets.size() < 14 * 4) return false;
    }
    return true;
  };
  poll_until(players, complete, 20);
  settle(players, 0.3);  // nothing more may come
  for (const auto& receiver : players) {
    size_t total = 0;
    for (const auto& sender : players) {
      if (sender == receiver || sender->room != receiver->room) {
        EXPECT_TRUE(receiver->from(sender->id).empty()) << "a packet from another room";
        continue;
      }
      EXPECT_EQ(receiver->from(sender->id), expected_from(*receiver, *sender))
          << receiver->id << " (slot " << receiver->slot() << ") from " << sender->id << " (slot "
          << sender->slot() << ")";
      total += receiver->from(sender->id).size();
    }
    EXPECT_EQ(receiver->packets.size(), total) << "nothing else, nothing twice";
  }
}

TEST_F(RedisCluster, AKilledNodesPlayersLeaveEverywhereWithinTheTimeout) {
  Players players;
  join(players, 12, 1, balancer_port_);
  ASSERT_TRUE(poll_until(
      players, [&] { return everyone_knows_their_room(players, anyone); }, 20));
  // The node of the first player dies without a word.
  const int dead_slot = players[0]->slot();
  std::set<int> dead_slots = {dead_slot};
  int node_index = -1;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    // Which process holds the slot: ask Redis.
    const std::string owner = run({"redis-cli", "-p", std::to_string(redis_port_), "GET",
                                   "wspeer:slot:" + std::to_string(dead_slot)});
    const std::string uid = run({"redis-cli", "-p", std::to_string(redis_port_), "GET",
                                 "wspeer:node:n" + std::to_string(i)});
    if (owner == uid) node_index = static_cast<int>(i);
  }
  ASSERT_GE(node_index, 0);
  const auto killed_at = Clock::now();
  nodes_[node_index].process->kill_now(9);
  const auto on_dead_node = [&](const Player& player) { return player.slot() == dead_slot; };
  const auto alive = [&](const Player& player) { return !on_dead_node(player); };
  ASSERT_TRUE(poll_until(
      players, [&] { return everyone_knows_their_room(players, alive); }, kNodeTimeout + 5))
      << "the dead node's players did not leave everywhere";
  for (const auto& player : players) {
    if (on_dead_node(*player)) {
      EXPECT_TRUE(player->lost) << "its server is gone";
      continue;
    }
    for (const auto& [id, when] : player->left_at) {
      EXPECT_LE(std::chrono::duration<double>(when - killed_at).count(), kNodeTimeout + 1.5)
          << "seen to leave within the node timeout (and a heartbeat)";
    }
  }
  // The others keep talking.
  Player* speaker = nullptr;
  for (auto& player : players) {
    if (alive(*player)) speaker = player.get();
  }
  speaker->send("still here");
  ASSERT_TRUE(poll_until(
      players,
      [&] {
        for (const auto& player : players) {
          if (alive(*player) && player.get() != speaker &&
              player->from(speaker->id) != std::vector<std::string>{"still here"}) {
            return false;
          }
        }
        return true;
      },
      10));
}

TEST_F(RedisCluster, ARedisRestartMidTrafficIsRecoveredFrom) {
  Players players;
  join(players, 9, 1, balancer_port_);
  ASSERT_TRUE(poll_until(
      players, [&] { return everyone_knows_their_room(players, anyone); }, 20));
  Player& sender = *players[0];
  int sent = 0;
  const auto send_for = [&](double seconds) {
    const auto until = Clock::now() + std::chrono::duration<double>(seconds);
    while (Clock::now() < until) {
      sender.send(std::to_string(sent++));
      settle(players, 0.02);
    }
  };
  send_for(0.5);
  redis_->kill_now(9);
  redis_->wait(5);
  send_for(0.7);
  redis_ = start_redis(redis_port_);
  const int sent_before_recovery = sent;
  // Recovered: the nodes reconnect, store their members again and read every room anew.
  ASSERT_TRUE(poll_until(
      players, [&] { return everyone_knows_their_room(players, anyone); }, kNodeTimeout + 10));
  send_for(3);
  settle(players, 0.5);
  for (const auto& player : players) {
    if (player.get() == &sender) continue;
    const std::vector<std::string> got = player->from(sender.id);
    // At most once and in order; everything sent once the cluster was whole again arrives.
    int last = -1;
    std::set<int> numbers;
    for (const std::string& text : got) {
      const int number = std::stoi(text);
      EXPECT_GT(number, last) << "in order, no duplicates";
      last = number;
      numbers.insert(number);
    }
    int missing_at_the_end = 0;
    for (int n = sent - 20; n < sent; ++n) missing_at_the_end += numbers.count(n) == 0;
    EXPECT_EQ(missing_at_the_end, 0)
        << "player " << player->id << " got " << got.size() << " of " << sent << " ("
        << sent_before_recovery << " before Redis was back)";
    EXPECT_FALSE(player->lost);
  }
}

TEST_F(RedisCluster, ANodeWhoseRedisConnectionsAreCutRecoversAndKeepsItsPlayers) {
  Players players;
  join(players, 9, 1, balancer_port_);
  ASSERT_TRUE(poll_until(
      players, [&] { return everyone_knows_their_room(players, anyone); }, 20));
  // Cut node n1's connections from Redis's side (its clients stay).
  const std::string clients =
      run({"redis-cli", "-p", std::to_string(redis_port_), "CLIENT", "LIST"});
  std::istringstream lines(clients);
  int cut = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.find(" name=wspeer-n1 ") == std::string::npos) continue;
    const std::string id = line.substr(3, line.find(' ') - 3);
    run({"redis-cli", "-p", std::to_string(redis_port_), "CLIENT", "KILL", "ID", id});
    ++cut;
  }
  EXPECT_EQ(cut, 2) << clients;
  settle(players, 1.0);
  // n1 is back: its players hear the others and the others hear them.
  for (auto& player : players) player->send("after from " + std::to_string(player->id));
  ASSERT_TRUE(poll_until(
      players,
      [&] {
        for (const auto& receiver : players) {
          for (const auto& sender : players) {
            if (sender != receiver && receiver->from(sender->id).empty()) return false;
          }
        }
        return true;
      },
      10))
      << "packets do not cross nodes again";
  for (const auto& player : players) EXPECT_FALSE(player->lost);
  EXPECT_TRUE(everyone_knows_their_room(players, anyone));
}

TEST_F(RedisCluster, ADirectConnectionToANodeBehindTheBalancerIsRefused) {
  Players players;
  join(players, 1, 1, nodes_[0].port);  // not from the balancer's address: no PROXY header
  ASSERT_TRUE(poll_until(
      players, [&] { return players[0]->lost; }, 10));
  EXPECT_FALSE(players[0]->connected);
}

// A room that empties and fills again on one node at once: its channel is left and subscribed
// again, and the newcomer is announced only once its node hears the room again.
TEST(RedisClusterRooms, ARoomLeftAndJoinedAgainAtOnceStillHearsTheOtherNodes) {
  const int redis_port = free_port();
  auto redis = start_redis(redis_port);
  const std::string url = "redis://127.0.0.1:" + std::to_string(redis_port);
  Node a = start_node(url, "a", /*proxied=*/false);
  Node b = start_node(url, "b", /*proxied=*/false);
  Players players;
  join(players, 1, 1, b.port);  // stays in r0 on b
  ASSERT_TRUE(poll_until(
      players, [&] { return players[0]->connected; }, 10));
  for (int round = 0; round < 15; ++round) {
    Players visitor;
    join(visitor, 1, 1, a.port);
    ASSERT_TRUE(poll_until(
        visitor, [&] { return visitor[0]->connected; }, 10));
    visitor[0]->transport->close();  // the room is empty on a: a leaves its channel...
    visitor.clear();
  }
  join(players, 1, 1, a.port);  // ...and joins it again at once
  ASSERT_TRUE(poll_until(
      players, [&] { return everyone_knows_their_room(players, anyone); }, 10));
  players[0]->send("from b");
  players[1]->send("from a");
  ASSERT_TRUE(poll_until(
      players,
      [&] {
        return players[1]->from(players[0]->id) == std::vector<std::string>{"from b"} &&
               players[0]->from(players[1]->id) == std::vector<std::string>{"from a"};
      },
      10))
      << "the room's channel was lost on a";
}

// The same at the bus's level, where the leave and the join come in one go (a real server's
// loop can do that when two clients go and come in one round): the other node may send to the
// newcomer as soon as it knows of it.
TEST(RedisClusterRooms, ABusThatLeavesAndJoinsARoomInOneGoKeepsItsChannel) {
  const int redis_port = free_port();
  auto redis = start_redis(redis_port);
  cluster::RedisAddress address;
  address.host = "127.0.0.1";
  address.port = redis_port;
  struct Bus {
    Bus(const std::string& name, uint64_t uid)
        : node(cluster::ClusterNode::Options{name}, uid), broker(&node, &poller) {}
    PeerPoller poller;
    cluster::ClusterNode node;
    cluster::RedisBroker broker;
    std::vector<RoomBus::Event> events;
  };
  Bus a("a", 1), b("b", 2);
  ASSERT_EQ(a.broker.start(address), OK) << a.broker.get_last_error();
  ASSERT_EQ(b.broker.start(address), OK) << b.broker.get_last_error();
  const auto pump_until = [&](const std::function<bool()>& done) {
    const auto until = Clock::now() + std::chrono::seconds(10);
    while (Clock::now() < until) {
      for (Bus* bus : {&a, &b}) {
        bus->poller.wait(5);
        bus->node.poll();
        RoomBus::Event event;
        while (bus->node.take_event(&event)) bus->events.push_back(event);
      }
      if (done()) return true;
    }
    return false;
  };
  ASSERT_TRUE(pump_until([&] { return a.node.is_link_up() && b.node.is_link_up(); }));
  a.node.join("r", 10);
  b.node.join("r", 20);
  ASSERT_TRUE(pump_until(
      [&] { return a.node.is_remote_member("r", 20) && b.node.is_remote_member("r", 10); }));
  for (int round = 0; round < 5; ++round) {
    b.node.leave("r", 20 + round);
    b.node.join("r", 21 + round);
  }
  ASSERT_TRUE(pump_until([&] { return a.node.remote_members("r") == std::vector<int>{25}; }));
  const std::vector<uint8_t> packet = {3, 'h', 'i'};
  b.events.clear();
  a.node.send("r", 10, 0, packet);
  const auto packet_arrived = [&] {
    return std::any_of(b.events.begin(), b.events.end(), [&](const RoomBus::Event& event) {
      return event.type == RoomBus::Event::kPacket && event.payload == packet;
    });
  };
  ASSERT_TRUE(pump_until(packet_arrived)) << "b lost the room's channel; " << [&] {
    std::string seen;
    for (const RoomBus::Event& event : b.events) {
      seen += std::to_string(event.type) + ":" + std::to_string(event.peer) + " ";
    }
    return seen + " a published " + std::to_string(a.node.counters().published) + ", b received " +
           std::to_string(b.node.counters().received) + ", b unknown " +
           std::to_string(b.node.counters().unknown_targets);
  }();
}

TEST(RedisClusterStart, RedisAbsentOrRefusingTheLoginIsAClearErrorAtStart) {
  const int closed = free_port();
  const auto started = Clock::now();
  ChildProcess absent({test::runfile("tools/wsp"), "relay-server", "--host", "127.0.0.1", "--redis",
                       "redis://127.0.0.1:" + std::to_string(closed), "--node-id", "a"});
  EXPECT_EQ(absent.wait(10), 1);
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - started).count(), 5) << "never a hang";

  const int port = free_port();
  auto redis = start_redis(
      port, {"--requirepass", "right", "--user", "alice", "on", ">pw",
             // only what docs/scaling.md says a node needs
             "~wspeer:*", "&wspeer:*", "+@pubsub", "+hset", "+hdel", "+hgetall", "+get", "+set",
             "+eval", "+ping", "+client|setname"});
  ChildProcess refused({test::runfile("tools/wsp"), "relay-server", "--host", "127.0.0.1",
                        "--redis", "redis://:wrong@127.0.0.1:" + std::to_string(port), "--node-id",
                        "a"});
  EXPECT_EQ(refused.wait(10), 1);
  ChildProcess no_password({test::runfile("tools/wsp"), "relay-server", "--host", "127.0.0.1",
                            "--redis", "redis://127.0.0.1:" + std::to_string(port), "--node-id",
                            "a"});
  EXPECT_EQ(no_password.wait(10), 1);
  for (const char* url : {"redis://:right@127.0.0.1:", "redis://alice:pw@127.0.0.1:"}) {
    ChildProcess accepted({test::runfile("tools/wsp"), "relay-server", "--host", "127.0.0.1",
                           "--redis", url + std::to_string(port), "--node-id", "a"});
    EXPECT_EQ(accepted.read_line(10).rfind("listening on port", 0), 0u) << url;
    accepted.kill_now(15);
    accepted.wait(10);
  }
  // With alice's rights alone, two nodes share a room.
  const std::string alice = "redis://alice:pw@127.0.0.1:" + std::to_string(port);
  Node a = start_node(alice, "a", /*proxied=*/false);
  Node b = start_node(alice, "b", /*proxied=*/false);
  Players players;
  join(players, 1, 1, a.port);
  join(players, 1, 1, b.port);
  EXPECT_TRUE(poll_until(players, [&] { return everyone_knows_their_room(players, anyone); }, 10));
}

}  // namespace
}  // namespace wsp
