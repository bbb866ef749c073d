// PeerPoller: readiness of many peers through one epoll set, timeouts, servers, removal, and the
// opt-in busy polling.
#include "wspeer/platform/native/peer_poller.h"

#include <gtest/gtest.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tests/native/test_util.h"

namespace wsp {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using test::open_pair;
using test::poll_until;

bool contains(const std::vector<WebSocketPeer*>& peers, WebSocketPeer* peer) {
  return std::find(peers.begin(), peers.end(), peer) != peers.end();
}

// CPU time this thread has used: tells spinning from sleeping.
milliseconds thread_cpu_time() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return milliseconds(now.tv_sec * 1000 + now.tv_nsec / 1000000);
}

// Waits (up to `seconds`) until the poller reports `peer`; polls it each time.
bool wait_for(PeerPoller& poller, WebSocketPeer* peer, double seconds = 5.0) {
  const Clock::time_point until = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                                     std::chrono::duration<double>(seconds));
  while (Clock::now() < until) {
    bool seen = false;
    for (WebSocketPeer* ready : poller.wait(100)) {
      ready->poll();
      seen = seen || ready == peer;
    }
    if (seen && peer->get_available_packet_count() > 0) return true;
  }
  return false;
}

// Sends `text` from `client` and waits until the poller reports `server` with it.
bool reaches(PeerPoller& poller, WebSocketPeer& client, WebSocketPeer* server, const char* text) {
  if (client.send_text(text) != OK) return false;
  client.poll();
  return wait_for(poller, server);
}

// Lets the poller settle until a wait() comes back empty: nothing left to do.
void settle(PeerPoller& poller) {
  for (int i = 0; i < 50; ++i) {
    const std::vector<WebSocketPeer*>& ready = poller.wait(20);
    if (ready.empty()) return;
    for (WebSocketPeer* peer : ready) peer->poll();
  }
}

// A client whose server peer was destroyed (its socket closed) ends up CLOSED.
bool sees_its_server_gone(WebSocketPeer& client) {
  return poll_until({&client},
                    [&] { return client.get_ready_state() == WebSocketPeer::STATE_CLOSED; });
}

// Every case runs with the platform's default set (epoll on Linux) and with poll(2), the one
// other platforms use.
class PeerPollerTest : public testing::TestWithParam<PeerPoller::Backend> {};

INSTANTIATE_TEST_SUITE_P(Backends, PeerPollerTest,
                         testing::Values(PeerPoller::Backend::kDefault, PeerPoller::Backend::kPoll),
                         [](const testing::TestParamInfo<PeerPoller::Backend>& info) {
                           return info.param == PeerPoller::Backend::kPoll ? "Poll" : "Default";
                         });

TEST_P(PeerPollerTest, ReportsThePeerAMessageArrivedFor) {
  auto pair = open_pair();
  auto other = open_pair();
  PeerPoller poller(GetParam());
  poller.add(pair.server.get());
  poller.add(other.server.get());
  settle(poller);

  ASSERT_TRUE(reaches(poller, *pair.client, pair.server.get(), "hello"));
  EXPECT_EQ(test::drain_text(*pair.server), std::vector<std::string>{"hello"});
  EXPECT_EQ(other.server->get_available_packet_count(), 0);
  EXPECT_EQ(poller.size(), 2u);
}

TEST_P(PeerPollerTest, AnIdleWaitSleepsForItsTimeout) {
  auto pair = open_pair();
  PeerPoller poller(GetParam());
  poller.add(pair.server.get());
  settle(poller);

  const milliseconds cpu_before = thread_cpu_time();
  const Clock::time_point start = Clock::now();
  EXPECT_TRUE(poller.wait(150).empty());
  const auto waited = Clock::now() - start;
  EXPECT_GE(waited, milliseconds(140));
  EXPECT_LT(waited, milliseconds(2000));
  EXPECT_LT(thread_cpu_time() - cpu_before, milliseconds(40)) << "an idle wait must sleep";
}

