// Boost.Beast echo server for the comparison: asynchronous, single-threaded, echoing every
// message with its type. Usage: beast_echo_server PORT [BUSY_POLL_USECS] [--deflate]
// (prints "listening on port N"). With BUSY_POLL_USECS, the loop keeps polling without sleeping
// for that long after the last handler ran, like wspeer's PeerPoller::set_busy_poll. --deflate
// accepts permessage-deflate at zlib level 1 and memLevel 8, as wspeer's defaults.
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

bool g_deflate = false;

class Session : public std::enable_shared_from_this<Session> {
 public:
  explicit Session(tcp::socket&& socket) : ws_(std::move(socket)) {}

  void start() {
    if (g_deflate) {
      websocket::permessage_deflate deflate;
      deflate.server_enable = true;
      deflate.compLevel = 1;
      deflate.memLevel = 8;
      ws_.set_option(deflate);
    }
    ws_.read_message_max(64 << 20);
    ws_.auto_fragment(false);  // one frame per message, like the other servers
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.async_accept(beast::bind_front_handler(&Session::on_accept, shared_from_this()));
  }

 private:
  void on_accept(beast::error_code error) {
    if (!error) read();
  }
  void read() {
    ws_.async_read(buffer_, beast::bind_front_handler(&Session::on_read, shared_from_this()));
  }
  void on_read(beast::error_code error, std::size_t) {
    if (error) return;
    ws_.text(ws_.got_text());
    ws_.async_write(buffer_.data(),
                    beast::bind_front_handler(&Session::on_write, shared_from_this()));
  }
  void on_write(beast::error_code error, std::size_t) {
    if (error) return;
    buffer_.consume(buffer_.size());
    read();
  }

  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer buffer_;
};

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(net::io_context& context, tcp::endpoint endpoint)
      : context_(context), acceptor_(context) {
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(net::socket_base::max_listen_connections);
  }
  unsigned short port() const { return acceptor_.local_endpoint().port(); }
  void accept() {
    acceptor_.async_accept(net::make_strand(context_),
                           beast::bind_front_handler(&Listener::on_accept, shared_from_this()));
  }

 private:
  void on_accept(beast::error_code error, tcp::socket socket) {
    if (!error) {
      socket.set_option(tcp::no_delay(true));
      std::make_shared<Session>(std::move(socket))->start();
    }
    accept();
  }
  net::io_context& context_;
  tcp::acceptor acceptor_;
};

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[argc - 1], "--deflate") == 0) {
    g_deflate = true;
    --argc;
  }
  const unsigned short port = argc > 1 ? static_cast<unsigned short>(std::atoi(argv[1])) : 0;
  net::io_context context{1};
  auto listener =
      std::make_shared<Listener>(context, tcp::endpoint{net::ip::make_address("127.0.0.1"), port});
  listener->accept();
  std::printf("listening on port %d\n", listener->port());
  std::fflush(stdout);
  const std::chrono::microseconds busy_poll(argc > 2 ? std::atoi(argv[2]) : 0);
  if (busy_poll.count() == 0) {
    context.run();
    return 0;
  }
  using Clock = std::chrono::steady_clock;
  Clock::time_point last_work = Clock::now();
  for (;;) {
    if (context.poll() > 0) {
      last_work = Clock::now();
    } else if (Clock::now() - last_work >= busy_poll) {
      context.run_one();  // sleeps until something happens
      last_work = Clock::now();
    }
  }
}
