#include "wspeer/platform/native/stream_peer_tls.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstring>

#include "wspeer/platform/native/net.h"
#include "wspeer/platform/native/tls_context.h"

namespace wsp {
namespace {

constexpr size_t kMaxRecordPlaintext = 16 * 1024;  // TLS's largest record
constexpr int kMaxWritePerCall = 256 * 1024;  // bounds ciphertext buffered per put_partial_data

bool is_ip_literal(const std::string& host) { return SocketAddress::from_ip(host, 0).has_value(); }

std::string verify_failure_text(long result, const std::string& name) {
  std::string text = X509_verify_cert_error_string(result);
  switch (result) {
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      return "TLS certificate verification failed: the certificate does not match \"" + name +
             "\" (hostname mismatch).";
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
      return "TLS certificate verification failed: " + text +
             " (unknown issuer: the certificate's CA is not trusted).";
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return "TLS certificate verification failed: the certificate has expired.";
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return "TLS certificate verification failed: the certificate is not yet valid.";
    default:
      return "TLS certificate verification failed: " + text + ".";
  }
}

}  // namespace

// The BIO between OpenSSL and the base stream; its data is the StreamPeerTLS. Writes always
// succeed (what the stream does not take waits in unsent_), so OpenSSL never has to be called
// again with the same bytes; reads say "retry" when the stream has nothing yet.
struct StreamBio {
  static StreamPeerTLS* peer(BIO* bio) { return static_cast<StreamPeerTLS*>(BIO_get_data(bio)); }

  static int write(BIO* bio, const char* data, size_t size, size_t* written) {
    BIO_clear_retry_flags(bio);
    if (!peer(bio)->transport_write(reinterpret_cast<const uint8_t*>(data), size)) return 0;
    *written = size;
    return 1;
  }

  static int read(BIO* bio, char* buffer, size_t size, size_t* received) {
    BIO_clear_retry_flags(bio);
    if (!peer(bio)->transport_read(reinterpret_cast<uint8_t*>(buffer), size, received)) return 0;
    if (*received > 0) return 1;
    BIO_set_retry_read(bio);
    return 0;
  }

  static long control(BIO*, int command, long, void*) { return command == BIO_CTRL_FLUSH ? 1 : 0; }

  static BIO_METHOD* method() {
    static BIO_METHOD* const method = [] {
      BIO_METHOD* created =
          BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "wspeer stream");
      BIO_meth_set_write_ex(created, &StreamBio::write);
      BIO_meth_set_read_ex(created, &StreamBio::read);
      BIO_meth_set_ctrl(created, &StreamBio::control);
      return created;
    }();
    return method;
  }
};

StreamPeerTLS::~StreamPeerTLS() { free_ssl(); }

Error StreamPeerTLS::connect_to_stream(std::shared_ptr<StreamPeer> base,
                                       const std::string& common_name,
                                       std::shared_ptr<const TLSOptions> options) {
  if (!base || (options && options->is_server())) {
    last_error_ = "connect_to_stream needs a stream and client TLS options.";
    return ERR_INVALID_PARAMETER;
  }
  if (Error error = start(std::move(base), options); error != OK) return error;
  SSL_set_connect_state(ssl_);
  const std::string override_name = options ? options->get_common_name_override() : "";
  verify_name_ = override_name.empty() ? common_name : override_name;
  const bool ip = is_ip_literal(verify_name_);
  if (!ip && !verify_name_.empty()) SSL_set_tlsext_host_name(ssl_, verify_name_.c_str());
  if (!(options && options->is_unsafe_client())) {
    if (ip) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), verify_name_.c_str());
    } else {
      SSL_set1_host(ssl_, verify_name_.c_str());
    }
  }
  step_handshake();
  return OK;
}

Error StreamPeerTLS::accept_stream(std::shared_ptr<StreamPeer> base,
                                   std::shared_ptr<const TLSOptions> options) {
  if (!base || !options || !options->is_server()) {
    last_error_ = "accept_stream needs a stream and TLSOptions::server() options.";
    return ERR_INVALID_PARAMETER;
  }
  if (Error error = start(std::move(base), options); error != OK) return error;
  SSL_set_accept_state(ssl_);
  step_handshake();
  return OK;
}

