// ReconnectingPeer against a real server on loopback that goes away and comes back on the same
// port, refuses (401, 503 with Retry-After), closes with "do not come back", or accepts and drops
// at once: what comes back when, which events the application sees, the URL and headers refreshed
// before each attempt, and the send queue flushed in order.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "wspeer/core/http.h"
#include "wspeer/core/reconnect/reconnecting_peer.h"
#include "wspeer/platform/native/tcp_server.h"

namespace wsp {
namespace {

using Event = ReconnectingPeer::Event;
using Clock = std::chrono::steady_clock;

// A server on a fixed loopback port that can stop and start again, answering each client as
// `behaviour` says.
class Server {
 public:
  enum class Behaviour { kAccept, kRefuse, kAcceptThenClose, kAcceptThenDrop };

  Server() {
    EXPECT_EQ(listener_.listen(0, "127.0.0.1"), OK);
    port_ = listener_.get_local_port();
  }
  void stop() {
    for (auto& peer : peers_) peer->close(1001, "going away");
    for (int i = 0; i < 50; ++i) poll();
    peers_.clear();
    listener_.stop();
  }
  void start() {
    EXPECT_EQ(listener_.listen(port_, "127.0.0.1"), OK) << listener_.get_last_error();
  }
  std::string url() const { return "ws://127.0.0.1:" + std::to_string(port_) + "/game"; }

  Behaviour behaviour = Behaviour::kAccept;
  int refuse_status = 503;
  std::vector<std::string> refuse_headers;
  int close_code = 4500;
  std::vector<std::string> received;        // text messages, in arrival order
  std::vector<std::string> authorizations;  // each request's Authorization header
  int requests = 0;

  void poll() {
    while (auto stream = listener_.take_connection()) {
      auto peer = WebSocketPeer::create();
      peer->set_manual_accept(true);
      EXPECT_EQ(peer->accept_stream(stream), OK);
      peers_.push_back(std::move(peer));
    }
    for (auto& peer : peers_) {
      peer->poll();
      if (peer->is_request_pending()) {
        ++requests;
        authorizations.push_back(
            find_header(peer->get_request_headers(), "Authorization").value_or(""));
        if (behaviour == Behaviour::kRefuse) {
          peer->reject_request(refuse_status, refuse_headers);
        } else {
          peer->accept_request();
        }
        continue;
      }
      if (peer->get_ready_state() != WebSocketPeer::STATE_OPEN) continue;
      if (behaviour == Behaviour::kAcceptThenClose) peer->close(close_code, "banned");
      if (behaviour == Behaviour::kAcceptThenDrop) peer->close(-1);
      while (peer->get_available_packet_count() > 0) {
        const std::vector<uint8_t> packet = peer->get_packet();
        received.emplace_back(packet.begin(), packet.end());
      }
    }
  }

