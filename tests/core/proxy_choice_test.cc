// Proxy URLs, IP literals, no_proxy and the choice between set_proxy() and the environment.
#include "wspeer/core/proxy/proxy_choice.h"

#include <gtest/gtest.h>

#include <map>

#include "wspeer/core/proxy/ip_literal.h"
#include "wspeer/core/proxy/proxy_url.h"

namespace wsp {
namespace {

ProxyUrl parse(const std::string& text) {
  ProxyUrl proxy;
  std::string error;
  EXPECT_EQ(parse_proxy_url(text, &proxy, &error), OK) << text << ": " << error;
  return proxy;
}

std::string refusal(const std::string& text) {
  ProxyUrl proxy;
  std::string error;
  EXPECT_EQ(parse_proxy_url(text, &proxy, &error), ERR_INVALID_PARAMETER) << text;
  return error;
}

TEST(ProxyUrl, ReadsSchemeCredentialsHostAndPort) {
  const ProxyUrl http = parse("http://alice:s%3Acret@Proxy.Example:3128/");
  EXPECT_EQ(http.kind, ProxyKind::kHttp);
  EXPECT_EQ(http.host, "proxy.example");
  EXPECT_EQ(http.port, 3128);
  EXPECT_TRUE(http.has_credentials);
  EXPECT_EQ(http.username, "alice");
  EXPECT_EQ(http.password, "s:cret");  // decoded after the split at the first ':'
  EXPECT_EQ(http.to_string(), "http://proxy.example:3128");

  const ProxyUrl bare = parse("10.0.0.1");  // no scheme: http, as in curl; port 1080
  EXPECT_EQ(bare.kind, ProxyKind::kHttp);
  EXPECT_EQ(bare.port, kDefaultProxyPort);
  EXPECT_FALSE(bare.has_credentials);

  EXPECT_EQ(parse("socks5://[::1]:1081").kind, ProxyKind::kSocks5);
  EXPECT_EQ(parse("socks5://[::1]:1081").host, "::1");
  EXPECT_EQ(parse("socks5://[::1]:1081").to_string(), "socks5://[::1]:1081");
  EXPECT_EQ(parse("SOCKS5H://u@h").kind, ProxyKind::kSocks5h);
  EXPECT_EQ(parse("SOCKS5H://u@h").password, "");
}

TEST(ProxyUrl, RefusesWhatCannotBeUsedAndSaysWhy) {
  EXPECT_NE(refusal("https://proxy:443").find("https://"), std::string::npos);
  EXPECT_NE(refusal("socks4://proxy").find("socks5h://"), std::string::npos);
  EXPECT_NE(refusal("http://proxy/path").find("no path"), std::string::npos);
  EXPECT_NE(refusal("http://proxy:0").find("port"), std::string::npos);
  EXPECT_NE(refusal("http://:8080").find("host is empty"), std::string::npos);
  EXPECT_NE(refusal("http://:pw@proxy").find("user name is empty"), std::string::npos);
  EXPECT_NE(refusal("http://a%zz@proxy").find("percent"), std::string::npos);
  EXPECT_NE(refusal("http://pro xy").find("whitespace"), std::string::npos);
  EXPECT_EQ(refusal("").find("Invalid proxy URL"), 0u);
  EXPECT_EQ(refusal("http://[::1").find("Invalid proxy URL"), 0u);
  EXPECT_NE(refusal("socks5://" + std::string(256, 'u') + ":p@h").find("255"), std::string::npos);
  parse("http://" + std::string(256, 'u') + ":p@h");  // no such limit for HTTP Basic
}

TEST(IpLiteral, ParsesBothFamiliesAndRefusesNearMisses) {
  const auto v4 = parse_ip_literal("192.0.2.10");
  ASSERT_TRUE(v4);
  EXPECT_FALSE(v4->is_ipv6);
  EXPECT_EQ(v4->bytes[0], 192);
  EXPECT_EQ(v4->bytes[3], 10);
  const auto v6 = parse_ip_literal("2001:db8::ff:1");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->is_ipv6);
  EXPECT_EQ(v6->bytes[0], 0x20);
  EXPECT_EQ(v6->bytes[1], 0x01);
  EXPECT_EQ(v6->bytes[13], 0xff);
  EXPECT_EQ(v6->bytes[15], 1);
  const auto mapped = parse_ip_literal("::ffff:10.1.2.3");
  ASSERT_TRUE(mapped);
  EXPECT_EQ(mapped->bytes[10], 0xff);
  EXPECT_EQ(mapped->bytes[12], 10);
  EXPECT_EQ(mapped->bytes[15], 3);
  ASSERT_TRUE(parse_ip_literal("::"));
  ASSERT_TRUE(parse_ip_literal("1:2:3:4:5:6:7:8"));
  for (const char* bad :
       {"256.0.0.1", "1.2.3", "1.2.3.4.5", "1..2.3", "01234.1.1.1", "::1::", "1:2:3:4:5:6:7:8:9",
        "1:2:3:4:5:6:7::8", "12345::", "g::", ":1", "", "example.com", "1.2.3.4:80"}) {
    EXPECT_FALSE(parse_ip_literal(bad)) << bad;
  }
}

TEST(NoProxy, MatchesNamesSuffixesLiteralsAndCidr) {
  const std::string list = "localhost, .corp.example ,example.org:8080 10.0.0.0/8,[fd00::]/8,::1";
  EXPECT_TRUE(no_proxy_matches(list, "localhost"));
  EXPECT_TRUE(no_proxy_matches(list, "corp.example"));
  EXPECT_TRUE(no_proxy_matches(list, "a.b.corp.example"));
  EXPECT_TRUE(no_proxy_matches(list, "example.org"));  // the port in the entry is ignored
  EXPECT_TRUE(no_proxy_matches(list, "www.example.org."));
  EXPECT_FALSE(no_proxy_matches(list, "badcorp.example"));
  EXPECT_FALSE(no_proxy_matches(list, "example.com"));
  EXPECT_TRUE(no_proxy_matches(list, "10.200.3.4"));
  EXPECT_FALSE(no_proxy_matches(list, "11.0.0.1"));
  EXPECT_TRUE(no_proxy_matches(list, "fd12::5"));
  EXPECT_FALSE(no_proxy_matches(list, "fe80::5"));
  EXPECT_TRUE(no_proxy_matches(list, "::1"));
  EXPECT_FALSE(no_proxy_matches(list, "::2"));
  EXPECT_FALSE(no_proxy_matches("10.0.0.0/8", "ten.example"));
  EXPECT_FALSE(no_proxy_matches("10.0.0.0/33", "10.0.0.1"));
  EXPECT_TRUE(no_proxy_matches("192.168.1.7/32", "192.168.1.7"));
  EXPECT_TRUE(no_proxy_matches("0.0.0.0/0", "8.8.8.8"));
  EXPECT_TRUE(no_proxy_matches("*", "anything.example"));
  EXPECT_TRUE(no_proxy_matches("CORP.Example", "x.corp.example"));
  EXPECT_FALSE(no_proxy_matches("", "localhost"));
  EXPECT_FALSE(no_proxy_matches(" , ,", "localhost"));
}

class Environment {
 public:
  Environment(std::initializer_list<std::pair<const std::string, std::string>> values)
      : values_(values) {}
  EnvironmentLookup lookup() const {
    return [this](const char* name) -> std::optional<std::string> {
      const auto found = values_.find(name);
      if (found == values_.end()) return std::nullopt;
      return found->second;
    };
  }

