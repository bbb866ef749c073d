// StreamPeerTLS: TLS over any StreamPeer (usually a StreamPeerTCP), client or server. OpenSSL 3
// reads and writes through a BIO of ours that calls the base stream, so records go between the
// socket and OpenSSL's own buffers uncopied; it never blocks and never touches a socket itself.
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
  /// Gathers the first parts (a frame header and the start of its payload) into one record, so
  /// a header never travels in a record of its own; the rest goes from the caller's buffers.
  Error put_partial_data_v(const ConstBuffer* parts, int count, size_t* sent) override;
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
  bool take_undelivered_arrival() override;
  std::string get_last_error() const override { return last_error_; }

 private:
  Error start(std::shared_ptr<StreamPeer> base, const std::shared_ptr<const TLSOptions>& options);
  friend struct StreamBio;
  /// The BIO's halves: ciphertext straight to and from the base stream.
  bool transport_read(uint8_t* buffer, size_t size, size_t* received);
  bool transport_write(const uint8_t* data, size_t size);
  /// Sends ciphertext the base stream could not take before; false if the stream failed.
  bool flush_output();
  /// After an OpenSSL call failed: the transport's own error, if it caused it.
  bool transport_failed();
  void step_handshake();
  void fail(std::string message, TLSStatus status = STATUS_ERROR);
  void free_ssl();

  std::shared_ptr<StreamPeer> base_;
  SSL* ssl_ = nullptr;
  ByteBuffer unsent_;  ///< ciphertext the base stream has not taken yet (copied only then)
  TLSStatus status_ = STATUS_DISCONNECTED;
  bool base_eof_ = false;
  bool base_failed_ = false;  ///< the base stream reported an error under OpenSSL
  /// The last read from the base stream filled its buffer, so the base may hold more: a short
  /// read of plaintext (one record) does not mean the transport is drained.
  bool base_may_have_more_ = false;
  /// Ciphertext arrived since plaintext was last returned or take_undelivered_arrival() asked.
  bool ciphertext_arrived_ = false;
  std::string verify_name_;
  std::string last_error_;
};

}  // namespace wsp
