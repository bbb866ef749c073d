// The demo server's Origin and Host checks: cross-site pages and DNS rebinding are refused,
// the server's own pages, the allowed origins and native clients are not.
#include "web_demo/origin_policy.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "web_demo/server_names.h"

namespace wsp::demo {
namespace {

HttpHeaders request(const std::string& host, const std::string& origin) {
  HttpHeaders headers = {{"Host", host}};
  if (!origin.empty()) headers.push_back({"Origin", origin});
  return headers;
}

bool allows(const OriginPolicy& policy, const std::string& host, const std::string& origin,
            std::string* why = nullptr) {
  std::string reason;
  return policy.allows(request(host, origin), why ? why : &reason);
}

TEST(OriginPolicy, TheServersOwnPagesAndNativeClientsAreAllowed) {
  const OriginPolicy policy(false, {}, local_server_names("127.0.0.1"));
  EXPECT_TRUE(allows(policy, "127.0.0.1:8080", "http://127.0.0.1:8080"));
  EXPECT_TRUE(allows(policy, "localhost:8080", "http://localhost:8080"));
  EXPECT_TRUE(allows(policy, "[::1]:8080", "http://[::1]:8080"));
  EXPECT_TRUE(allows(policy, "anything.example", "")) << "no Origin: not a browser";
}

TEST(OriginPolicy, ACrossSitePageIsRefused) {
  const OriginPolicy policy(false, {}, local_server_names("127.0.0.1"));
  std::string why;
  EXPECT_FALSE(allows(policy, "127.0.0.1:8080", "http://evil.example", &why));
  EXPECT_NE(why.find("--allow-origin http://evil.example"), std::string::npos) << why;
}

// DNS rebinding: evil.example is made to resolve to this machine, so the page's requests carry
// its own name as Host and as Origin, which look like the same origin.
TEST(OriginPolicy, ARequestShapedLikeDnsRebindingIsRefused) {
  const OriginPolicy policy(false, {}, local_server_names("127.0.0.1"));
  std::string why;
  EXPECT_FALSE(allows(policy, "evil.example:8080", "http://evil.example:8080", &why));
  EXPECT_NE(why.find("--allow-host evil.example"), std::string::npos) << why;
  const OriginPolicy allowing(false, {"http://evil.example:8080"}, local_server_names("127.0.0.1"));
  EXPECT_FALSE(allows(allowing, "evil.example:8080", "http://evil.example:8080"))
      << "an allowed origin does not make a foreign Host ours";
  EXPECT_TRUE(allows(allowing, "127.0.0.1:8080", "http://evil.example:8080"));
}

TEST(OriginPolicy, AllowedHostsAndOriginsWorkTogether) {
  std::vector<std::string> names = local_server_names("127.0.0.1");
  names.push_back("game.example");
  const OriginPolicy policy(true, {"https://www.game.example"}, names);
  EXPECT_TRUE(allows(policy, "game.example", "https://game.example")) << "its own page";
  EXPECT_TRUE(allows(policy, "Game.Example:443", "https://www.game.example"));
  EXPECT_FALSE(allows(policy, "game.example", "http://game.example")) << "scheme differs";
  EXPECT_FALSE(allows(policy, "other.example", "https://www.game.example"));
}

TEST(ServerNames, HostNamesAreLowercaseWithoutPortOrBrackets) {
  EXPECT_EQ(host_name_of("Example.COM:8080"), "example.com");
  EXPECT_EQ(host_name_of("example.com"), "example.com");
  EXPECT_EQ(host_name_of("[::1]:80"), "::1");
  EXPECT_EQ(host_name_of("[::1]"), "::1");
  EXPECT_EQ(host_name_of("::1"), "") << "IPv6 must be bracketed in Host";
  EXPECT_EQ(host_name_of("[::1"), "");
  EXPECT_EQ(host_name_of("[::1]x"), "");
}

TEST(ServerNames, EveryAddressBindingKnowsThisMachinesAddressesAndName) {
  const std::vector<std::string> loopback = local_server_names("127.0.0.1");
  EXPECT_EQ(loopback, (std::vector<std::string>{"127.0.0.1", "::1", "localhost"}));
  const std::vector<std::string> lan = local_server_names("192.168.1.20");
  EXPECT_NE(std::find(lan.begin(), lan.end(), "192.168.1.20"), lan.end());
  const std::vector<std::string> every = local_server_names("*");
  EXPECT_GT(every.size(), loopback.size()) << "interface addresses and the host name";
  EXPECT_NE(std::find(every.begin(), every.end(), "localhost"), every.end());
}

}  // namespace
}  // namespace wsp::demo
