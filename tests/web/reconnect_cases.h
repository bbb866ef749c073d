// The ReconnectingPeer cases of the web API test program (reconnect_cases.cc).
#pragma once

#include <string>

#include "tests/web/async_test.h"

namespace wsp {

// `server_via` reaches a server through a forwarder whose control port `cut` drops every
// connection through it (the case that needs them is left out when either is empty);
// `closed_port` is a port nothing listens on.
void add_reconnect_cases(async_test::Runner& runner, const std::string& server_via,
                         const std::string& cut, const std::string& closed_port);

}  // namespace wsp
