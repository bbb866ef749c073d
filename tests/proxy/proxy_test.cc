// A native client through real proxies (tinyproxy, squid, microsocks, dante) to a server on
// loopback, ws:// and wss:// (TLS verified inside the tunnel), with and without credentials,
// chosen by set_proxy() or the environment; and through hostile proxies that answer garbage,
// a body, half a reply or nothing.
#include <gtest/gtest.h>

#include <cstdlib>

#include "tests/native/test_certs.h"
#include "tests/native/test_util.h"
#include "tests/proxy/proxy_services.h"
#include "wspeer/platform/native/stream_peer_tls.h"

namespace wsp {
namespace {

using proxy_test::Service;
using test::certificate;
using test::KeyAndCert;
using test::LoopbackServer;
using test::poll_until;
using test::server_options;

class Proxy : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ca_ = new KeyAndCert(test::make_ca("wspeer proxy test CA"));
    leaf_ = new KeyAndCert(test::make_leaf(*ca_, "localhost", {"DNS:localhost", "IP:127.0.0.1"}));
  }
  static void TearDownTestSuite() {
    delete ca_;
    delete leaf_;
  }
  void SetUp() override {
    for (const char* name :
         {"ws_proxy", "WS_PROXY", "wss_proxy", "WSS_PROXY", "http_proxy", "https_proxy",
          "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"}) {
      unsetenv(name);
    }
  }
  void TearDown() override { SetUp(); }

  std::shared_ptr<const TLSOptions> client_tls() const {
    return TLSOptions::client(certificate(ca_->cert_pem));
  }

  // Connects `client` to `url` (a host and path; the port is the listener's) and answers on the
  // server's side, over TLS when the URL is wss://. Returns the server's peer (null when no
  // connection reached the listener).
  std::unique_ptr<WebSocketPeer> connect(WebSocketPeer& client, const std::string& scheme,
                                         const std::string& host,
                                         const KeyAndCert* leaf = nullptr) {
    const std::string url = scheme + "://" + host + ":" + std::to_string(listener_.port()) + "/p";
    EXPECT_EQ(client.connect_to_url(url, scheme == "wss" ? client_tls() : nullptr), OK)
        << client.get_last_error();
    std::shared_ptr<StreamPeer> stream = listener_.take(&client);
    if (!stream) return nullptr;
    if (scheme == "wss") {
      auto tls = std::make_shared<StreamPeerTLS>();
      EXPECT_EQ(tls->accept_stream(std::static_pointer_cast<StreamPeerTCP>(stream),
                                   server_options(leaf ? *leaf : *leaf_)),
                OK);
      stream = tls;
    }
    auto server = WebSocketPeer::create();
    EXPECT_EQ(server->accept_stream(stream), OK);
    poll_until({&client, server.get()}, [&] {
      return client.get_ready_state() != WebSocketPeer::STATE_CONNECTING &&
             server->get_ready_state() != WebSocketPeer::STATE_CONNECTING;
    });
    return server;
  }

  // A message each way over an open pair.
  static void expect_echo(WebSocketPeer& client, WebSocketPeer& server) {
    ASSERT_EQ(client.get_ready_state(), WebSocketPeer::STATE_OPEN) << client.get_last_error();
    ASSERT_EQ(server.get_ready_state(), WebSocketPeer::STATE_OPEN) << server.get_last_error();
    ASSERT_EQ(client.send_text("through the proxy"), OK);
    ASSERT_TRUE(
        poll_until({&client, &server}, [&] { return server.get_available_packet_count(); }));
    EXPECT_EQ(test::drain_text(server), std::vector<std::string>{"through the proxy"});
    ASSERT_EQ(server.send_text("and back"), OK);
    ASSERT_TRUE(
        poll_until({&client, &server}, [&] { return client.get_available_packet_count(); }));
    EXPECT_EQ(test::drain_text(client), std::vector<std::string>{"and back"});
  }

  // Connects through `proxy` and expects a refusal whose get_last_error() contains `expected`.
  void expect_refused(const std::string& proxy, const std::string& scheme,
                      const std::string& expected) {
    auto client = WebSocketPeer::create();
    ASSERT_EQ(client->set_proxy(proxy), OK);
    const std::string url =
        scheme + "://127.0.0.1:" + std::to_string(listener_.port()) + "/refused";
    ASSERT_EQ(client->connect_to_url(url, scheme == "wss" ? client_tls() : nullptr), OK);
    ASSERT_TRUE(poll_until(
        {client.get()}, [&] { return client->get_ready_state() == WebSocketPeer::STATE_CLOSED; },
        10));
    EXPECT_EQ(client->get_close_code(), -1);
    EXPECT_NE(client->get_last_error().find(expected), std::string::npos)
        << client->get_last_error();
  }