Error StreamPeerTLS::start(std::shared_ptr<StreamPeer> base,
                           const std::shared_ptr<const TLSOptions>& options) {
  free_ssl();
  last_error_.clear();
  base_eof_ = false;
  base_failed_ = false;
  base_may_have_more_ = false;
  unsent_.clear();
  base_ = std::move(base);
  std::string error;
  native::SslContextPtr context = native::tls_context_for(options, &error);
  if (!context) {
    fail(error);
    return ERR_INVALID_PARAMETER;
  }
  ssl_ = SSL_new(context.get());  // holds its own reference to the context
  BIO* transport = BIO_new(StreamBio::method());
  if (!ssl_ || !transport) {
    if (transport) BIO_free(transport);
    fail("Cannot create a TLS session: " + native::openssl_error_text());
    return ERR_OUT_OF_MEMORY;
  }
  BIO_set_data(transport, this);
  BIO_set_init(transport, 1);
  SSL_set_bio(ssl_, transport, transport);  // one BIO both ways; ssl_ owns it
  // Read whatever the socket has into OpenSSL's record buffer in one call, not a record
  // header and then its body.
  SSL_set_read_ahead(ssl_, 1);
  status_ = STATUS_HANDSHAKING;
  return OK;
}

bool StreamPeerTLS::transport_write(const uint8_t* data, size_t size) {
  if (base_failed_) return false;
  size_t done = 0;
  while (unsent_.empty() && done < size) {
    int sent = 0;
    const int chunk = static_cast<int>(std::min<size_t>(size - done, 1 << 30));
    if (base_->put_partial_data(data + done, chunk, &sent) != OK) {
      base_failed_ = true;
      return false;
    }
    if (sent == 0) break;
    done += static_cast<size_t>(sent);
  }
  if (done < size) unsent_.append(data + done, size - done);
  return true;
}

bool StreamPeerTLS::transport_read(uint8_t* buffer, size_t size, size_t* received) {
  *received = 0;
  if (base_eof_ || base_failed_) return false;
  const int want = static_cast<int>(std::min<size_t>(size, 1 << 30));
  int got = 0;
  const Error error = base_->get_partial_data(buffer, want, &got);
  if (error == ERR_FILE_EOF) {
    base_eof_ = true;
    return false;
  }
  if (error != OK) {
    base_failed_ = true;
    return false;
  }
  base_may_have_more_ = got == want;
  if (got > 0) ciphertext_arrived_ = true;
  *received = static_cast<size_t>(got);
  return true;
}

bool StreamPeerTLS::transport_failed() {
  if (!base_failed_) return false;
  fail(base_->get_last_error().empty() ? "Connection lost during TLS." : base_->get_last_error());
  return true;
}

bool StreamPeerTLS::flush_output() {
  while (!unsent_.empty()) {
    int sent = 0;
    const int chunk = static_cast<int>(std::min<size_t>(unsent_.size(), 1 << 30));
    if (base_->put_partial_data(unsent_.data(), chunk, &sent) != OK) {
      base_failed_ = true;
      transport_failed();
      return false;
    }
    if (sent == 0) break;
    unsent_.consume(static_cast<size_t>(sent));
  }
  if (unsent_.empty()) unsent_.release_if_empty();
  return !transport_failed();
}

