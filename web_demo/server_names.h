// The names the demo server answers to, for the Host check that stops DNS rebinding: a page on
// another site whose name is made to resolve to this machine sends its own name as Host.
#pragma once

#include <string>
#include <vector>

namespace wsp::demo {

// localhost and the loopback addresses; the address the server is bound to; when bound to every
// address, this machine's interface addresses and host name too. Lowercase, IPv6 without
// brackets, no port.
std::vector<std::string> local_server_names(const std::string& bind_host);

// The name part of a Host header value ("Example.com:8080" -> "example.com", "[::1]:80" ->
// "::1"), lowercase; empty when the value is malformed.
std::string host_name_of(const std::string& host_header);

}  // namespace wsp::demo
