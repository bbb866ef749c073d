// TLS configuration for wss:// clients and TLS servers (Godot's TLSOptions, X509Certificate and
// CryptoKey). The core only holds PEM text; the native backend hands it to OpenSSL.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "wspeer/core/error.h"

namespace wsp {

/// An X509 certificate (or a chain of them in one PEM block).
class X509Certificate {
 public:
  /// Loads a certificate (or chain) from a PEM file.
  Error load(const std::string& path);
  /// Loads a certificate (or chain) from a PEM string.
  Error load_from_string(std::string_view pem);
  /// Returns the PEM text.
  const std::string& save_to_string() const { return pem_; }
  bool is_empty() const { return pem_.empty(); }

 private:
  std::string pem_;
};

/// A cryptographic key (RSA or EC), as a PEM private key.
class CryptoKey {
 public:
  /// Loads a key from a PEM file.
  Error load(const std::string& path);
  /// Loads a key from a PEM string.
  Error load_from_string(std::string_view pem);
  const std::string& save_to_string() const { return pem_; }
  bool is_empty() const { return pem_.empty(); }

 private:
  std::string pem_;
};

/// TLS configuration for clients and servers.
class TLSOptions {
 public:
  /// Creates a TLS client configuration which validates certificates and their common names
  /// (fully qualified domain names). `trusted_chain` replaces the system CA store when given;
  /// `common_name_override` replaces the URL host for SNI and hostname verification.
  static std::shared_ptr<TLSOptions> client(
      std::shared_ptr<X509Certificate> trusted_chain = nullptr,
      std::string common_name_override = "");
  /// Creates an unsafe TLS client configuration where common name verification is disabled. With
  /// no `trusted_chain`, certificate validation is disabled too. Use only for testing.
  static std::shared_ptr<TLSOptions> client_unsafe(
      std::shared_ptr<X509Certificate> trusted_chain = nullptr);
  /// Creates a TLS server configuration using the provided key and certificate (chain).
  static std::shared_ptr<TLSOptions> server(std::shared_ptr<CryptoKey> key,
                                            std::shared_ptr<X509Certificate> certificate);

  bool is_server() const { return server_; }
  bool is_unsafe_client() const { return unsafe_; }
  const std::string& get_common_name_override() const { return common_name_override_; }
  std::shared_ptr<X509Certificate> get_trusted_ca_chain() const { return trusted_chain_; }
  std::shared_ptr<CryptoKey> get_private_key() const { return key_; }
  std::shared_ptr<X509Certificate> get_own_certificate() const { return certificate_; }

 private:
  bool server_ = false;
  bool unsafe_ = false;
  std::string common_name_override_;
  std::shared_ptr<X509Certificate> trusted_chain_;
  std::shared_ptr<CryptoKey> key_;
  std::shared_ptr<X509Certificate> certificate_;
};

}  // namespace wsp