TEST_P(PeerPollerTest, ReportsAServerWithAPendingConnection) {
  test::LoopbackServer listener;
  PeerPoller poller(GetParam());
  poller.add_server(&listener.server());
  EXPECT_TRUE(poller.wait(0).empty());
  EXPECT_TRUE(poller.ready_servers().empty());

  auto client = WebSocketPeer::create();
  ASSERT_EQ(client->connect_to_url(listener.url()), OK);
  bool reported = false;
  for (int i = 0; i < 100 && !reported; ++i) {
    client->poll();
    poller.wait(50);
    reported = std::find(poller.ready_servers().begin(), poller.ready_servers().end(),
                         &listener.server()) != poller.ready_servers().end();
  }
  ASSERT_TRUE(reported);
  EXPECT_NE(listener.server().take_connection(), nullptr);
  poller.remove_server(&listener.server());
}

TEST_P(PeerPollerTest, APeerIsWokenAtEachOfItsDeadlines) {
  // A heartbeat every 100 ms gives the server peer a deadline without any traffic; each one
  // must wake it, including those set after a timer fired.
  auto pair = open_pair({}, [](WebSocketPeer& server) { server.set_heartbeat_interval(0.1); });
  PeerPoller poller(GetParam());
  poller.add(pair.server.get());
  int wakes = 0;
  const Clock::time_point start = Clock::now();
  while (Clock::now() - start < milliseconds(550)) {
    for (WebSocketPeer* peer : poller.wait(1000)) {
      peer->poll();
      if (peer == pair.server.get()) ++wakes;
    }
    pair.client->poll();  // answers the pings
  }
  EXPECT_GE(wakes, 4);
  EXPECT_LT(wakes, 200) << "a fired timer must not keep the poller spinning";
  EXPECT_EQ(pair.server->get_ready_state(), WebSocketPeer::STATE_OPEN);
}

TEST_P(PeerPollerTest, ManyDeadlinesFireInTheOrderTheyFallDue) {
  // Twenty server peers whose clients never send a request, with handshake deadlines 30 ms apart
  // given in a shuffled order: each times out at its deadline. Whatever the machine's speed, a
  // round may return several that fell due together, but never one due later than one that a
  // later round returns.
  test::LoopbackServer listener;
  constexpr int kPeers = 20;
  std::vector<int> steps(kPeers);
  for (int i = 0; i < kPeers; ++i) steps[i] = i + 1;
  std::shuffle(steps.begin(), steps.end(), std::mt19937(17));
  std::vector<test::RawSocket> silent(kPeers);
  for (int i = 0; i < kPeers; ++i) ASSERT_TRUE(silent[i].connect("127.0.0.1", listener.port()));
  std::vector<std::unique_ptr<WebSocketPeer>> servers;
  std::map<WebSocketPeer*, int> step_of;
  PeerPoller poller(GetParam());
  // A handshake timeout counts from the accept, so each one is shortened by the time the accepts
  // before it took: on a loaded machine (or under Wine) they can take longer than a step.
  const Clock::time_point base = Clock::now();
  for (int i = 0; i < kPeers; ++i) {
    const double spent = std::chrono::duration<double>(Clock::now() - base).count();
    ASSERT_LT(spent, 0.9) << "accepting took too long for the deadlines to mean anything";
    const double timeout = 1.0 + 0.03 * steps[i] - spent;
    servers.push_back(
        listener.accept(nullptr, [&](WebSocketPeer& s) { s.set_handshake_timeout(timeout); }));
    ASSERT_TRUE(servers.back());
    step_of[servers.back().get()] = steps[i];
    poller.add(servers.back().get());
  }
  std::vector<std::vector<int>> rounds;
  int closed = 0;
  const Clock::time_point until = Clock::now() + std::chrono::seconds(5);
  while (closed < kPeers && Clock::now() < until) {
    std::vector<int> round;
    for (WebSocketPeer* peer : poller.wait(100)) {
      const WebSocketPeer::State before = peer->get_ready_state();
      peer->poll();
      if (before != WebSocketPeer::STATE_CLOSED &&
          peer->get_ready_state() == WebSocketPeer::STATE_CLOSED) {
        round.push_back(step_of[peer]);
      }
    }
    closed += static_cast<int>(round.size());
    if (!round.empty()) rounds.push_back(round);
  }
  ASSERT_EQ(closed, kPeers);
  int latest_so_far = 0;
  for (const std::vector<int>& round : rounds) {
    EXPECT_GT(*std::min_element(round.begin(), round.end()), latest_so_far)
        << "a peer timed out after one whose deadline was later";
    latest_so_far = std::max(latest_so_far, *std::max_element(round.begin(), round.end()));
  }
  for (auto& server : servers) poller.remove(server.get());
}

