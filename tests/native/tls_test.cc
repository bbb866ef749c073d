// wss:// over OpenSSL with certificates made at test time: verification succeeds and fails for
// the right reasons, with a reason in get_last_error().
#include <gtest/gtest.h>

#include "tests/native/test_certs.h"
#include "tests/native/test_util.h"
#include "wspeer/core/close_code.h"
#include "wspeer/platform/native/stream_peer_tls.h"

namespace wsp {
namespace {

using test::certificate;
using test::KeyAndCert;
using test::LoopbackServer;
using test::poll_until;
using test::server_options;

struct TlsRun {
  std::unique_ptr<WebSocketPeer> client;
  std::unique_ptr<WebSocketPeer> server;
  std::shared_ptr<StreamPeerTCP> server_tcp;
};

// Connects `url_host` to a TLS server presenting `leaf`; polls until the client settles.
TlsRun run(LoopbackServer& listener, const KeyAndCert& leaf, const std::string& url_host,
           std::shared_ptr<const TLSOptions> client_options) {
  TlsRun result;
  result.client = WebSocketPeer::create();
  const std::string url = "wss://" + url_host + ":" + std::to_string(listener.port()) + "/secure";
  EXPECT_EQ(result.client->connect_to_url(url, client_options), OK);
  result.server_tcp = listener.take(result.client.get());
  EXPECT_TRUE(result.server_tcp);
  auto tls = std::make_shared<StreamPeerTLS>();
  EXPECT_EQ(tls->accept_stream(result.server_tcp, server_options(leaf)), OK);
  result.server = WebSocketPeer::create();
  EXPECT_EQ(result.server->accept_stream(tls), OK);
  poll_until({result.client.get(), result.server.get()}, [&] {
    return result.client->get_ready_state() != WebSocketPeer::STATE_CONNECTING &&
           result.server->get_ready_state() != WebSocketPeer::STATE_CONNECTING;
  });
  return result;
}

class Tls : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ca_ = new KeyAndCert(test::make_ca("wspeer test CA"));
    good_ = new KeyAndCert(test::make_leaf(*ca_, "localhost", {"DNS:localhost", "IP:127.0.0.1"}));
  }
  static void TearDownTestSuite() {
    delete ca_;
    delete good_;
  }
  static KeyAndCert* ca_;
  static KeyAndCert* good_;
  LoopbackServer listener_;
};
KeyAndCert* Tls::ca_ = nullptr;
KeyAndCert* Tls::good_ = nullptr;

TEST_F(Tls, TrustedChainConnectsAndExchangesMessages) {
  auto run_result =
      run(listener_, *good_, "localhost", TLSOptions::client(certificate(ca_->cert_pem)));
  auto& client = *run_result.client;
  auto& server = *run_result.server;
  ASSERT_EQ(client.get_ready_state(), WebSocketPeer::STATE_OPEN) << client.get_last_error();
  ASSERT_EQ(server.get_ready_state(), WebSocketPeer::STATE_OPEN) << server.get_last_error();
  EXPECT_EQ(server.get_requested_url().rfind("wss://", 0), 0u);
  client.set_outbound_buffer_size(0);
  server.set_outbound_buffer_size(0);
  std::string big(1 << 20, 'z');
  ASSERT_EQ(client.send_text("over tls"), OK);
  ASSERT_EQ(client.send(
                std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(big.data()), big.size())),
            OK);
  // The server kept the default 64 KiB inbound limit (captured at accept): 1 MiB is refused.
  ASSERT_TRUE(poll_until({&client, &server}, [&] {
    return server.get_ready_state() == WebSocketPeer::STATE_CLOSED &&
           client.get_ready_state() == WebSocketPeer::STATE_CLOSED;
  }));
  EXPECT_EQ(server.get_close_code(), 1009);
  EXPECT_EQ(test::drain_text(server), std::vector<std::string>{"over tls"});
}

