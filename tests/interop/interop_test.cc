// wspeer against real, independent implementations: Python `websockets` and Node `ws`, as servers
// (wspeer is the client) and as clients (wspeer is the server), over ws:// and wss://.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "tests/native/child_process.h"
#include "tests/native/test_certs.h"
#include "tests/native/test_util.h"
#include "wspeer/core/close_code.h"
#include "wspeer/platform/native/stream_peer_tls.h"

namespace wsp {
namespace {

using test::ChildProcess;
using test::poll_until;

enum class Peer { kPython, kNode };
struct Variant {
  Peer peer;
  bool tls;
};

std::string name_of(const Variant& v);
void PrintTo(const Variant& v, std::ostream* os) { *os << name_of(v); }

std::string name_of(const Variant& v) {
  return std::string(v.peer == Peer::kPython ? "Python" : "Node") + (v.tls ? "Wss" : "Ws");
}

std::string temp_dir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir ? dir : "/tmp";
}

std::string write_file(const std::string& name, const std::string& content) {
  const std::string path = temp_dir() + "/" + name;
  std::ofstream(path) << content;
  return path;
}

struct Certs {
  test::KeyAndCert ca = test::make_ca("interop CA");
  test::KeyAndCert leaf = test::make_leaf(ca, "localhost", {"DNS:localhost", "IP:127.0.0.1"});
  std::string ca_path = write_file("ca.pem", ca.cert_pem);
  std::string cert_path = write_file("cert.pem", leaf.cert_pem);
  std::string key_path = write_file("key.pem", leaf.key_pem);
};

const Certs& certs() {
  static const Certs* certs = new Certs();
  return *certs;
}

std::vector<std::string> peer_command(const Variant& v, const std::vector<std::string>& args) {
  std::vector<std::string> command;
  if (v.peer == Peer::kPython) {
    command = {"/usr/bin/python3", test::runfile("tests/interop/python_peer.py")};
  } else {
    command = {"/usr/bin/node", test::runfile("tests/interop/node_peer.js")};
  }
  command.insert(command.end(), args.begin(), args.end());
  return command;
}

std::vector<std::string> node_env() {
  const char* modules = std::getenv("WSPEER_NODE_MODULES");
  return {std::string("NODE_PATH=") + (modules ? modules : "tests/js/node_modules")};
}

std::span<const uint8_t> as_bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

class Interop : public ::testing::TestWithParam<Variant> {
 protected:
  // Starts the peer as a server and returns its port (0 on failure).
  int start_peer_server() {
    std::vector<std::string> args = {"server"};
    if (GetParam().tls) {
      args.insert(args.end(), {"--cert", certs().cert_path, "--key", certs().key_path});
    }
    child_ = std::make_unique<ChildProcess>(peer_command(GetParam(), args), node_env());
    const std::string line = child_->read_line(15);
    if (line.rfind("port ", 0) != 0) return 0;
    return std::atoi(line.c_str() + 5);
  }

  std::unique_ptr<WebSocketPeer> connect(int port) {
    auto client = WebSocketPeer::create();
    client->set_inbound_buffer_size(4 << 20);
    client->set_outbound_buffer_size(0);
    client->set_supported_protocols({"x-unknown", "chat"});
    client->set_heartbeat_interval(0.1);  // the peer's automatic pongs keep us alive
    const std::string scheme = GetParam().tls ? "wss://localhost:" : "ws://127.0.0.1:";
    std::shared_ptr<const TLSOptions> options;
    if (GetParam().tls) {
      auto ca = std::make_shared<X509Certificate>();
      EXPECT_EQ(ca->load(certs().ca_path), OK);
      options = TLSOptions::client(ca);
    }
    EXPECT_EQ(client->connect_to_url(scheme + std::to_string(port) + "/interop", options), OK);
    EXPECT_TRUE(poll_until(
        {client.get()},
        [&] { return client->get_ready_state() != WebSocketPeer::STATE_CONNECTING; }, 10))
        << client->get_last_error();
    return client;
  }

  // Sends and waits for one message back.
  std::string roundtrip(WebSocketPeer& client, const std::string& message, bool text,
                        bool* reply_is_text = nullptr) {
    EXPECT_EQ(client.send(as_bytes(message),
                          text ? WebSocketPeer::WRITE_MODE_TEXT : WebSocketPeer::WRITE_MODE_BINARY),
              OK);
    if (!poll_until(
            {&client}, [&] { return client.get_available_packet_count() > 0; }, 10)) {
      return "<nothing>";
    }
    auto reply = client.get_packet();
    if (reply_is_text) *reply_is_text = client.was_string_packet();
    return std::string(reply.begin(), reply.end());
  }