TEST_P(PeerPollerTest, ARemovedPeerIsNoLongerReported) {
  auto pair = open_pair();
  PeerPoller poller(GetParam());
  poller.add(pair.server.get());
  settle(poller);
  poller.remove(pair.server.get());
  EXPECT_EQ(poller.size(), 0u);

  ASSERT_EQ(pair.client->send_text("after removal"), OK);
  pair.client->poll();
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(contains(poller.wait(20), pair.server.get()));
  // The peer itself still works: only the poller forgot it.
  EXPECT_TRUE(poll_until({pair.server.get()},
                         [&] { return pair.server->get_available_packet_count() == 1; }));
}

// A peer the poller owns is destroyed by remove(): its connection ends, which the other side
// sees.
TEST_P(PeerPollerTest, AnOwnedPeerIsServedAndDestroyedByRemove) {
  auto pair = open_pair();
  PeerPoller poller(GetParam());
  WebSocketPeer* server = poller.add(std::move(pair.server));
  ASSERT_NE(server, nullptr);
  poller.add(server);
  EXPECT_EQ(poller.size(), 1u) << "adding it again changes nothing";
  EXPECT_EQ(poller.peers(), std::vector<WebSocketPeer*>{server});

  ASSERT_TRUE(reaches(poller, *pair.client, server, "to an owned peer"));

  poller.remove(server);
  EXPECT_EQ(poller.size(), 0u);
  EXPECT_TRUE(sees_its_server_gone(*pair.client))
      << "the owned peer was destroyed, and its socket with it";
}

TEST_P(PeerPollerTest, ThePollerDestroysThePeersItOwnsAndOnlyThose) {
  auto owned = open_pair();
  auto lent = open_pair();
  {
    PeerPoller poller(GetParam());
    WebSocketPeer* server = poller.add(std::move(owned.server));
    poller.add(lent.server.get());
    std::vector<WebSocketPeer*> all = poller.peers();
    std::sort(all.begin(), all.end());
    std::vector<WebSocketPeer*> expected{server, lent.server.get()};
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(all, expected);
    settle(poller);
  }
  EXPECT_TRUE(sees_its_server_gone(*owned.client));
  // The peer the application kept is untouched and still works.
  ASSERT_EQ(lent.client->send_text("still here"), OK);
  EXPECT_TRUE(poll_until({lent.client.get(), lent.server.get()},
                         [&] { return lent.server->get_available_packet_count() == 1; }));
  EXPECT_EQ(lent.client->get_ready_state(), WebSocketPeer::STATE_OPEN);
}

TEST_P(PeerPollerTest, APeerIsWatchedByOnePollerAtATime) {
  auto pair = open_pair();
  PeerPoller first(GetParam());
  PeerPoller second(GetParam());
  first.add(pair.server.get());
  second.add(pair.server.get());
  EXPECT_EQ(second.size(), 0u) << "the first poller has it";
  second.remove(pair.server.get());  // not its peer: nothing happens
  EXPECT_EQ(first.size(), 1u);
  first.remove(pair.server.get());
  second.add(pair.server.get());
  EXPECT_EQ(second.size(), 1u);
  EXPECT_TRUE(reaches(second, *pair.client, pair.server.get(), "to the second"));
}

// A peer removed (and destroyed) right after it was reported is never touched again, even when
// a newcomer takes its place in the poller at once (ASan checks the "never touched").
TEST_P(PeerPollerTest, ARemovedPeersPlaceIsTakenByTheNextOneSafely) {
  auto leaving = open_pair();
  auto staying = open_pair();
  PeerPoller poller(GetParam());
  WebSocketPeer* gone = poller.add(std::move(leaving.server));
  poller.add(staying.server.get());
  ASSERT_TRUE(
      reaches(poller, *leaving.client, gone, "bye"));  // listed for the next round's recheck
  poller.remove(gone);
  auto newcomer = open_pair();
  WebSocketPeer* added = poller.add(std::move(newcomer.server));
  ASSERT_NE(added, nullptr);
  EXPECT_EQ(poller.size(), 2u);
  EXPECT_TRUE(reaches(poller, *newcomer.client, added, "hello"));
  EXPECT_TRUE(reaches(poller, *staying.client, staying.server.get(), "still here"));
}

