// Redis URLs as --redis takes them.
#include "wspeer/cluster/redis/redis_address.h"

#include <gtest/gtest.h>

namespace wsp::cluster {
namespace {

RedisAddress parsed(const std::string& url) {
  std::string error;
  const std::optional<RedisAddress> address = parse_redis_url(url, &error);
  EXPECT_TRUE(address) << url << ": " << error;
  return address.value_or(RedisAddress{});
}

TEST(RedisAddress, TakesHostPortCredentialsAndDatabase) {
  RedisAddress a = parsed("redis://127.0.0.1");
  EXPECT_EQ(a.host, "127.0.0.1");
  EXPECT_EQ(a.port, 6379);
  EXPECT_TRUE(a.user.empty() && a.password.empty());
  EXPECT_EQ(a.db, 0);
  a = parsed("redis://redis.internal:7000/3");
  EXPECT_EQ(a.host, "redis.internal");
  EXPECT_EQ(a.port, 7000);
  EXPECT_EQ(a.db, 3);
  a = parsed("redis://:s3cret@10.0.0.5:6380");
  EXPECT_TRUE(a.user.empty());
  EXPECT_EQ(a.password, "s3cret");
  a = parsed("redis://alice:p%40ss%3Aword@[::1]:6381/");
  EXPECT_EQ(a.user, "alice");
  EXPECT_EQ(a.password, "p@ss:word");
  EXPECT_EQ(a.host, "::1");
  EXPECT_EQ(a.port, 6381);
  a = parsed("redis://onlyapassword@host");
  EXPECT_TRUE(a.user.empty());
  EXPECT_EQ(a.password, "onlyapassword") << "as redis-cli -u reads it";
}

TEST(RedisAddress, RefusesWhatItCannotUseWithAReason) {
  for (const char* url :
       {"http://host", "rediss://host", "redis://", "redis://:pw@", "redis://host:0",
        "redis://host:65536", "redis://host:port", "redis://[::1", "redis://[::1]x",
        "redis://host/db", "redis://a:%4@h", "redis://a:%zz@h"}) {
    std::string error;
    EXPECT_FALSE(parse_redis_url(url, &error)) << url;
    EXPECT_FALSE(error.empty()) << url;
  }
}

}  // namespace
}  // namespace wsp::cluster
