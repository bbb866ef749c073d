// StreamPeerTLS on in-memory streams: how records are formed, what waits when the transport is
// full, what read-ahead leaves pending, and how the transport's end and failure are reported.
// The test moves the ciphertext between the two ends itself, so it sees every record.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "tests/native/memory_stream.h"
#include "tests/native/test_certs.h"
#include "wspeer/platform/native/stream_peer_tls.h"

namespace wsp {
namespace {

using test::KeyAndCert;
using test::MemoryStream;

constexpr uint8_t kApplicationData = 23;

// TLS records (5-byte header: type, version, length) of one type in `bytes`.
int count_records(const std::string& bytes, uint8_t type) {
  int count = 0;
  for (size_t at = 0; at + 5 <= bytes.size();) {
    const size_t length =
        (static_cast<uint8_t>(bytes[at + 3]) << 8) | static_cast<uint8_t>(bytes[at + 4]);
    if (static_cast<uint8_t>(bytes[at]) == type) ++count;
    at += 5 + length;
  }
  return count;
}

class TlsStream : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ca_ = new KeyAndCert(test::make_ca("wspeer stream CA"));
    leaf_ = new KeyAndCert(test::make_leaf(*ca_, "localhost", {"DNS:localhost"}));
  }
  static void TearDownTestSuite() {
    delete ca_;
    delete leaf_;
  }

  void SetUp() override {
    auto ca = std::make_shared<X509Certificate>();
    ASSERT_EQ(ca->load_from_string(ca_->cert_pem), OK);
    auto key = std::make_shared<CryptoKey>();
    ASSERT_EQ(key->load_from_string(leaf_->key_pem), OK);
    auto cert = std::make_shared<X509Certificate>();
    ASSERT_EQ(cert->load_from_string(leaf_->cert_pem), OK);
    ASSERT_EQ(client_.connect_to_stream(client_wire_, "localhost", TLSOptions::client(ca)), OK);
    ASSERT_EQ(server_.accept_stream(server_wire_, TLSOptions::server(key, cert)), OK);
    for (int round = 0; round < 20 && !(connected(client_) && connected(server_)); ++round) {
      carry();
    }
    ASSERT_TRUE(connected(client_)) << client_.get_last_error();
    ASSERT_TRUE(connected(server_)) << server_.get_last_error();
    carry();  // the server's session tickets
    std::string drained = read_all(client_);
    ASSERT_TRUE(drained.empty());
  }

  static bool connected(const StreamPeerTLS& tls) {
    return tls.get_status() == StreamPeer::STATUS_CONNECTED;
  }

  // Delivers what each side wrote since the last call to the other side, then polls both.
  void carry() {
    server_wire_->deliver(client_wire_->written().substr(client_sent_));
    client_sent_ = client_wire_->written().size();
    client_wire_->deliver(server_wire_->written().substr(server_sent_));
    server_sent_ = server_wire_->written().size();
    client_.poll();
    server_.poll();
  }

  // The server's ciphertext since `from` (an offset into everything it wrote).
  std::string server_wrote_since(size_t from) const { return server_wire_->written().substr(from); }

  static std::string read_all(StreamPeerTLS& tls) {
    std::string text;
    uint8_t buffer[64 * 1024];
    for (;;) {
      int received = 0;
      if (tls.get_partial_data(buffer, sizeof(buffer), &received) != OK || received == 0) break;
      text.append(reinterpret_cast<const char*>(buffer), static_cast<size_t>(received));
    }
    return text;
  }

  static KeyAndCert* ca_;
  static KeyAndCert* leaf_;
  std::shared_ptr<MemoryStream> client_wire_ = std::make_shared<MemoryStream>();
  std::shared_ptr<MemoryStream> server_wire_ = std::make_shared<MemoryStream>();
  StreamPeerTLS client_;
  StreamPeerTLS server_;
  size_t client_sent_ = 0;
  size_t server_sent_ = 0;
};
KeyAndCert* TlsStream::ca_ = nullptr;
KeyAndCert* TlsStream::leaf_ = nullptr;