TEST_P(PeerPollerTest, BusyPollWindowIsOffByDefaultAndClamped) {
  PeerPoller poller(GetParam());
  EXPECT_EQ(poller.get_busy_poll().count(), 0);
  poller.set_busy_poll(std::chrono::microseconds(50));
  EXPECT_EQ(poller.get_busy_poll().count(), 50);
  poller.set_busy_poll(std::chrono::seconds(10));
  EXPECT_EQ(poller.get_busy_poll(), std::chrono::microseconds(milliseconds(100)));
  poller.set_busy_poll(std::chrono::microseconds(-5));
  EXPECT_EQ(poller.get_busy_poll().count(), 0);
}

TEST_P(PeerPollerTest, BusyPollSpinsForItsWindowThenSleepsForTheRestOfTheTimeout) {
  auto pair = open_pair();
  PeerPoller poller(GetParam());
  poller.add(pair.server.get());
  settle(poller);
  poller.set_busy_poll(milliseconds(60));

  const milliseconds cpu_before = thread_cpu_time();
  const Clock::time_point start = Clock::now();
  EXPECT_TRUE(poller.wait(300).empty());
  const auto waited = Clock::now() - start;
  const milliseconds cpu = thread_cpu_time() - cpu_before;
  // The timeout covers the spin: not shortened, not extended by the window.
  EXPECT_GE(waited, milliseconds(290));
  EXPECT_LT(waited, milliseconds(300 + 60 + 500));
  // Spinning costs CPU (the window, less whatever the scheduler took); the rest was sleep.
  EXPECT_GE(cpu, milliseconds(15));
  EXPECT_LT(cpu, milliseconds(200));
}

TEST_P(PeerPollerTest, BusyPollNeverOutlastsAShortTimeout) {
  PeerPoller poller(GetParam());
  poller.set_busy_poll(milliseconds(100));
  // Measured in CPU time: a loaded machine may take the thread off the CPU for longer than the
  // whole window, but only spinning costs CPU. Spinning for the window would cost ~100 ms.
  const milliseconds cpu_before = thread_cpu_time();
  EXPECT_TRUE(poller.wait(10).empty());
  EXPECT_LT(thread_cpu_time() - cpu_before, milliseconds(50));
}

TEST_P(PeerPollerTest, BusyPollDeliversTrafficThatArrivesWhileSpinning) {
  auto pair = open_pair();
  PeerPoller poller(GetParam());
  poller.add(pair.server.get());
  settle(poller);
  poller.set_busy_poll(milliseconds(100));

  // The client belongs to this thread from here on; the test thread only touches the server.
  std::atomic<bool> sent{false};
  std::thread sender([&] {
    std::this_thread::sleep_for(milliseconds(20));
    pair.client->send_text("while spinning");
    pair.client->poll();
    sent = true;
  });
  const Clock::time_point start = Clock::now();
  bool delivered = false;
  while (!delivered && Clock::now() - start < std::chrono::seconds(5)) {
    for (WebSocketPeer* peer : poller.wait(1000)) {
      peer->poll();
      delivered = delivered || (peer == pair.server.get() && peer->get_available_packet_count());
    }
  }
  sender.join();
  ASSERT_TRUE(sent);
  ASSERT_TRUE(delivered);
  EXPECT_EQ(test::drain_text(*pair.server), std::vector<std::string>{"while spinning"});
}

}  // namespace
}  // namespace wsp

namespace wsp {
namespace {

TEST_P(PeerPollerTest, APeerClosedOutsideWaitIsReturnedOnceSoItCanBeRemoved) {
  auto pair = test::open_pair();
  PeerPoller poller(GetParam());
  poller.add(pair.server.get());
  settle(poller);
  pair.server->close(-1);  // e.g. an application decision made between rounds
  poller.update(pair.server.get());
  EXPECT_TRUE(contains(poller.wait(100), pair.server.get()));
  EXPECT_FALSE(contains(poller.wait(50), pair.server.get())) << "reported only once";
  poller.remove(pair.server.get());
}

}  // namespace
}  // namespace wsp
