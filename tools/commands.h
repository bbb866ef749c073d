// The wsp subcommands. Each returns the process exit status, the same for all of them:
//   0  success (for a client: the connection ended with a close handshake)
//   1  the connection failed or ended without a close handshake; a server could not start
//   2  usage: unknown or malformed option, missing or unusable URL
#pragma once

#include <string>

namespace wsp::tool {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

// Prints "wsp COMMAND: message" and where to read about the options (for a usage error).
void usage_error(const char* command, const std::string& message);

int run_connect(int argc, char** argv);
int run_echo_server(int argc, char** argv);
int run_echo_client(int argc, char** argv);
int run_relay_server(int argc, char** argv);
int run_relay_client(int argc, char** argv);

}  // namespace wsp::tool