void StreamPeerTLS::step_handshake() {
  if (status_ != STATUS_HANDSHAKING) return;
  if (base_->get_status() == StreamPeer::STATUS_CONNECTING) {
    base_->poll();
    if (base_->get_status() == StreamPeer::STATUS_CONNECTING) return;
  }
  if (base_->get_status() != StreamPeer::STATUS_CONNECTED) {
    fail(base_->get_last_error().empty() ? "The connection failed before TLS started."
                                         : base_->get_last_error());
    return;
  }
  if (!flush_output()) return;
  ERR_clear_error();
  const int result = SSL_do_handshake(ssl_);
  if (transport_failed() || !flush_output()) return;
  if (result == 1) {
    status_ = STATUS_CONNECTED;
    return;
  }
  const int outcome = SSL_get_error(ssl_, result);
  if (outcome == SSL_ERROR_WANT_READ || outcome == SSL_ERROR_WANT_WRITE) return;  // wait for bytes
  if (base_eof_) {
    ERR_clear_error();
    fail("The peer closed the connection during the TLS handshake.");
    return;
  }
  const long verify = SSL_get_verify_result(ssl_);
  if (verify != X509_V_OK) {
    const bool mismatch =
        verify == X509_V_ERR_HOSTNAME_MISMATCH || verify == X509_V_ERR_IP_ADDRESS_MISMATCH;
    fail(verify_failure_text(verify, verify_name_),
         mismatch ? STATUS_ERROR_HOSTNAME_MISMATCH : STATUS_ERROR);
    return;
  }
  const std::string reason = native::openssl_error_text();
  // What OpenSSL says when the other side answered in plain HTTP.
  const bool plain = reason.find("wrong version number") != std::string::npos ||
                     reason.find("packet length too long") != std::string::npos ||
                     reason.find("http request") != std::string::npos;
  fail("TLS handshake failed: " + reason +
       (plain ? " (the other side does not seem to speak TLS; try ws://)." : "."));
}

void StreamPeerTLS::poll() {
  if (status_ == STATUS_HANDSHAKING) {
    step_handshake();
  } else if (status_ == STATUS_CONNECTED) {
    flush_output();
  }
}

Error StreamPeerTLS::put_partial_data(const uint8_t* data, int size, int* sent) {
  *sent = 0;
  if (status_ == STATUS_HANDSHAKING) {
    step_handshake();
    return status_ == STATUS_ERROR || status_ == STATUS_ERROR_HOSTNAME_MISMATCH
               ? ERR_CONNECTION_ERROR
               : OK;
  }
  if (status_ != STATUS_CONNECTED) return ERR_CONNECTION_ERROR;
  if (!flush_output()) return ERR_CONNECTION_ERROR;
  if (!unsent_.empty() || size <= 0) return OK;  // the socket is full: back-pressure
  ERR_clear_error();
  const int result = SSL_write(ssl_, data, std::min(size, kMaxWritePerCall));
  if (transport_failed()) return ERR_CONNECTION_ERROR;
  if (result > 0) {
    *sent = result;
    return OK;
  }
  const int reason = SSL_get_error(ssl_, result);
  if (reason == SSL_ERROR_WANT_READ || reason == SSL_ERROR_WANT_WRITE) return OK;
  fail("TLS write failed: " + native::openssl_error_text() + ".");
  return ERR_CONNECTION_ERROR;
}

Error StreamPeerTLS::put_partial_data_v(const ConstBuffer* parts, int count, size_t* sent) {
  // Only a short first part (a frame header) is worth gathering with what follows it.
  if (count < 2 || parts[0].size >= kMaxRecordPlaintext) {
    return StreamPeer::put_partial_data_v(parts, count, sent);
  }
  *sent = 0;
  uint8_t record[kMaxRecordPlaintext];
  const size_t from_second = std::min(parts[1].size, sizeof(record) - parts[0].size);
  std::memcpy(record, parts[0].data, parts[0].size);
  if (from_second > 0) std::memcpy(record + parts[0].size, parts[1].data, from_second);
  const size_t gathered = parts[0].size + from_second;
  int taken = 0;
  if (Error error = put_partial_data(record, static_cast<int>(gathered), &taken); error != OK) {
    return error;
  }
  *sent = static_cast<size_t>(taken);
  if (static_cast<size_t>(taken) < gathered) return OK;
  // The rest goes from the caller's buffers.
  const ConstBuffer rest_of_second{parts[1].data + from_second, parts[1].size - from_second};
  size_t more = 0;
  Error error = StreamPeer::put_partial_data_v(&rest_of_second, 1, &more);
  *sent += more;
  if (error != OK || more < rest_of_second.size || count == 2) return error;
  error = StreamPeer::put_partial_data_v(parts + 2, count - 2, &more);
  *sent += more;
  return error;
}