  std::unique_ptr<ChildProcess> child_;
};

TEST_P(Interop, WspeerClientAgainstPeerServer) {
  const int port = start_peer_server();
  ASSERT_GT(port, 0) << "peer server did not start";
  auto client = connect(port);
  ASSERT_EQ(client->get_ready_state(), WebSocketPeer::STATE_OPEN) << client->get_last_error();
  EXPECT_EQ(client->get_selected_protocol(), "chat");

  bool is_text = false;
  EXPECT_EQ(roundtrip(*client, "hello \xe2\x82\xac", true, &is_text), "hello \xe2\x82\xac");
  EXPECT_TRUE(is_text);
  std::string binary;
  for (int i = 0; i < 256; ++i) binary += static_cast<char>(i);
  EXPECT_EQ(roundtrip(*client, binary, false, &is_text), binary);
  EXPECT_FALSE(is_text);
  EXPECT_EQ(roundtrip(*client, "", false), "");
  EXPECT_EQ(roundtrip(*client, "cmd:fragment", true), "Hello, w\xc3\xb6rld")
      << "a fragmented message from the peer is reassembled";
  std::string big(1 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i % 253);
  EXPECT_EQ(roundtrip(*client, big, false) == big, true) << "1 MiB echo";
  EXPECT_EQ(roundtrip(*client, "cmd:ping", true), "pong-received") << "we answer the peer's ping";
  EXPECT_EQ(roundtrip(*client, "cmd:protocol", true), "chat");
  poll_until(
      {client.get()}, [] { return false; }, 0.35);  // heartbeats go out and are answered
  ASSERT_EQ(client->get_ready_state(), WebSocketPeer::STATE_OPEN) << client->get_last_error();

  ASSERT_EQ(client->close(4002, "wspeer bye"), OK);
  ASSERT_TRUE(poll_until(
      {client.get()}, [&] { return client->get_ready_state() == WebSocketPeer::STATE_CLOSED; },
      10));
  EXPECT_EQ(client->get_close_code(), 4002);
  EXPECT_EQ(child_->read_line(10), "closed 4002 wspeer bye");
}

TEST_P(Interop, PeerServerClosesWithCodeAndReason) {
  const int port = start_peer_server();
  ASSERT_GT(port, 0);
  auto client = connect(port);
  ASSERT_EQ(client->get_ready_state(), WebSocketPeer::STATE_OPEN) << client->get_last_error();
  ASSERT_EQ(client->send_text("before close"), OK);
  ASSERT_EQ(client->send_text("cmd:close:4001:bye from peer"), OK);
  ASSERT_TRUE(poll_until(
      {client.get()}, [&] { return client->get_ready_state() == WebSocketPeer::STATE_CLOSED; },
      10));
  EXPECT_EQ(client->get_close_code(), 4001);
  EXPECT_EQ(client->get_close_reason(), "bye from peer");
  EXPECT_EQ(test::drain_text(*client), std::vector<std::string>{"before close"});
  // We answer with the code (§5.5.1); the peer reports what it received in our reply.
  EXPECT_EQ(child_->read_line(10).rfind("closed 4001", 0), 0u);
}

TEST_P(Interop, PeerClientAgainstWspeerServer) {
  test::LoopbackServer listener;
  const std::string url = std::string(GetParam().tls ? "wss://localhost:" : "ws://127.0.0.1:") +
                          std::to_string(listener.port()) + "/echo";
  std::vector<std::string> args = {"client", url};
  if (GetParam().tls) args.insert(args.end(), {"--ca", certs().ca_path});
  ChildProcess child(peer_command(GetParam(), args), node_env());
  auto tcp = listener.take(nullptr, 15);
  ASSERT_TRUE(tcp) << "the peer client did not connect";
  std::shared_ptr<StreamPeer> stream = tcp;
  if (GetParam().tls) {
    auto key = std::make_shared<CryptoKey>();
    auto cert = std::make_shared<X509Certificate>();
    ASSERT_EQ(key->load(certs().key_path), OK);
    ASSERT_EQ(cert->load(certs().cert_path), OK);
    auto tls = std::make_shared<StreamPeerTLS>();
    ASSERT_EQ(tls->accept_stream(tcp, TLSOptions::server(key, cert)), OK);
    stream = tls;
  }
  auto server = WebSocketPeer::create();
  server->set_supported_protocols({"chat"});
  server->set_inbound_buffer_size(4 << 20);
  server->set_outbound_buffer_size(0);
  ASSERT_EQ(server->accept_stream(stream), OK);
  const bool finished = poll_until(
      {server.get()},
      [&] {
        while (server->get_available_packet_count() > 0) {
          auto packet = server->get_packet();
          server->send(std::span<const uint8_t>(packet.data(), packet.size()),
                       server->was_string_packet() ? WebSocketPeer::WRITE_MODE_TEXT
                                                   : WebSocketPeer::WRITE_MODE_BINARY);
        }
        return server->get_ready_state() == WebSocketPeer::STATE_CLOSED;
      },
      20);
  ASSERT_TRUE(finished) << server->get_last_error();
  EXPECT_EQ(server->get_selected_protocol(), "chat");
  EXPECT_EQ(server->get_close_code(), 4003);
  EXPECT_EQ(server->get_close_reason(), "client bye");
  EXPECT_EQ(child.read_line(10), "client ok") << child.stdout_so_far();
  EXPECT_EQ(child.wait(10), 0);
}

INSTANTIATE_TEST_SUITE_P(Peers, Interop,
                         ::testing::Values(Variant{Peer::kPython, false},
                                           Variant{Peer::kPython, true},
                                           Variant{Peer::kNode, false}, Variant{Peer::kNode, true}),
                         [](const ::testing::TestParamInfo<Variant>& info) {
                           return name_of(info.param);
                         });

}  // namespace
}  // namespace wsp
