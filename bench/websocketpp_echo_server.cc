// websocketpp echo server for the comparison (asio transport, single thread).
// Usage: websocketpp_echo_server PORT   (prints "listening on port N")
#include <cstdio>
#include <cstdlib>
#include <websocketpp/config/asio_no_tls.hpp>
#include <websocketpp/server.hpp>

using Server = websocketpp::server<websocketpp::config::asio>;

int main(int argc, char** argv) {
  Server server;
  server.clear_access_channels(websocketpp::log::alevel::all);
  server.clear_error_channels(websocketpp::log::elevel::all);
  server.init_asio();
  server.set_reuse_addr(true);
  server.set_max_message_size(64 << 20);
  server.set_tcp_post_init_handler([&server](websocketpp::connection_hdl hdl) {
    boost::system::error_code ignored;
    server.get_con_from_hdl(hdl)->get_socket().set_option(boost::asio::ip::tcp::no_delay(true),
                                                          ignored);
  });
  server.set_message_handler(
      [&server](websocketpp::connection_hdl hdl, Server::message_ptr message) {
        websocketpp::lib::error_code error;
        server.send(hdl, message->get_payload(), message->get_opcode(), error);
      });
  const unsigned short port = argc > 1 ? static_cast<unsigned short>(std::atoi(argv[1])) : 0;
  server.listen(
      boost::asio::ip::tcp::endpoint(boost::asio::ip::address::from_string("127.0.0.1"), port));
  server.start_accept();
  boost::system::error_code error;
  const boost::asio::ip::tcp::endpoint bound = server.get_local_endpoint(error);
  std::printf("listening on port %d\n", bound.port());
  std::fflush(stdout);
  server.run();
}