 private:
  TCPServer listener_;
  int port_ = 0;
  std::vector<std::unique_ptr<WebSocketPeer>> peers_;
};

ReconnectPolicy fast_policy() {
  ReconnectPolicy policy;
  policy.min_delay = 0.05;
  policy.max_delay = 0.2;
  return policy;
}

// Polls both until `done` or `seconds`; the client's events are appended to `events`.
bool run(ReconnectingPeer& client, Server& server, std::vector<Event>& events,
         const std::function<bool()>& done, double seconds = 5) {
  const auto until = Clock::now() + std::chrono::duration<double>(seconds);
  while (Clock::now() < until) {
    client.poll();
    server.poll();
    Event event;
    while (client.take_event(&event)) events.push_back(event);
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return done();
}

int count(const std::vector<Event>& events, Event::Type type) {
  return static_cast<int>(
      std::count_if(events.begin(), events.end(), [&](const Event& e) { return e.type == type; }));
}

TEST(Reconnect, ComesBackAfterTheServerRestartsAndSendsWhatWaited) {
  Server server;
  ReconnectingPeer client(fast_policy());
  client.set_send_queue(10, 1000);
  std::vector<Event> events;
  ASSERT_EQ(client.connect_to_url(server.url()), OK);
  ASSERT_TRUE(run(client, server, events, [&] { return count(events, Event::CONNECTED) == 1; }));
  EXPECT_EQ(events.back().attempt, 0);

  server.stop();
  ASSERT_TRUE(run(client, server, events, [&] {
    return count(events, Event::RECONNECT_SCHEDULED) >= 3;  // refused while it is down
  }));
  const auto disconnected = std::find_if(
      events.begin(), events.end(), [](const Event& e) { return e.type == Event::DISCONNECTED; });
  ASSERT_NE(disconnected, events.end());
  EXPECT_EQ(disconnected->close_code, 1001);
  EXPECT_EQ(client.peer().get_ready_state(), WebSocketPeer::STATE_CLOSED);
  // Sent while away: kept, in order.
  ASSERT_EQ(client.send_text("one"), OK);
  ASSERT_EQ(client.send_text("two"), OK);
  EXPECT_EQ(client.get_queued_messages(), 2u);

  server.start();
  ASSERT_TRUE(run(client, server, events, [&] { return server.received.size() == 2; }));
  EXPECT_EQ(server.received, (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(count(events, Event::CONNECTED), 2);
  const Event& again = *std::find_if(events.rbegin(), events.rend(),
                                     [](const Event& e) { return e.type == Event::CONNECTED; });
  EXPECT_GE(again.attempt, 3);
  // Scheduled attempts are numbered 1, 2, 3, ... with delays within the policy.
  int expected = 1;
  for (const Event& event : events) {
    if (event.type != Event::RECONNECT_SCHEDULED) continue;
    EXPECT_EQ(event.attempt, expected++);
    EXPECT_GE(event.delay, 0.05);
    EXPECT_LE(event.delay, 0.2);
  }
  ASSERT_EQ(client.send_text("three"), OK);
  ASSERT_TRUE(run(client, server, events, [&] { return server.received.size() == 3; }));
}

TEST(Reconnect, TheUrlAndHeadersAreRefreshedBeforeEachAttempt) {
  Server server;
  ReconnectingPeer client(fast_policy());
  int token = 1;
  ASSERT_EQ(client.peer().set_handshake_headers({"Authorization: Bearer 1"}), OK);
  client.set_before_attempt([&](std::string* url, WebSocketPeer& peer) {
    ++token;
    peer.set_handshake_headers({"Authorization: Bearer " + std::to_string(token)});
    *url = server.url() + "?attempt=" + std::to_string(token);
  });
  std::vector<Event> events;
  ASSERT_EQ(client.connect_to_url(server.url()), OK);
  ASSERT_TRUE(run(client, server, events, [&] { return count(events, Event::CONNECTED) == 1; }));
  server.stop();
  server.start();
  ASSERT_TRUE(run(client, server, events, [&] { return count(events, Event::CONNECTED) == 2; }));
  ASSERT_EQ(server.authorizations.size(), 2u);
  EXPECT_EQ(server.authorizations[0], "Bearer 1");
  EXPECT_EQ(server.authorizations[1], "Bearer 2");
  EXPECT_EQ(client.peer().get_requested_url(), server.url() + "?attempt=2");
}

TEST(Reconnect, AnUnauthorizedRefusalIsNotTriedAgain) {
  Server server;
  server.behaviour = Server::Behaviour::kRefuse;
  server.refuse_status = 401;
  ReconnectingPeer client(fast_policy());
  client.set_send_queue(5, 100);
  std::vector<Event> events;
  ASSERT_EQ(client.connect_to_url(server.url()), OK);
  ASSERT_TRUE(run(client, server, events, [&] { return count(events, Event::GAVE_UP) == 1; }));
  EXPECT_EQ(events.back().http_status, 401);
  EXPECT_NE(events.back().reason.find("HTTP 401"), std::string::npos) << events.back().reason;
  run(
      client, server, events, [] { return false; }, 0.3);
  EXPECT_EQ(server.requests, 1) << "a 401 must not be asked again and again";
  EXPECT_EQ(client.send_text("late"), FAILED);
  EXPECT_NE(client.get_last_error().find("not reconnecting"), std::string::npos);
}

TEST(Reconnect, ServiceUnavailableWaitsForRetryAfter) {
  Server server;
  server.behaviour = Server::Behaviour::kRefuse;
  server.refuse_status = 503;
  server.refuse_headers = {"Retry-After: 1"};
  ReconnectingPeer client(fast_policy());
  std::vector<Event> events;
  ASSERT_EQ(client.connect_to_url(server.url()), OK);
  ASSERT_TRUE(
      run(client, server, events, [&] { return count(events, Event::RECONNECT_SCHEDULED) == 1; }));
  EXPECT_EQ(events.back().http_status, 503);
  EXPECT_DOUBLE_EQ(events.back().delay, 1.0);
  server.behaviour = Server::Behaviour::kAccept;
  const auto scheduled = Clock::now();
  ASSERT_TRUE(run(client, server, events, [&] { return count(events, Event::CONNECTED) == 1; }));
  EXPECT_GE(std::chrono::duration<double>(Clock::now() - scheduled).count(), 0.9);
}

TEST(Reconnect, ACloseCodeThatSaysDoNotComeBackIsObeyed) {
  Server server;
  server.behaviour = Server::Behaviour::kAcceptThenClose;
  server.close_code = 4501;
  ReconnectingPeer client(fast_policy());
  std::vector<Event> events;
  ASSERT_EQ(client.connect_to_url(server.url()), OK);
  ASSERT_TRUE(run(client, server, events, [&] { return count(events, Event::GAVE_UP) == 1; }));
  EXPECT_EQ(count(events, Event::DISCONNECTED), 1);
  EXPECT_EQ(events.back().close_code, 4501);
  EXPECT_EQ(server.requests, 1);
}

TEST(Reconnect, AServerThatAcceptsAndDropsIsNotHammered) {
  Server server;
  server.behaviour = Server::Behaviour::kAcceptThenDrop;
  ReconnectPolicy policy;
  policy.min_delay = 0.05;
  policy.max_delay = 10;
  ReconnectingPeer client(policy);
  std::vector<Event> events;
  ASSERT_EQ(client.connect_to_url(server.url()), OK);
  run(
      client, server, events, [] { return false; }, 1.5);
  // Delays double from 0.05 s (0.05-0.1, -0.2, -0.4, -0.8 ...): a handful of connections in
  // 1.5 s, never a tight loop, and the count is not reset by each short-lived connection.
  EXPECT_GE(server.requests, 3);
  EXPECT_LE(server.requests, 7);
  int last = 0;
  for (const Event& event : events) {
    if (event.type != Event::RECONNECT_SCHEDULED) continue;
    EXPECT_EQ(event.attempt, last + 1);
    last = event.attempt;
  }
}

TEST(Reconnect, WithoutAQueueSendingWhileAwayIsRefusedAndMaxAttemptsEndsIt) {
  Server server;
  server.stop();  // nothing listens
  ReconnectPolicy policy = fast_policy();
  policy.max_attempts = 2;
  ReconnectingPeer client(policy);
  std::vector<Event> events;
  ASSERT_EQ(client.connect_to_url(server.url()), OK);
  ASSERT_TRUE(
      run(client, server, events, [&] { return count(events, Event::RECONNECT_SCHEDULED) == 1; }));
  EXPECT_EQ(client.send_text("hello?"), FAILED);
  EXPECT_NE(client.get_last_error().find("set_send_queue()"), std::string::npos)
      << client.get_last_error();
  ASSERT_TRUE(run(client, server, events, [&] { return count(events, Event::GAVE_UP) == 1; }));
  EXPECT_EQ(count(events, Event::RECONNECT_SCHEDULED), 2);
  EXPECT_NE(events.back().reason.find("gave up after 2 attempts"), std::string::npos)
      << events.back().reason;
}

TEST(Reconnect, AFullQueueRefusesAndGivingUpSaysWhatWasDropped) {
  Server server;
  server.stop();
  ReconnectPolicy policy = fast_policy();
  policy.max_attempts = 1;
  ReconnectingPeer client(policy);
  client.set_send_queue(2, 10);
  std::vector<Event> events;
  ASSERT_EQ(client.connect_to_url(server.url()), OK);
  EXPECT_EQ(client.send_text("12345"), OK);
  EXPECT_EQ(client.send_text("123456"), ERR_OUT_OF_MEMORY) << "11 bytes > 10";
  EXPECT_EQ(client.send_text("12345"), OK);
  EXPECT_EQ(client.send_text(""), ERR_OUT_OF_MEMORY) << "3 messages > 2";
  ASSERT_TRUE(run(client, server, events, [&] { return count(events, Event::GAVE_UP) == 1; }));
  EXPECT_EQ(events.back().dropped, 2u);
  EXPECT_EQ(client.get_queued_messages(), 0u);
}

TEST(Reconnect, AnUnusableUrlFromBeforeAttemptEndsIt) {
  Server server;
  ReconnectingPeer client(fast_policy());
  client.set_before_attempt([](std::string* url, WebSocketPeer&) { *url = "http://not-ws/"; });
  std::vector<Event> events;
  ASSERT_EQ(client.connect_to_url(server.url()), OK);
  ASSERT_TRUE(run(client, server, events, [&] { return count(events, Event::CONNECTED) == 1; }));
  server.stop();
  ASSERT_TRUE(run(client, server, events, [&] { return count(events, Event::GAVE_UP) == 1; }));
  EXPECT_NE(events.back().reason.find("cannot start"), std::string::npos) << events.back().reason;
  EXPECT_FALSE(client.is_active());
}

TEST(Reconnect, CloseStopsReconnecting) {
  Server server;
  ReconnectingPeer client(fast_policy());
  std::vector<Event> events;
  ASSERT_EQ(client.connect_to_url(server.url()), OK);
  ASSERT_TRUE(run(client, server, events, [&] { return count(events, Event::CONNECTED) == 1; }));
  client.close();
  ASSERT_TRUE(run(client, server, events, [&] { return count(events, Event::DISCONNECTED) == 1; }));
  run(
      client, server, events, [] { return false; }, 0.3);
  EXPECT_EQ(count(events, Event::RECONNECT_SCHEDULED), 0);
  EXPECT_EQ(server.requests, 1);
  EXPECT_EQ(client.peer().get_close_code(), 1000);
}

}  // namespace
}  // namespace wsp
