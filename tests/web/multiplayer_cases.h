// The multiplayer test cases of the web API test program (multiplayer_cases.cc).
#pragma once

#include <string>

#include "tests/web/async_test.h"

namespace wsp {

void add_multiplayer_cases(async_test::Runner& runner, const std::string& relay_url);

}  // namespace wsp
