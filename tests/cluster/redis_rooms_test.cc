// The Redis broker's edges, with real redis-server and relay-server processes: a room left and
// joined again at once (through a server, and at the bus's level), and what a node says when
// Redis is absent or refuses it at start; the ACL rights docs/scaling.md lists are enough.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/cluster/cluster_processes.h"
#include "wspeer/cluster/redis/redis_broker.h"

namespace wsp::cluster_test {
namespace {

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

// Through HAProxy (its connections to the node come from 127.0.0.5, with send-proxy-v2), the node
// sees the player's own address, 127.0.0.1: its join line says so.
TEST(RedisClusterProxy, TheNodeSeesThePlayersAddressNotTheBalancers) {
  const int redis_port = free_port();
  auto redis = start_redis(redis_port);
  // Not --quiet, and its log (stderr) read with its stdout.
  const std::string command =
      test::runfile("tools/wsp") +
      " relay-server --host 127.0.0.1 --redis redis://127.0.0.1:" + std::to_string(redis_port) +
      " --node-id a --proxy-from " + kProxyAddress + " 2>&1";
  Node node;
  node.process =
      std::make_unique<ChildProcess>(std::vector<std::string>{"sh", "-c", "exec " + command});
  for (int i = 0; i < 5 && node.port == 0; ++i) {
    std::sscanf(node.process->read_line(10).c_str(), "listening on port %d", &node.port);
  }
  ASSERT_GT(node.port, 0);
  std::vector<Node> nodes;
  nodes.push_back(std::move(node));
  const int balancer = free_port();
  auto haproxy = start_haproxy(balancer, nodes);
  Players players;
  join(players, 1, 1, balancer);
  ASSERT_TRUE(poll_until(
      players, [&] { return players[0]->connected; }, 10));
  std::string line;
  for (int i = 0; i < 10 && line.rfind("join:", 0) != 0; ++i) line = nodes[0].process->read_line(5);
  EXPECT_EQ(line, "join: " + std::to_string(players[0]->id) + " in room \"r0\" from 127.0.0.1");
}

TEST(RedisClusterStart, RedisAbsentOrRefusingTheLoginIsAClearErrorAtStart) {
  const int closed = free_port();
  const auto started = Clock::now();
  ChildProcess absent({test::runfile("tools/wsp"), "relay-server", "--host", "127.0.0.1", "--redis",
                       "redis://127.0.0.1:" + std::to_string(closed), "--node-id", "a"});
  EXPECT_EQ(absent.wait(10), 1);
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - started).count(), 5) << "never a hang";

  const int port = free_port();
  auto redis = start_redis(port, {"--requirepass", "right", "--user", "alice", "on", ">pw",
                                  // only what docs/scaling.md says a node needs
                                  "~wspeer:*", "&wspeer:*", "+@pubsub", "+hset", "+hdel",
                                  "+hgetall", "+get", "+set", "+eval", "+ping", "+client|setname"});
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
  EXPECT_TRUE(poll_until(
      players, [&] { return everyone_knows_their_room(players, anyone); }, 10));
}

}  // namespace
}  // namespace wsp::cluster_test
