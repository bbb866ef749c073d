// Command-line options shared by the two client benchmarks (wspeer and Beast), so both read the
// same flags the same way: --port P [--payload B] [--inflight K] [--duration S].
#pragma once

#include <cstdlib>
#include <cstring>

namespace wsp::bench {

struct ClientOptions {
  int port = 0;
  size_t payload = 16;
  int inflight = 1;
  double duration = 5;
};

inline ClientOptions parse_client_options(int argc, char** argv) {
  ClientOptions options;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--port")) options.port = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--payload"))
      options.payload = std::strtoull(argv[i + 1], nullptr, 10);
    if (!std::strcmp(argv[i], "--inflight")) options.inflight = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--duration")) options.duration = std::atof(argv[i + 1]);
  }
  return options;
}

}  // namespace wsp::bench
