// Rooms across processes for real: Redis (redis-server), three `wsp relay-server --redis` nodes
// behind HAProxy (leastconn, send-proxy-v2), and clients made of WebSocketMultiplayerPeer and
// MultiplayerSession, all started here on loopback and stopped by PID. Then the faults: a node
// killed with SIGKILL, Redis restarted or frozen, a node's Redis connections cut.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/cluster/cluster_processes.h"

namespace wsp::cluster_test {
namespace {

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

TEST_F(RedisCluster, ANodeStoppedCleanlyTakesItsPlayersOutAtOnce) {
  Players players;
  join(players, 9, 1, balancer_port_);
  ASSERT_TRUE(poll_until(
      players, [&] { return everyone_knows_their_room(players, anyone); }, 20));
  const int slot = players[0]->slot();
  const std::string owner = run({"redis-cli", "-p", std::to_string(redis_port_), "GET",
                                 "wspeer:slot:" + std::to_string(slot)});
  int index = -1;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (run({"redis-cli", "-p", std::to_string(redis_port_), "GET",
             "wspeer:node:n" + std::to_string(i)}) == owner) {
      index = static_cast<int>(i);
    }
  }
  ASSERT_GE(index, 0);
  nodes_[index].process->kill_now(SIGTERM);
  // The players still poll while their server closes them (1001), as real ones would.
  std::thread waiter([&] { nodes_[index].process->wait(10); });
  const auto gone = [&](const Player& player) { return player.slot() == slot; };
  const auto alive = [&](const Player& player) { return !gone(player); };
  ASSERT_TRUE(poll_until(
      players, [&] { return everyone_knows_their_room(players, alive); }, 10));
  waiter.join();
  // Its players left Redis's record of the room when it stopped, not when its key expired.
  const std::string members =
      run({"redis-cli", "-p", std::to_string(redis_port_), "HKEYS", "wspeer:room:r0"});
  std::set<std::string> stored;
  std::istringstream lines(members);
  for (std::string line; std::getline(lines, line);) stored.insert(line);
  for (const auto& player : players) {
    EXPECT_EQ(stored.count(std::to_string(player->id)) > 0, alive(*player))
        << player->id << " in " << members;
  }
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

// Redis stops answering without closing anything (SIGSTOP: a hung process, or a network that
// drops packets): each node notices within its node timeout and makes new connections.
TEST_F(RedisCluster, AFrozenRedisIsNoticedAndTheNodesConnectAgain) {
  Players players;
  join(players, 6, 1, balancer_port_);
  ASSERT_TRUE(poll_until(
      players, [&] { return everyone_knows_their_room(players, anyone); }, 20));
  const auto frozen_at = Clock::now();
  ASSERT_EQ(kill(redis_->pid(), SIGSTOP), 0);
  settle(players, kNodeTimeout + 1.5);
  ASSERT_EQ(kill(redis_->pid(), SIGCONT), 0);
  const double frozen_for = std::chrono::duration<double>(Clock::now() - frozen_at).count();
  // Longer than the node timeout: the nodes saw each other's members leave; they come back.
  ASSERT_TRUE(poll_until(
      players, [&] { return everyone_knows_their_room(players, anyone); }, 15));
  for (auto& player : players) player->send("after the freeze");
  ASSERT_TRUE(poll_until(
      players,
      [&] {
        for (const auto& receiver : players) {
          for (const auto& sender : players) {
            if (sender != receiver && receiver->from(sender->id).empty()) return false;
          }
        }
        return everyone_knows_their_room(players, anyone);
      },
      15));
  // Every node's connections are new: made after the freeze began.
  const std::string clients =
      run({"redis-cli", "-p", std::to_string(redis_port_), "CLIENT", "LIST"});
  std::istringstream lines(clients);
  int counted = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.find(" name=wspeer-") == std::string::npos) continue;
    const size_t at = line.find(" age=");
    ASSERT_NE(at, std::string::npos);
    EXPECT_LT(std::stod(line.substr(at + 5)), frozen_for) << line;
    ++counted;
  }
  EXPECT_EQ(counted, 6) << clients;
  for (const auto& player : players) EXPECT_FALSE(player->lost);
}

TEST_F(RedisCluster, ADirectConnectionToANodeBehindTheBalancerIsRefused) {
  Players players;
  join(players, 1, 1, nodes_[0].port);  // not from the balancer's address: no PROXY header
  ASSERT_TRUE(poll_until(
      players, [&] { return players[0]->lost; }, 10));
  EXPECT_FALSE(players[0]->connected);
}

}  // namespace
}  // namespace wsp::cluster_test