 private:
  std::map<std::string, std::string> values_;
};

WsUrl url(const std::string& text) {
  WsUrl parsed;
  EXPECT_EQ(parse_ws_url(text, &parsed, nullptr), OK);
  return parsed;
}

ProxyChoice choose(const std::string& target, const Environment& environment,
                   const std::string& configured = "", bool use_environment = true) {
  ProxyChoice choice;
  std::string error;
  EXPECT_EQ(
      choose_proxy(url(target), configured, use_environment, environment.lookup(), &choice, &error),
      OK)
      << error;
  return choice;
}

TEST(ProxyChoice, ReadsTheEnvironmentInCurlsOrder) {
  const Environment full = {{"wss_proxy", "http://wss:1"},  {"ws_proxy", "http://ws:1"},
                            {"https_proxy", "http://s:1"},  {"http_proxy", "http://h:1"},
                            {"all_proxy", "socks5h://a:1"}, {"ALL_PROXY", "http://A:1"}};
  EXPECT_EQ(choose("wss://x/", full).proxy->host, "wss");
  EXPECT_EQ(choose("wss://x/", full).source, "wss_proxy");
  EXPECT_EQ(choose("ws://x/", full).proxy->host, "ws");

  const Environment standard = {
      {"HTTPS_PROXY", "http://S:1"}, {"http_proxy", "http://h:1"}, {"all_proxy", "socks5h://a:1"}};
  EXPECT_EQ(choose("wss://x/", standard).proxy->host, "s");
  EXPECT_EQ(choose("wss://x/", standard).source, "HTTPS_PROXY");
  EXPECT_EQ(choose("ws://x/", standard).proxy->host, "h");

  // HTTP_PROXY in capitals is not read (a CGI program gets it from a request's "Proxy:" header).
  const Environment capital = {{"HTTP_PROXY", "http://evil:1"}, {"ALL_PROXY", "socks5://a:2"}};
  EXPECT_EQ(choose("ws://x/", capital).proxy->host, "a");
  EXPECT_EQ(choose("ws://x/", capital).proxy->kind, ProxyKind::kSocks5);
  EXPECT_EQ(choose("ws://x/", capital).source, "ALL_PROXY");

  // An empty variable counts as unset.
  const Environment empty = {{"ws_proxy", ""}, {"http_proxy", "http://h:1"}};
  EXPECT_EQ(choose("ws://x/", empty).proxy->host, "h");
  EXPECT_FALSE(choose("ws://x/", Environment{}).proxy);
}

TEST(ProxyChoice, NoProxyExemptsAndTheApplicationDecidesFirst) {
  const Environment environment = {{"https_proxy", "http://proxy:3128"},
                                   {"NO_PROXY", "localhost,127.0.0.0/8"}};
  EXPECT_FALSE(choose("wss://localhost:9000/", environment).proxy);
  EXPECT_EQ(choose("wss://localhost:9000/", environment).source, "NO_PROXY");
  EXPECT_FALSE(choose("wss://127.0.0.1/", environment).proxy);
  EXPECT_TRUE(choose("wss://example.com/", environment).proxy);
  // Off: the environment is not read.
  EXPECT_FALSE(choose("wss://example.com/", environment, "", false).proxy);
  // set_proxy() wins over the environment, for every host.
  const ProxyChoice chosen = choose("wss://localhost/", environment, "socks5h://mine:9050");
  EXPECT_EQ(chosen.proxy->host, "mine");
  EXPECT_EQ(chosen.source, "set_proxy()");
  EXPECT_EQ(choose("wss://localhost/", environment, "socks5h://mine:9050", false).proxy->host,
            "mine");
}

TEST(ProxyChoice, AMalformedVariableIsNamed) {
  const Environment environment = {{"wss_proxy", "ftp://proxy"}};
  ProxyChoice choice;
  std::string error;
  EXPECT_EQ(choose_proxy(url("wss://x/"), "", true, environment.lookup(), &choice, &error),
            ERR_INVALID_PARAMETER);
  EXPECT_NE(error.find("wss_proxy"), std::string::npos) << error;
  EXPECT_NE(error.find("scheme"), std::string::npos) << error;
  // Not read when the environment is off, nor when no_proxy exempts the host.
  EXPECT_EQ(choose_proxy(url("wss://x/"), "", false, environment.lookup(), &choice, &error), OK);
  const Environment exempt = {{"wss_proxy", "ftp://proxy"}, {"no_proxy", "x"}};
  EXPECT_EQ(choose_proxy(url("wss://x/"), "", true, exempt.lookup(), &choice, &error), OK);
}

}  // namespace
}  // namespace wsp
