// The same client loop written with Boost.Beast (synchronous API, the simplest fast form).
// Usage: beast_client_bench --port P [--payload B] [--inflight K] [--duration S]
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "bench/client_options.h"

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

int main(int argc, char** argv) {
  const auto [port, payload, inflight, duration] = wsp::bench::parse_client_options(argc, argv);
  net::io_context context;
  websocket::stream<tcp::socket> ws{context};
  ws.next_layer().connect(
      tcp::endpoint(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)));
  ws.next_layer().set_option(tcp::no_delay(true));
  ws.auto_fragment(false);
  ws.read_message_max(payload + 1024);
  ws.binary(true);
  ws.handshake("127.0.0.1", "/");
  const std::string message(payload, 'c');
  beast::flat_buffer buffer;
  for (int i = 0; i < inflight; ++i) ws.write(net::buffer(message));
  using Clock = std::chrono::steady_clock;
  uint64_t echoes = 0;
  const auto start = Clock::now();
  const auto end =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(duration));
  while (Clock::now() < end) {
    ws.read(buffer);
    if (buffer.size() != payload) return 1;
    buffer.consume(buffer.size());
    ++echoes;
    ws.write(net::buffer(message));
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf(
      "{\"client\":\"beast\",\"payload\":%zu,\"inflight\":%d,\"messages_per_second\":%.1f,"
      "\"mb_per_second\":%.2f}\n",
      payload, inflight, echoes / seconds, echoes * payload / seconds / 1e6);
  beast::error_code ignored;
  ws.close(websocket::close_code::normal, ignored);
  return 0;
}
