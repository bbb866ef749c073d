// The reconnection rules in memory: backoff with jitter and its bounds, which endings are tried
// again, Retry-After, giving up, and when the count starts over.
#include "wspeer/core/reconnect/reconnect_policy.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace wsp {
namespace {

constexpr int64_t kNow = 1'780'000'000;  // a Unix time for Retry-After dates

ConnectionEnd network_error() {
  ConnectionEnd end;
  end.reason = "Connection refused";
  return end;
}

ConnectionEnd refused(int status, std::string retry_after = "") {
  ConnectionEnd end;
  end.http_status = status;
  end.retry_after = std::move(retry_after);
  return end;
}

ConnectionEnd closed(int code, double open_seconds = 1) {
  ConnectionEnd end;
  end.was_open = true;
  end.open_seconds = open_seconds;
  end.close_code = code;
  return end;
}

TEST(ReconnectPolicy, NetworkErrorsServerErrorsAndMostClosesAreTriedAgain) {
  EXPECT_TRUE(should_retry(network_error()));
  for (int status : {408, 429, 500, 502, 503, 504}) EXPECT_TRUE(should_retry(refused(status)));
  for (int status : {301, 400, 401, 403, 404, 426}) EXPECT_FALSE(should_retry(refused(status)));
  for (int code : {-1, 1000, 1001, 1006, 1011, 1012, 3000, 3499, 4000, 4499}) {
    EXPECT_TRUE(should_retry(closed(code))) << code;
  }
  for (int code : {1008, 3500, 3999, 4500, 4999}) EXPECT_FALSE(should_retry(closed(code))) << code;
}

TEST(ReconnectPolicy, RetryAfterInSecondsOrAsADate) {
  EXPECT_EQ(parse_retry_after("120", kNow), 120.0);
  EXPECT_EQ(parse_retry_after(" 0 ", kNow), 0.0);
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111777), 0.0);
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 - 30), 30.0);
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 + 99), 0.0);
  EXPECT_EQ(parse_retry_after("99999999999999999999", kNow), 1e9);
  for (const char* bad : {"", "-5", "1.5", "soon", "Sun, 06 Nov 1994 08:49:37 UTC",
                          "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 32 Nov 1994 08:49:37 GMT"}) {
    EXPECT_EQ(parse_retry_after(bad, kNow), std::nullopt) << bad;
  }
}

TEST(ReconnectSchedule, DelaysDoubleWithinJitterUpToTheMaximum) {
  ReconnectPolicy policy;
  policy.min_delay = 0.5;
  policy.max_delay = 4;
  double next_random = 0;
  ReconnectSchedule schedule(policy, [&] { return next_random; });
  // The lowest draw is the minimum every time; the highest follows the doubling ceiling.
  const double ceilings[] = {1, 2, 4, 4, 4};
  for (int attempt = 1; attempt <= 5; ++attempt) {
    next_random = 0;
    ReconnectSchedule low(policy, [&] { return next_random; });
    for (int i = 1; i < attempt; ++i) low.ended(network_error(), kNow);
    const auto lowest = low.ended(network_error(), kNow);
    ASSERT_TRUE(lowest.retry);
    EXPECT_EQ(lowest.attempt, attempt);
    EXPECT_DOUBLE_EQ(lowest.delay, 0.5);
    next_random = 0.999999;
    ReconnectSchedule high(policy, [&] { return next_random; });
    for (int i = 1; i < attempt; ++i) high.ended(network_error(), kNow);
    EXPECT_NEAR(high.ended(network_error(), kNow).delay, ceilings[attempt - 1], 1e-5) << attempt;
  }
}

TEST(ReconnectSchedule, JitterSpreadsClientsCutOffTogether) {
  ReconnectPolicy policy;
  policy.min_delay = 1;
  policy.max_delay = 60;
  uint64_t state = 12345;
  auto random01 = [&] {  // a small LCG: deterministic, spread
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(state >> 11) / 9007199254740992.0;
  };
  std::vector<double> first_delays;
  for (int client = 0; client < 100; ++client) {
    ReconnectSchedule schedule(policy, random01);
    first_delays.push_back(schedule.ended(closed(1001), kNow).delay);
  }
  std::sort(first_delays.begin(), first_delays.end());
  EXPECT_GE(first_delays.front(), 1.0);
  EXPECT_LE(first_delays.back(), 2.0);
  EXPECT_GT(first_delays.back() - first_delays.front(), 0.8) << "no spread: a thundering herd";
}

TEST(ReconnectSchedule, GivesUpAfterMaxAttemptsOrWhatCannotChange) {
  ReconnectPolicy policy;
  policy.max_attempts = 2;
  ReconnectSchedule schedule(policy, [] { return 0.5; });
  EXPECT_TRUE(schedule.ended(network_error(), kNow).retry);
  EXPECT_TRUE(schedule.ended(network_error(), kNow).retry);
  const auto third = schedule.ended(network_error(), kNow);
  EXPECT_FALSE(third.retry);
  EXPECT_EQ(third.reason, "gave up after 2 attempts");

  ReconnectSchedule unauthorized(ReconnectPolicy{}, [] { return 0.5; });
  const auto decision = unauthorized.ended(refused(401), kNow);
  EXPECT_FALSE(decision.retry);
  EXPECT_NE(decision.reason.find("HTTP 401"), std::string::npos);
  ReconnectSchedule kicked(ReconnectPolicy{}, [] { return 0.5; });
  EXPECT_NE(kicked.ended(closed(4501), kNow).reason.find("code 4501"), std::string::npos);
}

TEST(ReconnectSchedule, TheApplicationMayDecide) {
  ReconnectPolicy policy;
  policy.retry_if = [](const ConnectionEnd& end) { return end.http_status == 401; };
  ReconnectSchedule schedule(policy, [] { return 0.5; });
  EXPECT_TRUE(schedule.ended(refused(401), kNow).retry);  // e.g. it refreshes its token first
  const auto no = schedule.ended(network_error(), kNow);
  EXPECT_FALSE(no.retry);
  EXPECT_NE(no.reason.find("retry_if"), std::string::npos);
}

TEST(ReconnectSchedule, RetryAfterIsHonouredUpToItsCap) {
  ReconnectPolicy policy;
  policy.min_delay = 0.5;
  policy.max_retry_after = 60;
  ReconnectSchedule schedule(policy, [] { return 0.0; });
  EXPECT_DOUBLE_EQ(schedule.ended(refused(503, "7"), kNow).delay, 7.0);
  EXPECT_DOUBLE_EQ(schedule.ended(refused(429, "3600"), kNow).delay, 60.0);
  EXPECT_DOUBLE_EQ(schedule.ended(refused(503, "0"), kNow).delay, 0.5) << "never below backoff";
}

TEST(ReconnectSchedule, OnlyAConnectionThatStayedUpStartsTheCountOver) {
  ReconnectPolicy policy;
  policy.stable_after = 10;
  ReconnectSchedule schedule(policy, [] { return 0.0; });
  EXPECT_EQ(schedule.ended(closed(1006, 0.2), kNow).attempt, 1);
  // Accepted then dropped at once, again and again: the count (and the delay) keeps growing.
  EXPECT_EQ(schedule.ended(closed(1006, 0.2), kNow).attempt, 2);
  EXPECT_EQ(schedule.ended(closed(1006, 9.9), kNow).attempt, 3);
  EXPECT_EQ(schedule.ended(closed(1006, 10.0), kNow).attempt, 1);
}

}  // namespace
}  // namespace wsp