TEST_F(Tls, LargeMessagesAndACleanClose) {
  TlsRun r;
  r.client = WebSocketPeer::create();
  r.client->set_inbound_buffer_size(4 << 20);
  r.client->set_outbound_buffer_size(0);
  ASSERT_EQ(r.client->connect_to_url("wss://127.0.0.1:" + std::to_string(listener_.port()) + "/",
                                     TLSOptions::client(certificate(ca_->cert_pem))),
            OK);
  auto tcp = listener_.take(r.client.get());
  auto tls = std::make_shared<StreamPeerTLS>();
  ASSERT_EQ(tls->accept_stream(tcp, server_options(*good_)), OK);
  r.server = WebSocketPeer::create();
  r.server->set_inbound_buffer_size(4 << 20);
  r.server->set_outbound_buffer_size(0);
  ASSERT_EQ(r.server->accept_stream(tls), OK);
  ASSERT_TRUE(poll_until({r.client.get(), r.server.get()}, [&] {
    return r.client->get_ready_state() == WebSocketPeer::STATE_OPEN &&
           r.server->get_ready_state() == WebSocketPeer::STATE_OPEN;
  })) << r.client->get_last_error();
  std::string big(3 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i % 251);
  ASSERT_EQ(r.client->send(
                std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(big.data()), big.size())),
            OK);
  ASSERT_TRUE(poll_until(
      {r.client.get(), r.server.get()}, [&] { return r.server->get_available_packet_count() == 1; },
      20));
  auto got = r.server->get_packet();
  ASSERT_EQ(got.size(), big.size());
  EXPECT_TRUE(std::equal(got.begin(), got.end(), big.begin(),
                         [](uint8_t a, char b) { return a == static_cast<uint8_t>(b); }));
  ASSERT_EQ(r.server->send(std::span<const uint8_t>(got.data(), got.size())), OK);
  ASSERT_TRUE(poll_until(
      {r.client.get(), r.server.get()}, [&] { return r.client->get_available_packet_count() == 1; },
      20));
  ASSERT_EQ(r.client->close(1000, "tls bye"), OK);
  ASSERT_TRUE(poll_until({r.client.get(), r.server.get()}, [&] {
    return r.client->get_ready_state() == WebSocketPeer::STATE_CLOSED &&
           r.server->get_ready_state() == WebSocketPeer::STATE_CLOSED;
  }));
  EXPECT_EQ(r.client->get_close_code(), 1000);
  EXPECT_EQ(r.server->get_close_reason(), "tls bye");
}

TEST_F(Tls, UnknownCertificateAuthorityIsRefused) {
  auto r = run(listener_, *good_, "localhost", nullptr);  // system CA store
  EXPECT_EQ(r.client->get_ready_state(), WebSocketPeer::STATE_CLOSED);
  EXPECT_EQ(r.client->get_close_code(), -1);
  EXPECT_NE(r.client->get_last_error().find("unknown issuer"), std::string::npos)
      << r.client->get_last_error();
}

TEST_F(Tls, HostnameMismatchIsRefusedUnlessOverriddenOrUnsafe) {
  const KeyAndCert other = test::make_leaf(*ca_, "other.example", {"DNS:other.example"});
  auto mismatch =
      run(listener_, other, "localhost", TLSOptions::client(certificate(ca_->cert_pem)));
  EXPECT_EQ(mismatch.client->get_ready_state(), WebSocketPeer::STATE_CLOSED);
  EXPECT_NE(mismatch.client->get_last_error().find("hostname mismatch"), std::string::npos)
      << mismatch.client->get_last_error();

  auto ip_mismatch =
      run(listener_, other, "127.0.0.1", TLSOptions::client(certificate(ca_->cert_pem)));
  EXPECT_NE(ip_mismatch.client->get_last_error().find("hostname mismatch"), std::string::npos)
      << ip_mismatch.client->get_last_error();

  auto overridden = run(listener_, other, "localhost",
                        TLSOptions::client(certificate(ca_->cert_pem), "other.example"));
  EXPECT_EQ(overridden.client->get_ready_state(), WebSocketPeer::STATE_OPEN)
      << overridden.client->get_last_error();

  auto unsafe_with_chain =
      run(listener_, other, "localhost", TLSOptions::client_unsafe(certificate(ca_->cert_pem)));
  EXPECT_EQ(unsafe_with_chain.client->get_ready_state(), WebSocketPeer::STATE_OPEN)
      << unsafe_with_chain.client->get_last_error();
}