TEST_F(TlsStream, AFrameHeaderSharesARecordWithItsPayload) {
  const std::string header = "\x82\x7e\x4e\x24";  // a 20,004-byte binary frame's header
  const std::string payload(20000, 'p');
  const ConstBuffer parts[2] = {{reinterpret_cast<const uint8_t*>(header.data()), header.size()},
                                {reinterpret_cast<const uint8_t*>(payload.data()), payload.size()}};
  const size_t before = server_wire_->written().size();
  size_t sent = 0;
  ASSERT_EQ(server_.put_partial_data_v(parts, 2, &sent), OK);
  EXPECT_EQ(sent, header.size() + payload.size());
  // 20,004 bytes fill two records (16 KiB + the rest); a header alone would make three.
  EXPECT_EQ(count_records(server_wrote_since(before), kApplicationData), 2);
  carry();
  EXPECT_EQ(read_all(client_), header + payload);
}

TEST_F(TlsStream, AFullTransportHoldsCiphertextAndPushesBack) {
  server_wire_->set_write_chunk(0);  // the socket takes nothing
  int sent = 0;
  ASSERT_EQ(server_.put_partial_data(reinterpret_cast<const uint8_t*>("first"), 5, &sent), OK);
  EXPECT_EQ(sent, 5);  // encrypted and held
  EXPECT_TRUE(server_.has_pending_output());
  ASSERT_EQ(server_.put_partial_data(reinterpret_cast<const uint8_t*>("second"), 6, &sent), OK);
  EXPECT_EQ(sent, 0);                // back-pressure until the held ciphertext leaves
  server_wire_->set_write_chunk(3);  // then the socket takes a few bytes per write
  server_.poll();
  EXPECT_FALSE(server_.has_pending_output());
  ASSERT_EQ(server_.put_partial_data(reinterpret_cast<const uint8_t*>("second"), 6, &sent), OK);
  EXPECT_EQ(sent, 6);
  carry();
  EXPECT_EQ(read_all(client_), "firstsecond");
}

TEST_F(TlsStream, RecordsReadAheadCountAsPendingInput) {
  int sent = 0;
  for (const char* word : {"one", "two", "six"}) {
    ASSERT_EQ(server_.put_partial_data(reinterpret_cast<const uint8_t*>(word), 3, &sent), OK);
  }
  carry();  // three small records arrive in one read
  uint8_t buffer[16];
  int received = 0;
  ASSERT_EQ(client_.get_partial_data(buffer, sizeof(buffer), &received), OK);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buffer), received), "one");
  // The other two records were read from the transport with the first: a reader that stopped
  // now would wait for a wake-up that never comes.
  EXPECT_TRUE(client_.has_pending_input());
  EXPECT_EQ(read_all(client_), "twosix");
  EXPECT_FALSE(client_.has_pending_input());
}

TEST_F(TlsStream, CloseNotifyIsAnOrderlyEnd) {
  server_.shutdown_write();
  carry();
  uint8_t buffer[16];
  int received = 0;
  EXPECT_EQ(client_.get_partial_data(buffer, sizeof(buffer), &received), ERR_FILE_EOF);
}

TEST_F(TlsStream, AnEndWithoutCloseNotifyIsATruncation) {
  client_wire_->end_of_stream();
  uint8_t buffer[16];
  int received = 0;
  EXPECT_EQ(client_.get_partial_data(buffer, sizeof(buffer), &received), ERR_CONNECTION_ERROR);
  EXPECT_NE(client_.get_last_error().find("truncated"), std::string::npos)
      << client_.get_last_error();
}

TEST_F(TlsStream, ATransportFailureFailsTheWrite) {
  server_wire_->fail_next_write();
  int sent = 0;
  EXPECT_EQ(server_.put_partial_data(reinterpret_cast<const uint8_t*>("lost"), 4, &sent),
            ERR_CONNECTION_ERROR);
  EXPECT_EQ(server_.get_status(), StreamPeer::STATUS_ERROR);
  EXPECT_FALSE(server_.get_last_error().empty());
}

}  // namespace
}  // namespace wsp
