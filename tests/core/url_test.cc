#include "wspeer/core/url.h"

#include <gtest/gtest.h>

namespace wsp {
namespace {

WsUrl parse_ok(const std::string& text) {
  WsUrl url;
  std::string error;
  EXPECT_EQ(parse_ws_url(text, &url, &error), OK) << text << ": " << error;
  return url;
}

TEST(Url, DefaultsAndExplicitParts) {
  WsUrl a = parse_ok("ws://example.com");
  EXPECT_FALSE(a.secure);
  EXPECT_EQ(a.host, "example.com");
  EXPECT_EQ(a.port, 80);
  EXPECT_EQ(a.resource, "/");
  EXPECT_EQ(a.host_header(), "example.com");

  WsUrl b = parse_ok("WSS://Example.COM:8443/a/b?c=d#frag");
  EXPECT_TRUE(b.secure);
  EXPECT_EQ(b.host, "example.com");
  EXPECT_EQ(b.port, 8443);
  EXPECT_EQ(b.resource, "/a/b?c=d") << "the fragment is dropped";
  EXPECT_EQ(b.host_header(), "example.com:8443");
  EXPECT_EQ(b.to_string(), "wss://example.com:8443/a/b?c=d");

  EXPECT_EQ(parse_ok("wss://h").port, 443);
  EXPECT_EQ(parse_ok("wss://h:443").host_header(), "h");
  EXPECT_EQ(parse_ok("localhost:9000/x").port, 9000) << "no scheme means ws://";
}

TEST(Url, QueryWithoutPath) {
  WsUrl url = parse_ok("ws://h?x=1");
  EXPECT_EQ(url.host, "h");
  EXPECT_EQ(url.resource, "/?x=1");
}

TEST(Url, Ipv6LiteralsKeepBracketsInAuthority) {
  WsUrl url = parse_ok("ws://[::1]:8080/p");
  EXPECT_TRUE(url.host_is_ipv6);
  EXPECT_EQ(url.host, "::1");
  EXPECT_EQ(url.port, 8080);
  EXPECT_EQ(url.host_header(), "[::1]:8080");
  EXPECT_EQ(url.to_string(), "ws://[::1]:8080/p");
  EXPECT_EQ(parse_ok("ws://[2001:DB8::1]").host_header(), "[2001:db8::1]");
}

TEST(Url, Credentials) {
  WsUrl url = parse_ok("ws://user:p%40ss@host:1/");
  EXPECT_EQ(url.userinfo, "user:p@ss");
  EXPECT_EQ(url.host, "host");
  EXPECT_EQ(url.to_string(), "ws://host:1/") << "credentials never appear in the URL again";
}

TEST(Url, ClearErrorsForBadInput) {
  struct Bad {
    const char* url;
    const char* expect;
  };
  const Bad bad[] = {
      {"", "empty"},
      {"http://example.com", "Invalid protocol"},
      {"ftp://x", "Invalid protocol"},
      {"ws://", "host is empty"},
      {"ws://:80/", "host is empty"},
      {"ws://h:0", "port"},
      {"ws://h:65536", "port"},
      {"ws://h:12a", "port"},
      {"ws://h:", "port"},
      {"ws://::1/", "too many ':'"},
      {"ws://[::1", "unterminated"},
      {"ws://[zz::1]/", "IPv6"},
      {"ws://[::1]x/", "junk"},
      {"ws://ho st/", "whitespace"},
      {"ws://h/\n", "control"},
      {"ws://h\xc3\xa9.com/", "punycode"},
      {"ws://a%zz@h/", "percent"},
  };
  for (const Bad& b : bad) {
    WsUrl url;
    std::string error;
    EXPECT_EQ(parse_ws_url(b.url, &url, &error), ERR_INVALID_PARAMETER) << b.url;
    EXPECT_NE(error.find(b.expect), std::string::npos) << b.url << " -> " << error;
  }
}

}  // namespace
}  // namespace wsp
