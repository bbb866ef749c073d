// Where a cluster's Redis is and how to log in: parsed from a URL
// redis://[[USER]:PASSWORD@]HOST[:PORT][/DB] (the form redis-cli -u and most clients take;
// "%XX" escapes a character in USER or PASSWORD). Without I/O, so it is tested alone.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace wsp::cluster {

struct RedisAddress {
  std::string host;  ///< a name, an IPv4 address, or an IPv6 address (written in [] in the URL)
  int port = 6379;
  std::string user;  ///< empty: the default user (AUTH with the password alone)
  std::string password;
  int db = 0;  ///< where the membership keys go (pub/sub is the same in every db)
};

/// The address in `url`, or nothing with a sentence in `error`.
std::optional<RedisAddress> parse_redis_url(std::string_view url, std::string* error);

}  // namespace wsp::cluster
