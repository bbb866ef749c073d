// The wsp subcommands. Each returns the process exit status.
#pragma once

namespace wsp::tool {

int run_connect(int argc, char** argv);
int run_echo_server(int argc, char** argv);
int run_echo_client(int argc, char** argv);

}  // namespace wsp::tool
