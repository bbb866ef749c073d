// Small POSIX socket helpers shared by the native TCP classes.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <string>

namespace wsp::native {

/// "strerror" text for an errno value, thread-safe.
std::string errno_text(int error_number);
bool set_nonblocking(int fd);
bool set_tcp_nodelay(int fd, bool enabled);
/// Numeric host ("127.0.0.1", "::1") and port of an address.
std::string address_host(const sockaddr_storage& address);
int address_port(const sockaddr_storage& address);
/// "127.0.0.1:80" or "[::1]:80".
std::string address_text(const sockaddr_storage& address);
/// Fills `out` when `host` is an IPv4 or IPv6 literal (no brackets).
bool parse_ip_literal(const std::string& host, int port, sockaddr_storage* out, socklen_t* length);
socklen_t address_length(const sockaddr_storage& address);

}  // namespace wsp::native