  static KeyAndCert* ca_;
  static KeyAndCert* leaf_;
  LoopbackServer listener_;
};
KeyAndCert* Proxy::ca_ = nullptr;
KeyAndCert* Proxy::leaf_ = nullptr;

TEST_F(Proxy, TinyproxyCarriesWsAndWssThroughConnect) {
  const Service tinyproxy = proxy_test::start_tinyproxy();
  // One peer for both: the proxy is a setting, kept from one connection to the next.
  auto client = WebSocketPeer::create();
  ASSERT_EQ(client->set_proxy(tinyproxy.url("http")), OK);
  for (const char* scheme : {"ws", "wss"}) {
    auto server = connect(*client, scheme, "localhost");
    ASSERT_TRUE(server) << scheme << ": " << client->get_last_error();
    expect_echo(*client, *server);
    // The TCP connection is the proxy's.
    EXPECT_EQ(client->get_connected_port(), tinyproxy.port);
    client->close();
    poll_until({client.get(), server.get()},
               [&] { return client->get_ready_state() == WebSocketPeer::STATE_CLOSED; });
    EXPECT_EQ(client->get_proxy(), tinyproxy.url("http"));
  }
}

TEST_F(Proxy, TinyproxyWithBasicAuthAcceptsTheRightCredentialsOnly) {
  const Service tinyproxy = proxy_test::start_tinyproxy("alice s3cret");
  auto client = WebSocketPeer::create();
  ASSERT_EQ(client->set_proxy(tinyproxy.url("http", "alice:s3cret")), OK);
  auto server = connect(*client, "wss", "localhost");
  ASSERT_TRUE(server) << client->get_last_error();
  expect_echo(*client, *server);
  // tinyproxy answers missing credentials with 407 and wrong ones with 401 (RFC 9110: 407).
  expect_refused(tinyproxy.url("http"), "ws", "HTTP 407");
  expect_refused(tinyproxy.url("http"), "ws", "asks for credentials");
  expect_refused(tinyproxy.url("http", "alice:wrong"), "ws", "HTTP 401");
  expect_refused(tinyproxy.url("http", "alice:wrong"), "wss",
                 "did not accept the user name and password");
}

TEST_F(Proxy, SquidCarriesWssWithBasicAuthAndRefusesWithout) {
  const Service squid = proxy_test::start_squid("bob", "pa:ss");
  auto client = WebSocketPeer::create();
  ASSERT_EQ(client->set_proxy(squid.url("http", "bob:pa%3Ass")), OK);
  auto server = connect(*client, "wss", "localhost");
  ASSERT_TRUE(server) << client->get_last_error();
  expect_echo(*client, *server);
  expect_refused(squid.url("http"), "wss", "HTTP 407 Proxy Authentication Required");
}

TEST_F(Proxy, MicrosocksWithAPasswordResolvesHereOrThere) {
  const Service microsocks = proxy_test::start_microsocks("carol", "hunter2");
  for (const char* scheme : {"socks5", "socks5h"}) {
    for (const char* ws : {"ws", "wss"}) {
      auto client = WebSocketPeer::create();
      ASSERT_EQ(client->set_proxy(microsocks.url(scheme, "carol:hunter2")), OK);
      auto server = connect(*client, ws, "localhost");
      ASSERT_TRUE(server) << scheme << " " << ws << ": " << client->get_last_error();
      expect_echo(*client, *server);
    }
  }
  expect_refused(microsocks.url("socks5h", "carol:wrong"), "ws",
                 "rejected the user name and password");
  expect_refused(microsocks.url("socks5h"), "ws", "may need a user name and password");
}

TEST_F(Proxy, DanteWithoutAuthenticationAndItsRefusals) {
  const Service dante = proxy_test::start_dante();
  for (const char* scheme : {"socks5", "socks5h"}) {
    auto client = WebSocketPeer::create();
    ASSERT_EQ(client->set_proxy(dante.url(scheme)), OK);
    auto server = connect(*client, "wss", "localhost");
    ASSERT_TRUE(server) << scheme << ": " << client->get_last_error();
    expect_echo(*client, *server);
  }
  // A port nothing listens on: the proxy's own answer.
  auto client = WebSocketPeer::create();
  ASSERT_EQ(client->set_proxy(dante.url("socks5")), OK);
  ASSERT_EQ(client->connect_to_url("ws://127.0.0.1:" + std::to_string(test::free_port()) + "/"),
            OK);
  ASSERT_TRUE(poll_until(
      {client.get()}, [&] { return client->get_ready_state() == WebSocketPeer::STATE_CLOSED; },
      10));
  EXPECT_NE(client->get_last_error().find("could not connect to 127.0.0.1:"), std::string::npos)
      << client->get_last_error();
}

