#include "wspeer/platform/native/stream_peer_tls.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <algorithm>

#include "wspeer/platform/native/net.h"
#include "wspeer/platform/native/tls_context.h"

namespace wsp {
namespace {

constexpr int kIoChunk = 16 * 1024;           // one TLS record
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
  network_in_ = BIO_new(BIO_s_mem());
  network_out_ = BIO_new(BIO_s_mem());
  if (!ssl_ || !network_in_ || !network_out_) {
    if (network_in_ && !ssl_) BIO_free(network_in_);
    if (network_out_ && !ssl_) BIO_free(network_out_);
    fail("Cannot create a TLS session: " + native::openssl_error_text());
    return ERR_OUT_OF_MEMORY;
  }
  BIO_set_mem_eof_return(network_in_, -1);  // empty means "retry", not end of stream
  SSL_set_bio(ssl_, network_in_, network_out_);
  status_ = STATUS_HANDSHAKING;
  return OK;
}

bool StreamPeerTLS::flush_output() {
  if (const size_t pending = BIO_ctrl_pending(network_out_); pending > 0) {
    const int n = BIO_read(network_out_, unsent_.prepare(pending), static_cast<int>(pending));
    if (n > 0) unsent_.commit(static_cast<size_t>(n));
  }
  while (!unsent_.empty()) {
    int sent = 0;
    const int chunk = static_cast<int>(std::min<size_t>(unsent_.size(), 1 << 30));
    if (base_->put_partial_data(unsent_.data(), chunk, &sent) != OK) {
      fail(base_->get_last_error().empty() ? "Connection lost during TLS."
                                           : base_->get_last_error());
      return false;
    }
    if (sent == 0) break;
    unsent_.consume(static_cast<size_t>(sent));
  }
  if (unsent_.empty()) unsent_.release_if_empty();
  return true;
}

bool StreamPeerTLS::read_input() {
  if (base_eof_) return false;
  uint8_t buffer[kIoChunk];
  int received = 0;
  const Error error = base_->get_partial_data(buffer, sizeof(buffer), &received);
  base_may_have_more_ = error == OK && received == static_cast<int>(sizeof(buffer));
  if (error == ERR_FILE_EOF) {
    base_eof_ = true;
    BIO_set_mem_eof_return(network_in_, 0);
    return false;
  }
  if (error != OK) {
    fail(base_->get_last_error().empty() ? "Connection lost during TLS." : base_->get_last_error());
    return false;
  }
  if (received > 0) BIO_write(network_in_, buffer, received);
  return received > 0;
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
  for (int round = 0; round < 8; ++round) {
    const bool got_input = read_input();
    if (status_ == STATUS_ERROR) return;
    ERR_clear_error();
    const int result = SSL_do_handshake(ssl_);
    if (!flush_output()) return;
    if (result == 1) {
      status_ = STATUS_CONNECTED;
      return;
    }
    const int reason = SSL_get_error(ssl_, result);
    if (reason == SSL_ERROR_WANT_READ || reason == SSL_ERROR_WANT_WRITE) {
      if (base_eof_) {
        fail("The peer closed the connection during the TLS handshake.");
        return;
      }
      if (!got_input) return;  // wait for more bytes from the peer
      continue;
    }
    const long verify = SSL_get_verify_result(ssl_);
    if (verify != X509_V_OK) {
      const bool mismatch =
          verify == X509_V_ERR_HOSTNAME_MISMATCH || verify == X509_V_ERR_IP_ADDRESS_MISMATCH;
      fail(verify_failure_text(verify, verify_name_),
           mismatch ? STATUS_ERROR_HOSTNAME_MISMATCH : STATUS_ERROR);
    } else {
      const std::string reason = native::openssl_error_text();
      // What OpenSSL says when the other side answered in plain HTTP.
      const bool plain = reason.find("wrong version number") != std::string::npos ||
                         reason.find("packet length too long") != std::string::npos ||
                         reason.find("http request") != std::string::npos;
      fail("TLS handshake failed: " + reason +
           (plain ? " (the other side does not seem to speak TLS; try ws://)." : "."));
    }
    return;
  }
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
  if (result > 0) {
    *sent = result;
    return flush_output() ? OK : ERR_CONNECTION_ERROR;
  }
  const int reason = SSL_get_error(ssl_, result);
  if (reason == SSL_ERROR_WANT_READ || reason == SSL_ERROR_WANT_WRITE) return OK;
  fail("TLS write failed: " + native::openssl_error_text() + ".");
  return ERR_CONNECTION_ERROR;
}

Error StreamPeerTLS::get_partial_data(uint8_t* buffer, int size, int* received) {
  *received = 0;
  if (status_ == STATUS_HANDSHAKING) {
    step_handshake();
    if (status_ == STATUS_HANDSHAKING) return OK;
  }
  if (status_ != STATUS_CONNECTED) return ERR_CONNECTION_ERROR;
  for (int attempt = 0; attempt < 2; ++attempt) {
    ERR_clear_error();
    const int result = SSL_read(ssl_, buffer, size);
    if (result > 0) {
      *received = result;
      // Reading can produce output (TLS 1.3 key updates); send it along.
      return flush_output() ? OK : ERR_CONNECTION_ERROR;
    }
    const int reason = SSL_get_error(ssl_, result);
    if (reason == SSL_ERROR_ZERO_RETURN) {
      last_error_ = "The TLS peer closed the connection (close_notify).";
      return ERR_FILE_EOF;
    }
    if (reason == SSL_ERROR_WANT_READ && !base_eof_) {
      if (read_input()) continue;
      if (status_ != STATUS_CONNECTED) return ERR_CONNECTION_ERROR;
      if (!base_eof_) return OK;  // nothing more yet
    }
    if (base_eof_) {
      fail("TLS connection truncated: the peer closed TCP without close_notify.");
      return ERR_CONNECTION_ERROR;
    }
    if (reason == SSL_ERROR_WANT_WRITE) return flush_output() ? OK : ERR_CONNECTION_ERROR;
    fail("TLS read failed: " + native::openssl_error_text() + ".");
    return ERR_CONNECTION_ERROR;
  }
  return OK;
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

bool StreamPeerTLS::has_pending_output() const {
  return !unsent_.empty() || (network_out_ && BIO_ctrl_pending(network_out_) > 0);
}

bool StreamPeerTLS::has_pending_input() const {
  return ssl_ &&
         (SSL_pending(ssl_) > 0 || BIO_ctrl_pending(network_in_) > 0 || base_may_have_more_);
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
  if (ssl_) SSL_free(ssl_);  // frees both BIOs too
  ssl_ = nullptr;
  network_in_ = network_out_ = nullptr;
  unsent_.clear();
  unsent_.release_if_empty();
}

}  // namespace wsp