Error StreamPeerTLS::get_partial_data(uint8_t* buffer, int size, int* received) {
  *received = 0;
  if (status_ == STATUS_HANDSHAKING) {
    step_handshake();
    if (status_ == STATUS_HANDSHAKING) return OK;
  }
  if (status_ != STATUS_CONNECTED) return ERR_CONNECTION_ERROR;
  ERR_clear_error();
  // Reading can produce output (TLS 1.3 key updates, tickets); the BIO sends it at once.
  const int result = SSL_read(ssl_, buffer, size);
  if (result > 0) {
    *received = result;
    ciphertext_arrived_ = false;  // the caller sees bytes: whatever arrived is accounted for
    return OK;
  }
  if (transport_failed()) return ERR_CONNECTION_ERROR;
  const int reason = SSL_get_error(ssl_, result);
  if (reason == SSL_ERROR_ZERO_RETURN) {
    last_error_ = "The TLS peer closed the connection (close_notify).";
    return ERR_FILE_EOF;
  }
  if (reason == SSL_ERROR_WANT_READ || reason == SSL_ERROR_WANT_WRITE) return OK;  // no more yet
  if (base_eof_) {
    ERR_clear_error();
    fail("TLS connection truncated: the peer closed TCP without close_notify.");
    return ERR_CONNECTION_ERROR;
  }
  fail("TLS read failed: " + native::openssl_error_text() + ".");
  return ERR_CONNECTION_ERROR;
}

bool StreamPeerTLS::take_undelivered_arrival() {
  const bool arrived = ciphertext_arrived_;
  ciphertext_arrived_ = false;
  return arrived;
}

StreamPeer::Status StreamPeerTLS::get_status() const {
  switch (status_) {
    case STATUS_DISCONNECTED:
      return StreamPeer::STATUS_NONE;
    case STATUS_HANDSHAKING:
      return StreamPeer::STATUS_CONNECTING;
    case STATUS_CONNECTED:
      return StreamPeer::STATUS_CONNECTED;
    default:
      return StreamPeer::STATUS_ERROR;
  }
}

void StreamPeerTLS::disconnect() {
  if (ssl_ && status_ == STATUS_CONNECTED) {
    SSL_shutdown(ssl_);  // queue close_notify and send it if the socket takes it
    flush_output();
  }
  free_ssl();
  if (base_) base_->disconnect();
  if (status_ == STATUS_CONNECTED || status_ == STATUS_HANDSHAKING) status_ = STATUS_DISCONNECTED;
}

void StreamPeerTLS::shutdown_write() {
  if (ssl_ && status_ == STATUS_CONNECTED) {
    SSL_shutdown(ssl_);
    flush_output();
  }
  if (base_ && unsent_.empty()) base_->shutdown_write();
}

std::string StreamPeerTLS::get_connected_host() const {
  return base_ ? base_->get_connected_host() : std::string();
}

int StreamPeerTLS::get_connected_port() const { return base_ ? base_->get_connected_port() : 0; }

void StreamPeerTLS::set_no_delay(bool enabled) {
  if (base_) base_->set_no_delay(enabled);
}

int StreamPeerTLS::get_native_handle() const { return base_ ? base_->get_native_handle() : -1; }

bool StreamPeerTLS::has_pending_output() const { return !unsent_.empty(); }

bool StreamPeerTLS::has_pending_input() const {
  // SSL_has_pending also counts records read ahead but not yet decrypted.
  return ssl_ && (SSL_has_pending(ssl_) == 1 || base_may_have_more_);
}

StreamPeer::Hangup StreamPeerTLS::check_hangup() const {
  if (status_ == STATUS_ERROR || status_ == STATUS_ERROR_HOSTNAME_MISMATCH) return HANGUP_BROKEN;
  return base_ ? base_->check_hangup() : HANGUP_NONE;
}

void StreamPeerTLS::fail(std::string message, TLSStatus status) {
  last_error_ = std::move(message);
  status_ = status;
}

void StreamPeerTLS::free_ssl() {
  if (ssl_) SSL_free(ssl_);  // frees the BIO too
  ssl_ = nullptr;
  unsent_.clear();
  unsent_.release_if_empty();
}

}  // namespace wsp