TEST_F(Proxy, TlsInsideTheTunnelIsVerifiedAsWithout) {
  const Service tinyproxy = proxy_test::start_tinyproxy();
  const KeyAndCert other = test::make_leaf(*ca_, "other.example", {"DNS:other.example"});
  auto client = WebSocketPeer::create();
  ASSERT_EQ(client->set_proxy(tinyproxy.url("http")), OK);
  auto server = connect(*client, "wss", "localhost", &other);
  EXPECT_EQ(client->get_ready_state(), WebSocketPeer::STATE_CLOSED);
  EXPECT_NE(client->get_last_error().find("localhost"), std::string::npos)
      << client->get_last_error();
}

// openssl s_server answers only a client whose SNI names `expected` (others get a fatal
// "unrecognized name" alert), and answers a GET with a page: HTTP 200 shows TLS went through.
int handshake_status_through(const Service& proxy, const KeyAndCert& leaf,
                             const std::shared_ptr<const TLSOptions>& client_tls,
                             const std::string& expected) {
  const int port = test::free_port();
  const std::string cert = proxy_test::write_file("sni-cert.pem", leaf.cert_pem);
  const std::string key = proxy_test::write_file("sni-key.pem", leaf.key_pem);
  test::ChildProcess server({"openssl", "s_server", "-accept", "127.0.0.1:" + std::to_string(port),
                             "-cert", cert, "-key", key, "-cert2", cert, "-key2", key,
                             "-servername", expected, "-servername_fatal", "-www", "-quiet"});
  EXPECT_TRUE(test::wait_for_port(port)) << "openssl s_server did not start";
  auto client = WebSocketPeer::create();
  EXPECT_EQ(client->set_proxy(proxy.url("http")), OK);
  EXPECT_EQ(client->connect_to_url("wss://localhost:" + std::to_string(port) + "/", client_tls),
            OK);
  poll_until({client.get()},
             [&] { return client->get_ready_state() == WebSocketPeer::STATE_CLOSED; });
  return client->get_handshake_status();
}

TEST_F(Proxy, TheServerNameGoesThroughTheTunnel) {
  const Service tinyproxy = proxy_test::start_tinyproxy();
  EXPECT_EQ(handshake_status_through(tinyproxy, *leaf_, client_tls(), "localhost"), 200);
  EXPECT_EQ(handshake_status_through(tinyproxy, *leaf_, client_tls(), "other.example"), 0)
      << "a server expecting another name must refuse: the SNI sent was not the URL's host";
}

TEST_F(Proxy, TheEnvironmentIsReadLikeCurlUnlessTurnedOff) {
  const Service tinyproxy = proxy_test::start_tinyproxy();
  const Service dante = proxy_test::start_dante();
  setenv("ws_proxy", tinyproxy.url("http").c_str(), 1);
  setenv("ALL_PROXY", dante.url("socks5h").c_str(), 1);
  {
    auto client = WebSocketPeer::create();
    auto server = connect(*client, "ws", "127.0.0.1");
    ASSERT_TRUE(server) << client->get_last_error();
    expect_echo(*client, *server);
    EXPECT_EQ(client->get_connected_port(), tinyproxy.port);
  }
  {
    auto client = WebSocketPeer::create();  // wss:// skips ws_proxy and falls to ALL_PROXY
    auto server = connect(*client, "wss", "localhost");
    ASSERT_TRUE(server) << client->get_last_error();
    expect_echo(*client, *server);
    EXPECT_EQ(client->get_connected_port(), dante.port);
  }
  {
    auto client = WebSocketPeer::create();
    client->set_use_environment_proxy(false);
    auto server = connect(*client, "ws", "127.0.0.1");
    ASSERT_TRUE(server) << client->get_last_error();
    EXPECT_EQ(client->get_connected_port(), listener_.port());
  }
  setenv("no_proxy", "example.com,127.0.0.0/8", 1);
  {
    auto client = WebSocketPeer::create();
    auto server = connect(*client, "ws", "127.0.0.1");
    ASSERT_TRUE(server) << client->get_last_error();
    EXPECT_EQ(client->get_connected_port(), listener_.port());
  }
  setenv("ws_proxy", "gopher://nope", 1);
  unsetenv("no_proxy");
  auto client = WebSocketPeer::create();
  EXPECT_EQ(client->connect_to_url("ws://127.0.0.1:1/"), ERR_INVALID_PARAMETER);
  EXPECT_NE(client->get_last_error().find("ws_proxy"), std::string::npos)
      << client->get_last_error();
}

