// Memory that permessage-deflate adds to a connection, per agreed window size and with or without
// context takeover: zlib's own allocations (counted by the compressor) for server-side
// connections that have each received and sent one 1 KiB JSON message (busy), then after the
// idle release (idle). Prints a Markdown table for docs/compression.md.
//   bazel run -c opt //bench:deflate_memory
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "wspeer/core/deflate/zlib_compressor.h"
#include "wspeer/core/protocol.h"

namespace {

constexpr int kConnections = 100;

std::string json_message(int seed) {
  std::string text = "[";
  for (int i = 0; text.size() < 1024; ++i) {
    text += "{\"id\":" + std::to_string(seed * 100 + i) + ",\"name\":\"player" + std::to_string(i) +
            "\",\"x\":" + std::to_string(i * 0.5) + "},";
  }
  text.back() = ']';
  return text;
}

struct Connection {
  wsp::InboundQueue inbound;
  std::unique_ptr<wsp::Protocol> protocol;
};

struct Figures {
  size_t busy = 0;
  size_t idle = 0;
};

Figures measure(int window_bits, bool context_takeover, int memory_level) {
  wsp::DeflateAgreement agreement;
  agreement.server_max_window_bits = agreement.client_max_window_bits = window_bits;
  agreement.server_no_context_takeover = agreement.client_no_context_takeover = !context_takeover;
  wsp::DeflateOptions options = wsp::DeflateOptions::on();
  options.memory_level = memory_level;
  std::vector<Connection> servers(kConnections);
  size_t busy = 0, idle = 0;
  for (int i = 0; i < kConnections; ++i) {
    Connection& server = servers[i];
    server.inbound.configure(1 << 20, 4096);
    server.protocol = std::make_unique<wsp::Protocol>(wsp::Role::kServer, &server.inbound);
    server.protocol->set_compressor(wsp::make_zlib_compressor(agreement, options, true));
    // Each connection has its own client: a compressor's context belongs to one connection.
    wsp::InboundQueue client_inbound;
    wsp::Protocol client(wsp::Role::kClient, &client_inbound);
    client.set_compressor(wsp::make_zlib_compressor(agreement, options, false));
    const std::string message = json_message(i);
    client.send_message(reinterpret_cast<const uint8_t*>(message.data()), message.size(), true);
    server.protocol->receive(client.outbound().front().data(), client.outbound().size());
    client.outbound().consume(client.outbound().size());
    const uint8_t* data;
    size_t size;
    bool is_text;
    if (!server.inbound.pop(&data, &size, &is_text) || size != message.size()) {
      std::fprintf(stderr, "the message did not arrive\n");
      std::exit(1);
    }
    server.protocol->send_message(data, size, is_text);
    busy += server.protocol->compressor()->memory_held();
    server.protocol->release_if_idle();
    idle += server.protocol->compressor()->memory_held();
  }
  return {busy / kConnections, idle / kConnections};
}

std::string kib(size_t bytes) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f KiB", bytes / 1024.0);
  return text;
}

}  // namespace

int main() {
  std::printf(
      "| window bits | memory_level | context takeover | busy | idle |\n|---|---|---|---|---|\n");
  for (const int memory_level : {8, 1}) {
    for (const int bits : {9, 10, 12, 15}) {
      for (const bool takeover : {true, false}) {
        const Figures figures = measure(bits, takeover, memory_level);
        std::printf("| %d | %d | %s | %s | %s |\n", bits, memory_level, takeover ? "yes" : "no",
                    kib(figures.busy).c_str(), kib(figures.idle).c_str());
      }
    }
  }
  return 0;
}
