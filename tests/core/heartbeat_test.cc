// Heartbeat: when pings go out, when a peer is declared dead, and the millisecond conversion
// every peer's intervals and timeouts go through.
#include "wspeer/core/heartbeat.h"

#include <gtest/gtest.h>

namespace wsp {
namespace {

using std::chrono::milliseconds;
using Action = Heartbeat::Action;

TEST(WholeMilliseconds, RoundsToTheNearestAndKeepsAnythingPositiveOn) {
  EXPECT_EQ(whole_milliseconds(0), 0u);
  EXPECT_EQ(whole_milliseconds(-1), 0u);
  EXPECT_EQ(whole_milliseconds(0.29), 290u);
  EXPECT_EQ(whole_milliseconds(1.005), 1005u);
  EXPECT_EQ(whole_milliseconds(0.0004), 1u) << "positive stays on";
  EXPECT_EQ(whole_milliseconds(1e12), UINT32_MAX);
}

TEST(Heartbeat, PingsEveryIntervalAndDeclaresASilentPeerDead) {
  Heartbeat heartbeat;
  const Clock::time_point start{};
  EXPECT_FALSE(heartbeat.enabled());
  heartbeat.start(100, start + milliseconds(1));
  ASSERT_TRUE(heartbeat.enabled());
  EXPECT_EQ(heartbeat.next_due(), start + milliseconds(101));
  EXPECT_EQ(heartbeat.tick(100, start + milliseconds(50), false), Action::kNone);
  EXPECT_EQ(heartbeat.tick(100, start + milliseconds(101), false), Action::kSendPing);
  EXPECT_EQ(heartbeat.next_due(), start + milliseconds(201))
      << "an unanswered ping does not move the due time";
  EXPECT_EQ(heartbeat.tick(100, start + milliseconds(201), false), Action::kPeerDead);
}

TEST(Heartbeat, APongKeepsThePeerAlive) {
  Heartbeat heartbeat;
  const Clock::time_point start{};
  heartbeat.start(100, start);
  for (int round = 1; round <= 5; ++round) {
    EXPECT_EQ(heartbeat.tick(100, start + milliseconds(100 * round), false), Action::kSendPing);
    heartbeat.pong_received();
  }
}

// A pong queued behind a large message arrives late; the message's bytes prove the peer alive.
TEST(Heartbeat, APeerWhoseBytesKeepArrivingIsAliveThoughItsPongIsLate) {
  Heartbeat heartbeat;
  const Clock::time_point start{};
  heartbeat.start(100, start);
  EXPECT_EQ(heartbeat.tick(100, start + milliseconds(100), false), Action::kSendPing);
  for (int round = 2; round <= 6; ++round) {
    heartbeat.input_arrived();
    EXPECT_EQ(heartbeat.tick(100, start + milliseconds(100 * round), false), Action::kNone)
        << "round " << round;
  }
  heartbeat.pong_received();
  EXPECT_EQ(heartbeat.tick(100, start + milliseconds(700), false), Action::kSendPing)
      << "pinging again once the pong came";
}

TEST(Heartbeat, APeerSilentForAWholeIntervalAfterAnUnansweredPingIsDead) {
  Heartbeat heartbeat;
  const Clock::time_point start{};
  heartbeat.start(100, start);
  EXPECT_EQ(heartbeat.tick(100, start + milliseconds(100), false), Action::kSendPing);
  heartbeat.input_arrived();
  EXPECT_EQ(heartbeat.tick(100, start + milliseconds(200), false), Action::kNone);
  EXPECT_EQ(heartbeat.tick(100, start + milliseconds(300), false), Action::kPeerDead)
      << "nothing arrived between 200 and 300 ms";
}

TEST(Heartbeat, InputBeforeAPingDoesNotExcuseSilenceAfterIt) {
  Heartbeat heartbeat;
  const Clock::time_point start{};
  heartbeat.start(100, start);
  heartbeat.input_arrived();
  heartbeat.pong_received();
  EXPECT_EQ(heartbeat.tick(100, start + milliseconds(100), false), Action::kSendPing);
  EXPECT_EQ(heartbeat.tick(100, start + milliseconds(200), false), Action::kPeerDead);
}

TEST(Heartbeat, InputAndPongsLeaveAStoppedHeartbeatOff) {
  Heartbeat heartbeat;
  heartbeat.input_arrived();
  heartbeat.pong_received();
  EXPECT_FALSE(heartbeat.enabled());
}

TEST(Heartbeat, APausedReaderIsNotDeclaredDeadItsPongMayBeUnread) {
  Heartbeat heartbeat;
  const Clock::time_point start{};
  heartbeat.start(10, start);
  EXPECT_EQ(heartbeat.tick(10, start + milliseconds(10), false), Action::kSendPing);
  EXPECT_EQ(heartbeat.tick(10, start + milliseconds(20), true), Action::kNone);
  EXPECT_EQ(heartbeat.tick(10, start + milliseconds(30), true), Action::kNone);
  EXPECT_EQ(heartbeat.tick(10, start + milliseconds(40), false), Action::kPeerDead)
      << "still unanswered once reading again";
}

TEST(Heartbeat, ANewIntervalTakesEffectAtTheNextPingAndZeroStopsIt) {
  Heartbeat heartbeat;
  const Clock::time_point start{};
  heartbeat.start(100, start);
  EXPECT_EQ(heartbeat.tick(30, start + milliseconds(100), false), Action::kSendPing);
  EXPECT_EQ(heartbeat.next_due(), start + milliseconds(130));
  heartbeat.pong_received();
  EXPECT_EQ(heartbeat.tick(0, start + milliseconds(130), false), Action::kNone);
  EXPECT_FALSE(heartbeat.enabled());
  heartbeat.start(0, start);
  EXPECT_FALSE(heartbeat.enabled()) << "an interval of 0 leaves it off";
}

TEST(Heartbeat, APongRightAfterOurPingGivesTheRoundTrip) {
  Heartbeat heartbeat;
  const Clock::time_point start{};
  heartbeat.start(100, start);
  EXPECT_EQ(heartbeat.answered_after(100, start + milliseconds(50)), std::nullopt)
      << "no ping sent yet: a pong now is unsolicited";
  ASSERT_EQ(heartbeat.tick(100, start + milliseconds(100), false), Action::kSendPing);
  EXPECT_EQ(heartbeat.answered_after(100, start + milliseconds(103)), milliseconds(3));
  heartbeat.pong_received();
  EXPECT_EQ(heartbeat.answered_after(100, start + milliseconds(104)), std::nullopt)
      << "a second pong answers nothing";
}

TEST(Heartbeat, APongToAPingFromEarlierTicksGivesNoFigure) {
  Heartbeat heartbeat;
  const Clock::time_point start{};
  heartbeat.start(100, start);
  ASSERT_EQ(heartbeat.tick(100, start + milliseconds(100), false), Action::kSendPing);
  heartbeat.input_arrived();  // busy: alive, the pong still awaited, no new ping
  ASSERT_EQ(heartbeat.tick(100, start + milliseconds(200), false), Action::kNone);
  EXPECT_EQ(heartbeat.answered_after(100, start + milliseconds(250)), std::nullopt)
      << "the ping went out 150 ms ago, not 50";
}

TEST(Heartbeat, AnIntervalChangedSinceThePingGivesNoWrongFigure) {
  Heartbeat heartbeat;
  const Clock::time_point start{};
  heartbeat.start(100, start);
  ASSERT_EQ(heartbeat.tick(100, start + milliseconds(100), false), Action::kSendPing);
  // The time worked out from a smaller interval would be after the pong or longer than it.
  EXPECT_EQ(heartbeat.answered_after(10, start + milliseconds(130)), std::nullopt);
  // A larger one cannot be told apart: the peer forgets the ping's time when it changes.
  EXPECT_EQ(heartbeat.answered_after(1000, start + milliseconds(110)), milliseconds(910));
  heartbeat.forget_ping_time();
  EXPECT_EQ(heartbeat.answered_after(1000, start + milliseconds(110)), std::nullopt);
  EXPECT_EQ(heartbeat.answered_after(100, start + milliseconds(110)), std::nullopt);
  Heartbeat off;
  off.forget_ping_time();
  EXPECT_FALSE(off.enabled()) << "forgetting must leave a stopped heartbeat off";
}

}  // namespace
}  // namespace wsp
