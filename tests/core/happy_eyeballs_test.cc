// Happy Eyeballs' schedule: the order of addresses and when each attempt starts.
#include "wspeer/core/happy_eyeballs.h"

#include <gtest/gtest.h>

namespace wsp {
namespace {

using std::chrono::milliseconds;

TEST(HappyEyeballs, FamiliesAlternateStartingWithTheResolversFirst) {
  EXPECT_EQ(HappyEyeballs::interleave({6, 6, 6, 4, 4}), (std::vector<size_t>{0, 3, 1, 4, 2}));
  EXPECT_EQ(HappyEyeballs::interleave({4, 6, 4, 4}), (std::vector<size_t>{0, 1, 2, 3}));
  EXPECT_EQ(HappyEyeballs::interleave({4, 4, 6}), (std::vector<size_t>{0, 2, 1}));
  EXPECT_EQ(HappyEyeballs::interleave({6}), (std::vector<size_t>{0}));
  EXPECT_TRUE(HappyEyeballs::interleave({}).empty());
}

TEST(HappyEyeballs, EachAttemptStartsTheDelayAfterThePreviousWithoutStoppingIt) {
  const Clock::time_point t0 = Clock::now();
  HappyEyeballs race(3, t0);
  EXPECT_EQ(race.start_due(t0), 0u);
  EXPECT_EQ(race.start_due(t0), std::nullopt);
  EXPECT_EQ(race.next_start(), t0 + milliseconds(250));
  EXPECT_EQ(race.start_due(t0 + milliseconds(249)), std::nullopt);
  EXPECT_EQ(race.start_due(t0 + milliseconds(250)), 1u);
  EXPECT_EQ(race.in_flight(), 2u);  // the first goes on
  EXPECT_EQ(race.start_due(t0 + milliseconds(500)), 2u);
  EXPECT_EQ(race.next_start(), Clock::time_point::max());
  EXPECT_EQ(race.start_due(t0 + milliseconds(900)), std::nullopt);
  race.failed(t0 + milliseconds(900));
  race.failed(t0 + milliseconds(901));
  EXPECT_FALSE(race.exhausted());
  race.failed(t0 + milliseconds(902));
  EXPECT_TRUE(race.exhausted());
}

TEST(HappyEyeballs, AFailureStartsTheNextAtOnce) {
  const Clock::time_point t0 = Clock::now();
  HappyEyeballs race(3, t0);
  EXPECT_EQ(race.start_due(t0), 0u);
  race.failed(t0 + milliseconds(3));  // refused at once: no need to wait 250 ms
  EXPECT_EQ(race.next_start(), t0 + milliseconds(3));
  EXPECT_EQ(race.start_due(t0 + milliseconds(3)), 1u);
  EXPECT_EQ(race.in_flight(), 1u);
  EXPECT_EQ(race.start_due(t0 + milliseconds(4)), std::nullopt);
}

}  // namespace
}  // namespace wsp
