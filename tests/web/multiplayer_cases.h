// The multiplayer test cases of the web API test program (multiplayer_cases.cc).
#pragma once

#include <string>

#include "tests/web/async_test.h"

namespace wsp {

// `relay_via` reaches the same server through a forwarder whose control port `cut` drops every
// connection through it (either may be empty: the case that needs them is left out).
void add_multiplayer_cases(async_test::Runner& runner, const std::string& relay_url,
                           const std::string& relay_via, const std::string& cut);

}  // namespace wsp
