// The rules of coming back (multiplayer/resume.h), in memory: tokens, offers, welcomes, the
// retry delays and the bounded packets held meanwhile.
#include <gtest/gtest.h>

#include <set>

#include "wspeer/multiplayer/resume.h"

namespace wsp::resume {
namespace {

TEST(Resume, ATokenTravelsBackInAnOfferAndNothingElseIsTakenForOne) {
  const std::string token = make_token();
  ASSERT_EQ(token.size(), kTokenSize);
  EXPECT_NE(make_token(), token);
  const std::string offer = return_offer(token);
  EXPECT_EQ(offer.size(), 14u + 32u);
  EXPECT_EQ(offered_token({"chat", std::string(kProtocol), offer}), token);
  EXPECT_FALSE(offered_token({std::string(kProtocol)}));
  EXPECT_FALSE(offered_token({offer.substr(0, offer.size() - 1)})) << "one digit short";
  std::string upper = offer;
  upper.back() = 'G';
  EXPECT_FALSE(offered_token({upper})) << "not hex";
  EXPECT_FALSE(offered_token({"wspeer.resumeX" + offer.substr(14)}));
  EXPECT_TRUE(offers_resume({"a", "wspeer.resume"}));
  EXPECT_FALSE(offers_resume({"wspeer.resume.x"}));
}

TEST(Resume, WelcomesAreGodotsOrCarryAToken) {
  const auto godot = read_welcome(welcome(1234, ""));
  ASSERT_TRUE(godot);
  EXPECT_EQ(godot->id, 1234);
  EXPECT_TRUE(godot->token.empty());
  const std::string token = make_token();
  const auto ours = read_welcome(welcome(0x7fffffff, token));
  ASSERT_TRUE(ours);
  EXPECT_EQ(ours->id, 0x7fffffff);
  EXPECT_EQ(ours->token, token);
  EXPECT_FALSE(read_welcome(welcome(1, ""))) << "the server's own id";
  EXPECT_FALSE(read_welcome(welcome(-5, "")));
  std::vector<uint8_t> odd = welcome(99, token);
  odd.pop_back();
  EXPECT_FALSE(read_welcome(odd));
  EXPECT_FALSE(read_welcome(std::vector<uint8_t>{1, 2, 3}));
}

TEST(Resume, RetryDelaysAreJitteredUnderAGrowingCeiling) {
  for (int attempt = 0; attempt < 12; ++attempt) {
    const int ceiling = std::min(100 << std::min(attempt, 5), 2000);
    std::set<long> seen;
    for (int i = 0; i < 200; ++i) {
      const long ms = retry_delay(attempt).count();
      ASSERT_GE(ms, 0);
      ASSERT_LE(ms, ceiling) << attempt;
      seen.insert(ms);
    }
    EXPECT_GT(seen.size(), 20u) << "full jitter spreads the returns, attempt " << attempt;
  }
}

TEST(Resume, HeldPacketsStayWithinBothLimits) {
  HeldPackets by_bytes(10, 100);
  EXPECT_TRUE(by_bytes.hold(std::vector<uint8_t>(6, 1)));
  EXPECT_FALSE(by_bytes.hold(std::vector<uint8_t>(5, 2)));
  EXPECT_TRUE(by_bytes.hold(std::vector<uint8_t>(4, 3)));
  EXPECT_EQ(by_bytes.bytes(), 10u);
  EXPECT_EQ(by_bytes.front(), std::vector<uint8_t>(6, 1));
  by_bytes.pop_front();
  EXPECT_EQ(by_bytes.bytes(), 4u);
  HeldPackets by_count(0, 2);  // no byte limit, as outbound_buffer_size 0
  EXPECT_TRUE(by_count.hold(std::vector<uint8_t>(100000, 1)));
  EXPECT_TRUE(by_count.hold({}));
  EXPECT_FALSE(by_count.hold({}));
  EXPECT_EQ(by_count.size(), 2u);
}

}  // namespace
}  // namespace wsp::resume
