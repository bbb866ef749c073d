// StreamPeerTLS: TLS over any StreamPeer (usually a StreamPeerTCP), client or server, with
// OpenSSL 3 working on memory buffers so that it never blocks and never touches a socket itself.
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "wspeer/core/byte_buffer.h"
#include "wspeer/core/stream_peer.h"
#include "wspeer/core/tls_options.h"

namespace wsp {

class StreamPeerTLS : public StreamPeer {
 public:
  enum TLSStatus {
    STATUS_DISCONNECTED = 0,
    STATUS_HANDSHAKING = 1,
    STATUS_CONNECTED = 2,
    STATUS_ERROR = 3,
    STATUS_ERROR_HOSTNAME_MISMATCH = 4,
  };

  StreamPeerTLS() = default;
  ~StreamPeerTLS() override;
  StreamPeerTLS(const StreamPeerTLS&) = delete;
  StreamPeerTLS& operator=(const StreamPeerTLS&) = delete;

  /// Connects to a TLS server over `base` (which may still be connecting). `common_name` is used
  /// for SNI and, unless the options are unsafe, for hostname verification (an IP literal is
  /// checked against the certificate's IP addresses); options->get_common_name_override() wins.
  /// nullptr options mean TLSOptions::client(): the system CA store with full verification.
  Error connect_to_stream(std::shared_ptr<StreamPeer> base, const std::string& common_name,
                          std::shared_ptr<const TLSOptions> options = nullptr);
  /// Accepts a TLS client over `base` with server options.
  Error accept_stream(std::shared_ptr<StreamPeer> base, std::shared_ptr<const TLSOptions> options);

  Error put_partial_data(const uint8_t* data, int size, int* sent) override;
  Error get_partial_data(uint8_t* buffer, int size, int* received) override;
  /// Drives the handshake and flushes encrypted output.
  void poll() override;
  Status get_status() const override;
  TLSStatus get_tls_status() const { return status_; }
  void disconnect() override;
  /// Sends close_notify, then ends the TCP write side.
  void shutdown_write() override;

  std::shared_ptr<StreamPeer> get_stream() const { return base_; }
  std::string get_connected_host() const override;
  int get_connected_port() const override;
  void set_no_delay(bool enabled) override;
  int get_native_handle() const override;
  bool has_pending_output() const override;
  bool has_pending_input() const override;
  Hangup check_hangup() const override;
  std::string get_last_error() const override { return last_error_; }

 private:
  Error start(std::shared_ptr<StreamPeer> base, const std::shared_ptr<const TLSOptions>& options);
  /// Moves ciphertext between OpenSSL's memory buffers and the base stream.
  bool flush_output();
  bool read_input();
  void step_handshake();
  void fail(std::string message, TLSStatus status = STATUS_ERROR);
  void free_ssl();

  std::shared_ptr<StreamPeer> base_;
  SSL* ssl_ = nullptr;
  BIO* network_in_ = nullptr;   ///< ciphertext from the peer, owned by ssl_
  BIO* network_out_ = nullptr;  ///< ciphertext to the peer, owned by ssl_
  ByteBuffer unsent_;           ///< ciphertext the base stream has not taken yet
  TLSStatus status_ = STATUS_DISCONNECTED;
  bool base_eof_ = false;
  /// The last read from the base stream filled its buffer, so the base may hold more: a short
  /// read of plaintext (one record) does not mean the transport is drained.
  bool base_may_have_more_ = false;
  std::string verify_name_;
  std::string last_error_;
};

}  // namespace wsp
