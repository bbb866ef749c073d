#include "wspeer/platform/native/tls_context.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <map>
#include <mutex>

namespace wsp::native {
namespace {

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

BioPtr memory_bio(const std::string& text) {
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

// Adds every certificate of a PEM chain to `store`; returns how many.
int add_pem_certificates(X509_STORE* store, const std::string& pem) {
  BioPtr bio = memory_bio(pem);
  int count = 0;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    if (X509_STORE_add_cert(store, cert) == 1) ++count;
    X509_free(cert);
  }
  ERR_clear_error();  // the loop ends with a "no start line" error
  return count;
}

SslContextPtr make_context(const SSL_METHOD* method) {
  SSL_CTX* ctx = SSL_CTX_new(method);
  if (!ctx) return nullptr;
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);  // idle connections give their buffers back
  return SslContextPtr(ctx, SSL_CTX_free);
}

SslContextPtr build_client(const TLSOptions* options, std::string* error) {
  SslContextPtr ctx = make_context(TLS_client_method());
  if (!ctx) {
    *error = "Cannot create a TLS context: " + openssl_error_text();
    return nullptr;
  }
  auto chain = options ? options->get_trusted_ca_chain() : nullptr;
  if (chain && !chain->is_empty()) {
    X509_STORE* store = X509_STORE_new();
    if (add_pem_certificates(store, chain->save_to_string()) == 0) {
      X509_STORE_free(store);
      *error = "The trusted CA chain contains no usable certificate.";
      return nullptr;
    }
    SSL_CTX_set_cert_store(ctx.get(), store);  // takes ownership
  } else if (!load_system_roots(ctx.get(), error)) {
    return nullptr;
  }
  // client_unsafe() without a chain verifies nothing; everything else verifies the chain.
  const bool verify = !(options && options->is_unsafe_client() && !chain);
  SSL_CTX_set_verify(ctx.get(), verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
  return ctx;
}

SslContextPtr build_server(const TLSOptions& options, std::string* error) {
  auto key = options.get_private_key();
  auto certificate = options.get_own_certificate();
  if (!key || key->is_empty() || !certificate || certificate->is_empty()) {
    *error = "TLS server options need a private key and a certificate.";
    return nullptr;
  }
  SslContextPtr ctx = make_context(TLS_server_method());
  if (!ctx) {
    *error = "Cannot create a TLS context: " + openssl_error_text();
    return nullptr;
  }
  BioPtr cert_bio = memory_bio(certificate->save_to_string());
  X509* leaf = PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr);
  BioPtr key_bio = memory_bio(key->save_to_string());
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr);
  auto release = [&] {
    if (leaf) X509_free(leaf);
    if (pkey) EVP_PKEY_free(pkey);
  };
  if (!leaf || !pkey) {
    *error = std::string("Cannot parse the server ") + (leaf ? "private key" : "certificate") +
             ": " + openssl_error_text();
    release();
    return nullptr;
  }
  if (X509_check_private_key(leaf, pkey) != 1) {
    ERR_clear_error();
    *error = "The private key does not match the server certificate.";
    release();
    return nullptr;
  }
  if (SSL_CTX_use_certificate(ctx.get(), leaf) != 1 ||
      SSL_CTX_use_PrivateKey(ctx.get(), pkey) != 1) {
    *error = "Cannot use the server certificate and key: " + openssl_error_text();
    release();
    return nullptr;
  }
  release();
  while (X509* intermediate = PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr)) {
    SSL_CTX_add0_chain_cert(ctx.get(), intermediate);  // takes ownership
  }
  ERR_clear_error();
  return ctx;
}

struct CacheEntry {
  std::weak_ptr<const TLSOptions> owner;
  SslContextPtr context;
};

}  // namespace

std::string openssl_error_text() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown TLS error";
  char text[256];
  ERR_error_string_n(code, text, sizeof(text));
  return text;
}

SslContextPtr tls_context_for(const std::shared_ptr<const TLSOptions>& options,
                              std::string* error) {
  static std::mutex mutex;
  static SslContextPtr default_client;
  static std::map<const TLSOptions*, CacheEntry> cache;
  std::lock_guard<std::mutex> lock(mutex);
  if (!options) {
    if (!default_client) default_client = build_client(nullptr, error);
    return default_client;
  }
  auto found = cache.find(options.get());
  if (found != cache.end() && found->second.owner.lock() == options) return found->second.context;
  // Forget contexts whose options are gone (their address may be reused).
  for (auto it = cache.begin(); it != cache.end();) {
    it = it->second.owner.expired() ? cache.erase(it) : std::next(it);
  }
  SslContextPtr context =
      options->is_server() ? build_server(*options, error) : build_client(options.get(), error);
  if (context) cache[options.get()] = {options, context};
  return context;
}

}  // namespace wsp::native
