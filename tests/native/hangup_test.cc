// A server peer notices that its client left, whether the client's last bytes and its end of
// stream arrive together (one edge-triggered wake-up) or arrive while the peer's reading is
// paused by back-pressure, driven by PeerPoller or by a plain poll() loop.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/native/raw_peer.h"
#include "tests/native/test_util.h"
#include "wspeer/platform/native/peer_poller.h"

namespace wsp {
namespace {

using Clock = std::chrono::steady_clock;
using test::RawSocket;

// Drives `peer` through a PeerPoller (as servers do) without ever taking its messages, until it
// is CLOSED or `seconds` pass.
bool poller_until_closed_with(PeerPoller::Backend backend, WebSocketPeer* peer, double seconds) {
  PeerPoller poller(backend);
  poller.add(peer);
  const Clock::time_point until =
      Clock::now() + std::chrono::milliseconds(static_cast<int>(seconds * 1000));
  while (peer->get_ready_state() != WebSocketPeer::STATE_CLOSED && Clock::now() < until) {
    for (WebSocketPeer* ready : poller.wait(50)) ready->poll();
  }
  poller.remove(peer);
  return peer->get_ready_state() == WebSocketPeer::STATE_CLOSED;
}

bool poller_until_closed(WebSocketPeer* peer, double seconds) {
  return poller_until_closed_with(PeerPoller::Backend::kDefault, peer, seconds);
}

bool poll_set_until_closed(WebSocketPeer* peer, double seconds) {
  return poller_until_closed_with(PeerPoller::Backend::kPoll, peer, seconds);
}

// Same, with a plain loop that polls the peer every few milliseconds.
bool loop_until_closed(WebSocketPeer* peer, double seconds) {
  return test::poll_until(
      {peer}, [&] { return peer->get_ready_state() == WebSocketPeer::STATE_CLOSED; }, seconds);
}

using Driver = bool (*)(WebSocketPeer*, double);

class Hangup : public testing::TestWithParam<Driver> {};

TEST_P(Hangup, EndOfStreamThatArrivesWithTheLastBytesIsSeen) {
  test::RawClientPair pair = test::connect_raw_client();
  ASSERT_EQ(pair.server->get_ready_state(), WebSocketPeer::STATE_OPEN);
  // Half a frame, then FIN at once: both are in the socket before the server looks.
  std::string frame = test::client_frame(2, std::string(3000, 'x'));
  pair.client.send_all(test::client_frame(1, "whole") + frame.substr(0, frame.size() / 2));
  pair.client.shutdown_write();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));

  ASSERT_TRUE(GetParam()(pair.server.get(), 5.0)) << "the peer did not see its client leave";
  EXPECT_EQ(pair.server->get_close_code(), -1);
  EXPECT_NE(pair.server->get_last_error().find("Connection lost"), std::string::npos);
  EXPECT_EQ(test::drain_text(*pair.server), std::vector<std::string>{"whole"});
}

// The application takes no messages, so after two the peer stops reading.
void pause_after_two_messages(WebSocketPeer& peer) {
  peer.set_max_queued_packets(2);
  peer.set_close_timeout(0.3);
}

TEST_P(Hangup, APausedPeerEndsWhenItsClientResets) {
  test::RawClientPair pair = test::connect_raw_client(pause_after_two_messages);
  std::string messages;
  for (int i = 0; i < 5; ++i) messages += test::client_frame(1, "m" + std::to_string(i));
  pair.client.send_all(messages);
  // Let the peer read, queue two messages and pause (the client is still there meanwhile).
  test::poll_until(
      {pair.server.get()}, [] { return false; }, 0.2);
  ASSERT_EQ(pair.server->get_ready_state(), WebSocketPeer::STATE_OPEN);
  ASSERT_EQ(pair.server->get_available_packet_count(), 2);
  pair.client.reset();

  ASSERT_TRUE(GetParam()(pair.server.get(), 5.0)) << "the paused peer missed the reset";
  EXPECT_EQ(pair.server->get_close_code(), -1);
  EXPECT_NE(pair.server->get_last_error().find("while reading was paused"), std::string::npos)
      << pair.server->get_last_error();
  // Everything already read (two queued, the rest parked by the same read) is still there.
  EXPECT_EQ(test::drain_text(*pair.server),
            (std::vector<std::string>{"m0", "m1", "m2", "m3", "m4"}));
}

