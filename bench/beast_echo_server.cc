// Boost.Beast echo server for the comparison: asynchronous, single-threaded, echoing every
// message with its type. Usage:
//   beast_echo_server PORT [BUSY_POLL_USECS] [--deflate] [--tls CERT.pem KEY.pem]
// (prints "listening on port N"). With BUSY_POLL_USECS, the loop keeps polling without sleeping
// for that long after the last handler ran, like wspeer's PeerPoller::set_busy_poll. --deflate
// accepts permessage-deflate at zlib level 1 and memLevel 8, as wspeer's defaults. --tls serves
// wss:// through Asio's SSL stream (OpenSSL).
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;
namespace ssl = net::ssl;

bool g_deflate = false;
std::optional<ssl::context> g_tls;  // --tls

template <typename Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  template <typename... Extra>
  explicit Session(tcp::socket&& socket, Extra&... extra) : ws_(std::move(socket), extra...) {}

  void start() {
    if constexpr (std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
      ws_.next_layer().async_handshake(
          ssl::stream_base::server,
          beast::bind_front_handler(&Session::on_tls_handshake, this->shared_from_this()));
    } else {
      start_websocket();
    }
  }

 private:
  void on_tls_handshake(beast::error_code error) {
    if (!error) start_websocket();
  }
  void start_websocket() {
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
    ws_.async_accept(beast::bind_front_handler(&Session::on_accept, this->shared_from_this()));
  }
  void on_accept(beast::error_code error) {
    if (!error) read();
  }
  void read() {
    ws_.async_read(buffer_, beast::bind_front_handler(&Session::on_read, this->shared_from_this()));
  }
  void on_read(beast::error_code error, std::size_t) {
    if (error) return;
    ws_.text(ws_.got_text());
    ws_.async_write(buffer_.data(),
                    beast::bind_front_handler(&Session::on_write, this->shared_from_this()));
  }
  void on_write(beast::error_code error, std::size_t) {
    if (error) return;
    buffer_.consume(buffer_.size());
    read();
  }

  websocket::stream<Stream> ws_;
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
      if (g_tls) {
        std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(std::move(socket), *g_tls)
            ->start();
      } else {
        std::make_shared<Session<beast::tcp_stream>>(std::move(socket))->start();
      }
    }
    accept();
  }
  net::io_context& context_;
  tcp::acceptor acceptor_;
};

int main(int argc, char** argv) {
  if (argc > 3 && std::strcmp(argv[argc - 3], "--tls") == 0) {
    g_tls.emplace(ssl::context::tls_server);
    g_tls->use_certificate_chain_file(argv[argc - 2]);
    g_tls->use_private_key_file(argv[argc - 1], ssl::context::pem);
    argc -= 3;
  }
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