TEST_F(Tls, ClientUnsafeWithoutChainAcceptsAnyCertificate) {
  auto r = run(listener_, *good_, "localhost", TLSOptions::client_unsafe());
  EXPECT_EQ(r.client->get_ready_state(), WebSocketPeer::STATE_OPEN) << r.client->get_last_error();

  const KeyAndCert stranger_ca = test::make_ca("someone else");
  auto chain_still_checked = run(listener_, *good_, "localhost",
                                 TLSOptions::client_unsafe(certificate(stranger_ca.cert_pem)));
  EXPECT_EQ(chain_still_checked.client->get_ready_state(), WebSocketPeer::STATE_CLOSED)
      << "client_unsafe with a chain still verifies the chain";
}

TEST_F(Tls, ExpiredCertificateIsRefusedWithAReason) {
  const KeyAndCert expired = test::make_leaf(*ca_, "localhost", {"DNS:localhost"}, -10, -2);
  auto r = run(listener_, expired, "localhost", TLSOptions::client(certificate(ca_->cert_pem)));
  EXPECT_EQ(r.client->get_ready_state(), WebSocketPeer::STATE_CLOSED);
  EXPECT_NE(r.client->get_last_error().find("expired"), std::string::npos)
      << r.client->get_last_error();
}

TEST_F(Tls, TruncatedTlsStreamIsAnUncleanClose) {
  auto r = run(listener_, *good_, "localhost", TLSOptions::client(certificate(ca_->cert_pem)));
  ASSERT_EQ(r.client->get_ready_state(), WebSocketPeer::STATE_OPEN);
  ASSERT_EQ(r.server->send_text("before the cut"), OK);
  r.server_tcp->disconnect();  // TCP closes under TLS: no close_notify, no close frame
  ASSERT_TRUE(poll_until({r.client.get()}, [&] {
    return r.client->get_ready_state() == WebSocketPeer::STATE_CLOSED;
  }));
  EXPECT_EQ(r.client->get_close_code(), -1);
  EXPECT_NE(r.client->get_last_error().find("truncated"), std::string::npos)
      << r.client->get_last_error();
  EXPECT_EQ(test::drain_text(*r.client), std::vector<std::string>{"before the cut"});
}

TEST_F(Tls, MismatchedServerKeyIsReportedAtAccept) {
  const KeyAndCert other = test::make_leaf(*ca_, "localhost", {"DNS:localhost"});
  auto key = std::make_shared<CryptoKey>();
  ASSERT_EQ(key->load_from_string(other.key_pem), OK);
  auto options = TLSOptions::server(key, certificate(good_->cert_pem));
  auto client = WebSocketPeer::create();
  ASSERT_EQ(client->connect_to_url("wss://localhost:" + std::to_string(listener_.port()) + "/"),
            OK);
  auto tcp = listener_.take(client.get());
  StreamPeerTLS tls;
  EXPECT_EQ(tls.accept_stream(tcp, options), ERR_INVALID_PARAMETER);
  EXPECT_NE(tls.get_last_error().find("does not match"), std::string::npos) << tls.get_last_error();
}

TEST(TlsOptionsTest, FactoriesAndPemLoading) {
  auto client = TLSOptions::client(nullptr, "name");
  EXPECT_FALSE(client->is_server());
  EXPECT_FALSE(client->is_unsafe_client());
  EXPECT_EQ(client->get_common_name_override(), "name");
  EXPECT_TRUE(TLSOptions::client_unsafe()->is_unsafe_client());
  X509Certificate cert;
  EXPECT_EQ(cert.load_from_string("not a pem"), ERR_INVALID_DATA);
  EXPECT_EQ(cert.load("/nonexistent/file.pem"), ERR_FILE_CANT_OPEN);
  CryptoKey key;
  EXPECT_EQ(key.load_from_string("-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n"),
            ERR_INVALID_DATA);
}

}  // namespace
}  // namespace wsp