TEST_F(Proxy, AProxyThatIsNotThereIsNamed) {
  const int port = test::free_port();
  expect_refused("http://127.0.0.1:" + std::to_string(port), "ws",
                 "Cannot connect to the proxy http://127.0.0.1:" + std::to_string(port) +
                     " (from set_proxy())");
  expect_refused("socks5h://proxy.invalid:1080", "ws", "Cannot reach the proxy");
}

// A proxy played by the test over a raw socket: it reads the client's first bytes, answers
// `reply`, then closes (with RST when `reset`) or stays silent.
struct HostileProxy {
  std::string reply;
  enum class Then { kClose, kReset, kStaySilent } then = Then::kClose;
};

class HostileProxies : public Proxy {
 protected:
  std::string outcome(const std::string& scheme, const HostileProxy& hostile) {
    TCPServer proxy;
    EXPECT_EQ(proxy.listen(0, "127.0.0.1"), OK);
    auto client = WebSocketPeer::create();
    EXPECT_EQ(client->set_proxy(scheme + "://127.0.0.1:" + std::to_string(proxy.get_local_port())),
              OK);
    EXPECT_EQ(client->set_handshake_timeout(1.0), OK);
    EXPECT_EQ(client->connect_to_url("ws://127.0.0.1:" + std::to_string(listener_.port()) + "/"),
              OK);
    test::RawSocket raw = test::accept_raw(proxy, client.get());
    poll_until(
        {client.get()}, [] { return false; }, 0.1);
    raw.read_n(3, 1.0);  // CONNECT's first bytes or the SOCKS5 greeting
    raw.send_all(hostile.reply);
    if (hostile.then == HostileProxy::Then::kReset) raw.reset();
    if (hostile.then == HostileProxy::Then::kClose) raw.close();
    const auto start = std::chrono::steady_clock::now();
    EXPECT_TRUE(poll_until(
        {client.get()}, [&] { return client->get_ready_state() == WebSocketPeer::STATE_CLOSED; },
        5));
    // Bounded by the handshake timeout, never longer.
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
    EXPECT_FALSE(listener_.server().is_connection_available());
    return client->get_last_error();
  }
};

TEST_F(HostileProxies, GarbageIsNotHttp) {
  EXPECT_NE(
      outcome("http", {"\x16\x03\x01 garbage\r\n\r\n"}).find("did not answer CONNECT in HTTP"),
      std::string::npos);
}

TEST_F(HostileProxies, ABodyAfterTwoHundredIsRefused) {
  EXPECT_NE(outcome("http", {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
                             HostileProxy::Then::kStaySilent})
                .find("5 unexpected bytes after opening the tunnel"),
            std::string::npos);
}

TEST_F(HostileProxies, HalfAReplyThenCloseOrReset) {
  EXPECT_NE(outcome("http", {"HTTP/1.1 20"}).find("closed the connection before the tunnel"),
            std::string::npos);
  EXPECT_NE(outcome("http", {"HTTP/1.1 200 OK\r\n", HostileProxy::Then::kReset})
                .find("closed the connection before the tunnel"),
            std::string::npos);
  EXPECT_NE(outcome("socks5h", {std::string("\x05\x00\x05\x00", 4)})
                .find("closed the connection before the tunnel"),
            std::string::npos);
}

TEST_F(HostileProxies, ASilentProxyEndsAtTheHandshakeTimeout) {
  EXPECT_NE(
      outcome("http", {"HTTP/1.1 200 OK\r\n", HostileProxy::Then::kStaySilent}).find("timed out"),
      std::string::npos);
  EXPECT_NE(outcome("socks5h", {"", HostileProxy::Then::kStaySilent}).find("timed out"),
            std::string::npos);
}

TEST_F(HostileProxies, AnHttpServerIsNotASocksProxy) {
  EXPECT_NE(outcome("socks5h", {"HTTP/1.1 400 Bad Request\r\n\r\n"}).find("as HTTP does"),
            std::string::npos);
}

}  // namespace
}  // namespace wsp
