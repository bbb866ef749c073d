// wsp: a WebSocket command-line client and test server built on wspeer.
#include <cstdio>
#include <cstring>
#include <string>

#include "tools/commands.h"
#include "tools/process.h"
#include "wspeer/core/version.h"

namespace {

void print_usage(FILE* out) {
  std::fputs(
      "wsp: WebSocket command-line tool (wspeer)\n"
      "\n"
      "Usage:\n"
      "  wsp connect URL [options]       interactive client: stdin lines out, messages in\n"
      "  wsp echo-server [options]       echo server for any number of clients\n"
      "  wsp echo-client URL [options]   echoes what a server sends until it closes\n"
      "  wsp relay-server [options]      multiplayer server: rooms, peer ids, relaying\n"
      "  wsp relay-client URL [options]  joins a relay server's room from a terminal\n"
      "\n"
      "  wsp --version                   the version of wsp and wspeer\n"
      "\n"
      "Run 'wsp COMMAND --help' for the options of a command.\n"
      "\n"
      "Exit status: 0 success (a client's connection ended with a close handshake), 1 the\n"
      "connection failed or ended without one, 2 usage error.\n",
      out);
}

}  // namespace

namespace wsp::tool {

void usage_error(const char* command, const std::string& message) {
  std::fprintf(stderr, "wsp %s: %s\nTry 'wsp %s --help' for its options.\n", command,
               message.c_str(), command);
}

}  // namespace wsp::tool

int main(int argc, char** argv) {
  wsp::tool::ignore_broken_pipes();
  wsp::tool::use_binary_stdio();
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0 ||
      std::strcmp(argv[1], "help") == 0) {
    print_usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const std::string command = argv[1];
  if (command == "--version" || command == "-V") {
    std::printf("wsp %s (wspeer %s)\n", wsp::kVersion, wsp::kVersion);
    return 0;
  }
  if (command == "connect") return wsp::tool::run_connect(argc, argv);
  if (command == "echo-server") return wsp::tool::run_echo_server(argc, argv);
  if (command == "echo-client") return wsp::tool::run_echo_client(argc, argv);
  if (command == "relay-server") return wsp::tool::run_relay_server(argc, argv);
  if (command == "relay-client") return wsp::tool::run_relay_client(argc, argv);
  std::fprintf(stderr, "wsp: unknown command '%s'\n\n", command.c_str());
  print_usage(stderr);
  return 2;
}