TEST_P(Hangup, APausedPeerWhoseClientFinishedEndsAfterTheCloseTimeout) {
  test::RawClientPair pair = test::connect_raw_client(pause_after_two_messages);
  std::string messages;
  for (int i = 0; i < 5; ++i) messages += test::client_frame(1, "m" + std::to_string(i));
  pair.client.send_all(messages);
  test::poll_until(
      {pair.server.get()}, [] { return false; }, 0.2);
  ASSERT_EQ(pair.server->get_available_packet_count(), 2);
  // The client stays connected but sends nothing more (its FIN reaches the server, whose
  // socket has room): the application had the close timeout to take messages, and did not.
  pair.client.shutdown_write();

  ASSERT_TRUE(GetParam()(pair.server.get(), 5.0)) << "the paused peer waits forever";
  EXPECT_EQ(pair.server->get_close_code(), -1);
#ifdef _WIN32
  // WSAPoll reports a remote's FIN like a reset (POLLHUP), so Windows ends the paused peer at
  // once instead of after the close timeout (docs/native.md).
  EXPECT_NE(pair.server->get_last_error().find("while reading was paused"), std::string::npos)
      << pair.server->get_last_error();
#else
  EXPECT_NE(pair.server->get_last_error().find("close timeout"), std::string::npos)
      << pair.server->get_last_error();
#endif
  EXPECT_EQ(test::drain_text(*pair.server),
            (std::vector<std::string>{"m0", "m1", "m2", "m3", "m4"}));
  bool eof = false;
  pair.client.read_until_eof(2.0, &eof);
  EXPECT_TRUE(eof) << "the server kept its side of the connection open";
}

TEST_P(Hangup, APausedPeerThatResumesInTimeDeliversEverythingBeforeTheEnd) {
  test::RawClientPair pair = test::connect_raw_client(pause_after_two_messages);
  std::string messages;
  for (int i = 0; i < 5; ++i) messages += test::client_frame(1, "m" + std::to_string(i));
  pair.client.send_all(messages);
  pair.client.shutdown_write();
  test::poll_until(
      {pair.server.get()}, [] { return false; }, 0.1);
#ifdef _WIN32
  // The FIN looks like a reset on Windows: the peer may have ended already, with all it read.
  ASSERT_GE(pair.server->get_available_packet_count(), 2);
#else
  ASSERT_EQ(pair.server->get_available_packet_count(), 2);
#endif

  // The application takes messages as it goes: every message the client sent arrives, then the
  // connection ends (uncleanly: no close frame was sent).
  std::vector<std::string> received;
  test::poll_until(
      {pair.server.get()},
      [&] {
        for (const std::string& text : test::drain_text(*pair.server)) received.push_back(text);
        return pair.server->get_ready_state() == WebSocketPeer::STATE_CLOSED;
      },
      5.0);
  EXPECT_EQ(received, (std::vector<std::string>{"m0", "m1", "m2", "m3", "m4"}));
  EXPECT_EQ(pair.server->get_ready_state(), WebSocketPeer::STATE_CLOSED);
  EXPECT_EQ(pair.server->get_close_code(), -1);
}

INSTANTIATE_TEST_SUITE_P(Drivers, Hangup,
                         testing::Values(&poller_until_closed, &poll_set_until_closed,
                                         &loop_until_closed),
                         [](const testing::TestParamInfo<Driver>& info) {
                           return info.param == &poller_until_closed     ? "PeerPoller"
                                  : info.param == &poll_set_until_closed ? "PeerPollerPollSet"
                                                                         : "PollLoop";
                         });

}  // namespace
}  // namespace wsp
